import addressparser from 'nodemailer/lib/addressparser';

/** A received or stored message, decoded far enough to show it or to assert on it. */
export interface ParsedMail {
  /** Header names lower-cased; values unfolded but not decoded. */
  headers: Map<string, string[]>;
  /** The From header, decoded, e.g. `Tollgate <no-reply@tollgate.local>`. */
  from: string;
  /** Addresses of the To header. */
  to: string[];
  subject: string;
  /** The Date header as an ISO timestamp, when present and valid. */
  date?: string;
  messageId?: string;
  text?: string;
  html?: string;
}

interface MimePart {
  headers: Map<string, string[]>;
  /** Raw body bytes held as a latin1 string, so no byte is lost before the charset is known. */
  body: string;
}

/**
 * A small RFC 5322 / MIME reader for messages nodemailer builds: headers, RFC 2047 encoded words,
 * nested multiparts, base64 and quoted-printable bodies. Not a general mail parser (no attachments,
 * no RFC 2231 parameter continuations), which is all the outbox viewer and tests need.
 */
export function parseMimeMessage(raw: string | Buffer): ParsedMail {
  const root = parsePart(
    typeof raw === 'string' ? Buffer.from(raw, 'utf8').toString('latin1') : raw.toString('latin1'),
  );
  const header = (name: string): string | undefined => root.headers.get(name)?.[0];
  const bodies: { text?: string; html?: string } = {};
  collectBodies(root, bodies);
  const date = header('date') === undefined ? undefined : new Date(header('date') ?? '');
  return {
    headers: root.headers,
    from: decodeMimeWords(header('from') ?? ''),
    to: addressparser(header('to') ?? '', { flatten: true }).map((entry) => entry.address),
    subject: decodeMimeWords(header('subject') ?? ''),
    date: date !== undefined && !Number.isNaN(date.getTime()) ? date.toISOString() : undefined,
    messageId: header('message-id')?.trim(),
    ...bodies,
  };
}

/** Decodes RFC 2047 encoded words; adjacent words of one charset are joined before decoding. */
export function decodeMimeWords(value: string): string {
  const encodedWord = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g;
  let decoded = '';
  let last = 0;
  let pending: { charset: string; bytes: Buffer[] } | undefined;
  const flush = (): void => {
    if (pending !== undefined) decoded += decodeBytes(Buffer.concat(pending.bytes), pending.charset);
    pending = undefined;
  };
  for (const match of value.matchAll(encodedWord)) {
    const between = value.slice(last, match.index);
    // Whitespace between two encoded words is folding, not content (RFC 2047 §6.2).
    if (pending === undefined || !/^\s*$/.test(between)) {
      flush();
      decoded += between;
    }
    const charset = match[1].split('*')[0].toLowerCase();
    const bytes =
      match[2].toUpperCase() === 'B'
        ? Buffer.from(match[3], 'base64')
        : quotedPrintableBytes(match[3].replace(/_/g, ' '));
    if (pending !== undefined && pending.charset !== charset) flush();
    pending ??= { charset, bytes: [] };
    pending.bytes.push(bytes);
    last = (match.index ?? 0) + match[0].length;
  }
  flush();
  return decoded + value.slice(last);
}

function parsePart(source: string): MimePart {
  const separator = /\r?\n\r?\n/.exec(source);
  const head = separator === null ? source : source.slice(0, separator.index);
  const body = separator === null ? '' : source.slice(separator.index + separator[0].length);
  const headers = new Map<string, string[]>();
  // Unfolding removes a line break that is followed by whitespace (RFC 5322 §2.2.3).
  for (const line of head.replace(/\r?\n(?=[ \t])/g, '').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return { headers, body };
}

function collectBodies(part: MimePart, found: { text?: string; html?: string }): void {
  const { type, params } = parseContentType(part.headers.get('content-type')?.[0]);
  if (type.startsWith('multipart/') && params.boundary !== undefined) {
    for (const child of splitMultipart(part.body, params.boundary)) collectBodies(parsePart(child), found);
    return;
  }
  if (/^attachment/i.test(part.headers.get('content-disposition')?.[0] ?? '')) return;
  const key = type === 'text/plain' ? 'text' : type === 'text/html' ? 'html' : undefined;
  if (key === undefined || found[key] !== undefined) return;
  const encoding = (part.headers.get('content-transfer-encoding')?.[0] ?? '7bit').toLowerCase();
  const bytes =
    encoding === 'base64'
      ? Buffer.from(part.body.replace(/\s+/g, ''), 'base64')
      : encoding === 'quoted-printable'
        ? quotedPrintableBytes(part.body.replace(/=\r?\n/g, ''))
        : Buffer.from(part.body, 'latin1');
  found[key] = decodeBytes(bytes, params.charset ?? 'utf-8').replace(/\r\n/g, '\n');
}

function parseContentType(value = 'text/plain'): { type: string; params: Record<string, string> } {
  const [type, ...rest] = value.split(';');
  const params: Record<string, string> = {};
  const param = /\s*([^=\s]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]*))/;
  for (const chunk of rest.join(';').match(/(?:[^;"]|"(?:[^"\\]|\\.)*")+/g) ?? []) {
    const match = param.exec(chunk);
    if (match !== null) params[match[1].toLowerCase()] = match[2] ?? match[3];
  }
  return { type: type.trim().toLowerCase(), params };
}

function splitMultipart(body: string, boundary: string): string[] {
  const parts: string[] = [];
  let current: string[] | undefined;
  for (const line of body.split(/\r?\n/)) {
    const trimmed = line.trimEnd();
    if (trimmed === `--${boundary}--`) break;
    if (trimmed === `--${boundary}`) {
      if (current !== undefined) parts.push(current.join('\r\n'));
      current = [];
    } else if (current !== undefined) {
      current.push(line);
    }
  }
  if (current !== undefined) parts.push(current.join('\r\n'));
  return parts;
}

function quotedPrintableBytes(value: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i += 1) {
    const hex = value.slice(i + 1, i + 3);
    if (value[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(value.charCodeAt(i) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

function decodeBytes(bytes: Buffer, charset: string): string {
  try {
    return new TextDecoder(charset).decode(bytes);
  } catch {
    // An unknown charset label: UTF-8 is the best guess for mail written by current software.
    return new TextDecoder('utf-8').decode(bytes);
  }
}
