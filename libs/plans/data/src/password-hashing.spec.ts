import {
  defaultScryptParameters,
  hashPassword,
  verifyAgainstDummy,
  verifyPassword,
} from './password-hashing';

// Cheap parameters where the cost itself is not under test.
const fast = { N: 2 ** 10, r: 8, p: 1 };

describe('password hashing (scrypt)', () => {
  it('stores the parameters, a 16-byte salt and the key, and uses N=2^15 r=8 p=1 by default', async () => {
    const stored = await hashPassword('correct horse battery');
    const [scheme, N, r, p, salt, key] = stored.split('$');
    expect({ scheme, N: Number(N), r: Number(r), p: Number(p) }).toEqual({
      scheme: 'scrypt',
      ...defaultScryptParameters,
    });
    expect(defaultScryptParameters).toEqual({ N: 32768, r: 8, p: 1 });
    expect(Buffer.from(salt, 'base64url')).toHaveLength(16);
    expect(Buffer.from(key, 'base64url')).toHaveLength(32);
    expect(stored).not.toContain('correct horse battery');
  });

  it('accepts the right password and refuses others, including a near miss', async () => {
    const stored = await hashPassword('correct horse battery', fast);
    await expect(verifyPassword('correct horse battery', stored)).resolves.toBe(true);
    await expect(verifyPassword('correct horse batterY', stored)).resolves.toBe(false);
    await expect(verifyPassword('', stored)).resolves.toBe(false);
  });

  it('salts: the same password hashes differently each time', async () => {
    const [first, second] = await Promise.all([
      hashPassword('same password', fast),
      hashPassword('same password', fast),
    ]);
    expect(first).not.toBe(second);
    await expect(verifyPassword('same password', second)).resolves.toBe(true);
  });

  it('verifies with the parameters stored in the hash, not the current defaults', async () => {
    const stored = await hashPassword('older parameters', { N: 2 ** 11, r: 4, p: 2 });
    expect(stored.startsWith('scrypt$2048$4$2$')).toBe(true);
    await expect(verifyPassword('older parameters', stored)).resolves.toBe(true);
  });

  it('treats malformed or absurd stored hashes as a mismatch instead of throwing', async () => {
    for (const stored of [
      '',
      'plain',
      'scrypt$3$8$1$c2FsdA$a2V5',
      'scrypt$1073741824$8$1$c2FsdA$a2V5',
      'bcrypt$x',
    ]) {
      await expect(verifyPassword('anything at all', stored)).resolves.toBe(false);
    }
  });

  it('spends a real key derivation on unknown accounts and always refuses', async () => {
    await expect(verifyAgainstDummy('whatever password')).resolves.toBe(false);
  });
});
