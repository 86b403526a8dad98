import { analyticsMigrationChecksum, splitMigrationStatements } from './analytics-migration.runner';

describe('splitMigrationStatements', () => {
  it('splits on a semicolon at the end of a line and drops comment-only chunks', () => {
    const sql = [
      '-- header comment',
      "CREATE TABLE a (s String DEFAULT 'x;y') ENGINE = MergeTree ORDER BY s;",
      '',
      '-- the view',
      'CREATE MATERIALIZED VIEW v TO {database}.b AS',
      'SELECT s FROM {database}.a;   ',
      '-- trailing comment only;',
      '',
    ].join('\n');
    expect(splitMigrationStatements(sql)).toEqual([
      "-- header comment\nCREATE TABLE a (s String DEFAULT 'x;y') ENGINE = MergeTree ORDER BY s",
      '-- the view\nCREATE MATERIALIZED VIEW v TO {database}.b AS\nSELECT s FROM {database}.a',
    ]);
  });

  it('accepts a last statement without a semicolon and CRLF line endings', () => {
    expect(splitMigrationStatements('SELECT 1;\r\nSELECT 2\r\n')).toEqual(['SELECT 1', 'SELECT 2']);
  });
});

describe('analyticsMigrationChecksum', () => {
  it('is the sha256 of the content, blind to CRLF vs LF', () => {
    expect(analyticsMigrationChecksum('SELECT 1;\n')).toBe(analyticsMigrationChecksum('SELECT 1;\r\n'));
    expect(analyticsMigrationChecksum('SELECT 1;\n')).toMatch(/^[0-9a-f]{64}$/);
    expect(analyticsMigrationChecksum('SELECT 1;\n')).not.toBe(analyticsMigrationChecksum('SELECT 2;\n'));
  });
});
