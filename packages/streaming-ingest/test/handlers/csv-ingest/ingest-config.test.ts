import { readIngestConfig } from '../../../src/handlers/csv-ingest/ingest-config';

const schema = JSON.stringify({ name: 's', columns: [{ name: 'a', type: 'double', nullable: false }], targetColumn: 'a' });
const base = { SCHEMA: schema, STREAM_NAME: 'stream', LAKE_BUCKET: 'lake', MAX_FILE_BYTES: '1000' };

describe('readIngestConfig', () => {
  test('reads the settings with retry defaults', () => {
    expect(readIngestConfig(base)).toMatchObject({ streamName: 'stream', lakeBucket: 'lake', maxFileBytes: 1000, retry: { maxAttempts: 8, baseDelayMs: 100 } });
  });

  test.each([
    [{ STREAM_NAME: '' }, 'Environment variable STREAM_NAME is not set; the StreamingIngest construct sets it.'],
    [{ MAX_FILE_BYTES: '-1' }, "Environment variable MAX_FILE_BYTES must be a positive number, got '-1'."],
    [{ SCHEMA: '{' }, /Environment variable SCHEMA is not valid JSON/],
    [{ SCHEMA: JSON.stringify({ name: 's', columns: [{ name: 'a', type: 'decimal' }] }) }, 'SCHEMA has columns of unknown type: a (decimal).'],
  ])('fails at init with what to set: %j', (override, message) => {
    expect(() => readIngestConfig({ ...base, ...override })).toThrow(message);
  });
});
