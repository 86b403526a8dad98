import { ClickHouseError } from '@clickhouse/client';
import { describeStatement, wrapInsertError, wrapStatementError } from './analytics-store.error';

describe('describeStatement', () => {
  it.each([
    ['SELECT count() FROM usage_events WHERE ts > {from:DateTime64(3)}', 'SELECT FROM usage_events'],
    ['  -- why\n/* block */ select 1', 'SELECT'],
    [
      'CREATE TABLE IF NOT EXISTS usage_events (id UUID) ENGINE = MergeTree ORDER BY id',
      'CREATE TABLE usage_events',
    ],
    ['CREATE MATERIALIZED VIEW IF NOT EXISTS mv TO `db`.t AS SELECT 1 FROM src', 'CREATE VIEW mv'],
    ['DROP DATABASE IF EXISTS `analytics_1`', 'DROP DATABASE analytics_1'],
    ['INSERT INTO db.usage_offsets SELECT * FROM usage_events', 'INSERT INTO db.usage_offsets'],
  ])('%s → %s', (sql, expected) => {
    expect(describeStatement(sql)).toBe(expected);
  });
});

describe('wrapInsertError', () => {
  it('keeps the error name, column and row of a parse error but not the input it quotes', () => {
    const engine = new ClickHouseError({
      message:
        "Cannot parse input: expected '\"' before: 'card-4242\",...': (while reading the value of key status): (at row 3)\n: While executing ParallelParsingBlockInputFormat.",
      code: '27',
      type: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
    });
    const error = wrapInsertError('usage_events', 10, engine);
    expect(error.message).toBe(
      'ClickHouse insert failed: INSERT INTO usage_events (10 rows): CANNOT_PARSE_INPUT_ASSERTION_FAILED (code 27) at column status, row 3',
    );
    expect(error.cause).toBeUndefined();
    expect(error).toMatchObject({
      operation: 'insert',
      clickhouseCode: '27',
      clickhouseType: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED',
    });
  });

  it('keeps the message of an error about the schema, which quotes no input', () => {
    const engine = new ClickHouseError({
      message: 'Table analytics.nope does not exist.',
      code: '60',
      type: 'UNKNOWN_TABLE',
    });
    expect(wrapInsertError('nope', 1, engine).message).toBe(
      'ClickHouse insert failed: INSERT INTO nope (1 row): UNKNOWN_TABLE (code 60): Table analytics.nope does not exist',
    );
  });

  it('keeps a transport failure and its cause', () => {
    const refused = new Error('connect ECONNREFUSED 127.0.0.1:8123');
    const error = wrapInsertError('usage_events', 2, refused);
    expect(error.message).toBe(
      'ClickHouse insert failed: INSERT INTO usage_events (2 rows): connect ECONNREFUSED 127.0.0.1:8123',
    );
    expect(error.cause).toBe(refused);
  });
});

describe('wrapStatementError', () => {
  it('says which statement failed and keeps the first line of the engine message', () => {
    const engine = new ClickHouseError({
      message: "Unknown table expression identifier 'nope'.\nStack trace: …",
      code: '60',
      type: 'UNKNOWN_TABLE',
    });
    const error = wrapStatementError('query', 'SELECT * FROM nope', engine);
    expect(error.message).toBe(
      "ClickHouse query failed: SELECT FROM nope: UNKNOWN_TABLE (code 60): Unknown table expression identifier 'nope'",
    );
    expect(error.cause).toBe(engine);
  });
});
