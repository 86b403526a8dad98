import { createHmac } from 'node:crypto';
import { newWebhookSecret, signWebhookPayload, verifyTollgateSignature } from './consumer-webhook-signature';

describe('Tollgate-Signature', () => {
  const secret = 'whsec_test_secret';
  const body = '{"id":"whd_1","type":"usage.threshold_reached","data":{"threshold":80}}';
  const t = 1_790_000_000;

  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">', () => {
    const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    expect(signWebhookPayload(body, secret, t)).toBe(`t=${t},v1=${expected}`);
  });

  it('verifies its own signature within the tolerance', () => {
    const header = signWebhookPayload(body, secret, t);
    expect(verifyTollgateSignature(body, header, secret, 300, t + 299)).toEqual({
      valid: true,
      timestamp: t,
    });
    expect(verifyTollgateSignature(body, header, secret, 300, t - 299)).toEqual({
      valid: true,
      timestamp: t,
    });
  });

  it('refuses a changed body, another secret, or a changed timestamp', () => {
    const header = signWebhookPayload(body, secret, t);
    expect(verifyTollgateSignature(`${body} `, header, secret, 300, t)).toEqual({
      valid: false,
      reason: 'mismatch',
    });
    expect(verifyTollgateSignature(body, header, 'other', 300, t)).toEqual({
      valid: false,
      reason: 'mismatch',
    });
    const moved = header.replace(`t=${t}`, `t=${t + 1}`);
    expect(verifyTollgateSignature(body, moved, secret, 300, t)).toEqual({
      valid: false,
      reason: 'mismatch',
    });
  });

  it('refuses a signature older or newer than the tolerance (replays)', () => {
    const header = signWebhookPayload(body, secret, t);
    expect(verifyTollgateSignature(body, header, secret, 300, t + 301)).toEqual({
      valid: false,
      reason: 'expired',
    });
    expect(verifyTollgateSignature(body, header, secret, 300, t - 301)).toEqual({
      valid: false,
      reason: 'expired',
    });
  });

  it('accepts any matching v1 of several (secret rotation)', () => {
    const header = signWebhookPayload(body, secret, t);
    const old = signWebhookPayload(body, 'old-secret', t).split(',')[1];
    expect(
      verifyTollgateSignature(body, `${header.split(',')[0]},${old},${header.split(',')[1]}`, secret, 300, t)
        .valid,
    ).toBe(true);
  });

  it.each([undefined, null, '', 'garbage', 't=abc,v1=00', `t=${t}`, `v1=${'a'.repeat(64)}`, `t=${t},v1=xyz`])(
    'refuses the malformed header %p',
    (header) => {
      expect(verifyTollgateSignature(body, header, secret, 300, t)).toEqual({
        valid: false,
        reason: 'malformed',
      });
    },
  );
});

describe('newWebhookSecret', () => {
  it('is whsec_ and 192 random bits, fresh each time', () => {
    const secrets = new Set(Array.from({ length: 20 }, () => newWebhookSecret()));
    expect(secrets.size).toBe(20);
    for (const secret of secrets) expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{32}$/);
  });
});
