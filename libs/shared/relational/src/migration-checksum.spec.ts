import { migrationChecksum, scriptMatchesChecksum } from './migration-checksum';

describe('migration checksum', () => {
  it('is the SHA-256 of the script as 64 lowercase hex digits', () => {
    expect(migrationChecksum('hello')).toBe(
      '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
    );
    expect(migrationChecksum('')).toHaveLength(64);
  });

  it('matches a script whose line endings a checkout converted, either way', () => {
    const unix = 'CREATE TABLE "a" ();\nCREATE TABLE "b" ();\n';
    const windows = unix.replace(/\n/g, '\r\n');
    expect(scriptMatchesChecksum(windows, migrationChecksum(unix))).toBe(true);
    expect(scriptMatchesChecksum(unix, migrationChecksum(windows))).toBe(true);
  });

  it('does not match a changed script, even by one trailing newline', () => {
    expect(scriptMatchesChecksum('SELECT 1;\n', migrationChecksum('SELECT 1;'))).toBe(false);
    expect(scriptMatchesChecksum('SELECT 2;', migrationChecksum('SELECT 1;'))).toBe(false);
  });

  it('accepts the unpadded hex that old schema engines recorded', () => {
    // SHA-256("abcd") has bytes below 0x10, so its unpadded form is shorter than 64 digits.
    const padded = migrationChecksum('abcd');
    const unpadded = padded
      .match(/../g)!
      .map((pair) => parseInt(pair, 16).toString(16))
      .join('');
    expect(unpadded.length).toBeLessThan(64);
    expect(scriptMatchesChecksum('abcd', unpadded)).toBe(true);
    expect(scriptMatchesChecksum('abce', unpadded)).toBe(false);
  });
});
