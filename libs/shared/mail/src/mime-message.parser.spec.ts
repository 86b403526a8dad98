import { decodeMimeWords, parseMimeMessage } from './mime-message.parser';

describe('decodeMimeWords', () => {
  it('decodes B and Q words and drops the folding between adjacent words', () => {
    expect(decodeMimeWords('=?UTF-8?B?R3LDvMOfZQ==?= =?utf-8?Q?_und_=E2=9C=93?=')).toBe('Grüße und ✓');
  });

  it('joins a character split across two words', () => {
    // "€" is E2 82 AC; the first word carries two of its bytes, the second the last one.
    expect(decodeMimeWords('=?UTF-8?Q?=E2=82?=\r\n =?UTF-8?Q?=AC_5?=')).toBe('€ 5');
  });

  it('keeps plain text and the space around encoded words', () => {
    expect(decodeMimeWords('Re: =?ISO-8859-1?Q?caf=E9?= today')).toBe('Re: café today');
  });
});

describe('parseMimeMessage', () => {
  it('finds text and html inside nested multiparts, decoding base64 and quoted-printable', () => {
    const raw = [
      'From: =?UTF-8?Q?Z=C3=BCrich?= <z@example.com>',
      'To: a@example.com, "B" <b@example.com>',
      'Subject: Hello',
      'Message-ID: <m1@example.com>',
      'Date: Tue, 03 Jun 2025 10:00:00 +0200',
      'Content-Type: multipart/mixed; boundary="outer"',
      '',
      '--outer',
      'Content-Type: multipart/alternative; boundary=inner',
      '',
      '--inner',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      'Gr=C3=BC=C3=9Fe, a long line that is =',
      'soft-broken',
      '--inner',
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('<p>Grüße</p>').toString('base64'),
      '--inner--',
      '--outer',
      'Content-Type: text/plain',
      'Content-Disposition: attachment; filename="a.txt"',
      '',
      'not the body',
      '--outer--',
      '',
    ].join('\r\n');

    expect(parseMimeMessage(raw)).toMatchObject({
      from: 'Zürich <z@example.com>',
      to: ['a@example.com', 'b@example.com'],
      subject: 'Hello',
      messageId: '<m1@example.com>',
      date: '2025-06-03T08:00:00.000Z',
      text: 'Grüße, a long line that is soft-broken',
      html: '<p>Grüße</p>',
    });
  });
});
