import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let sequence = 0;

// Random bytes are drawn from the CSPRNG 4 KiB at a time (one call per 256 ids) instead of one call
// per id; each byte is handed out once.
const pool = Buffer.allocUnsafe(4096);
let poolOffset = pool.length;
const hex: string[] = Array.from({ length: 256 }, (_, value) => value.toString(16).padStart(2, '0'));

function randomByte(): number {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const value = pool[poolOffset];
  poolOffset += 1;
  return value;
}

/**
 * RFC 9562 UUIDv7: 48-bit Unix ms timestamp, then a 12-bit counter (monotonic within a ms in this
 * process), then 62 random bits. Sortable by creation time, unique without coordination.
 */
export function uuidv7(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    sequence = ((randomByte() << 8) | randomByte()) & 0x3ff; // start low so the counter rarely overflows
  } else {
    sequence += 1;
    if (sequence > 0xfff) {
      lastMs += 1; // borrow the next millisecond rather than repeat
      sequence = 0;
    }
  }
  const ms = lastMs;
  const high = Math.floor(ms / 2 ** 32);
  let text =
    hex[(high >>> 8) & 0xff] +
    hex[high & 0xff] +
    hex[(ms >>> 24) & 0xff] +
    hex[(ms >>> 16) & 0xff] +
    '-' +
    hex[(ms >>> 8) & 0xff] +
    hex[ms & 0xff] +
    '-' +
    hex[0x70 | ((sequence >>> 8) & 0x0f)] +
    hex[sequence & 0xff] +
    '-' +
    hex[0x80 | (randomByte() & 0x3f)] +
    hex[randomByte()] +
    '-';
  for (let index = 0; index < 6; index += 1) text += hex[randomByte()];
  return text;
}

export function uuidv7Timestamp(id: string): number {
  return parseInt(id.replace(/-/g, '').slice(0, 12), 16);
}
