import type { DatasetSchemaSpec } from '@freshet/core';
import { RetryPolicy } from './put-records';

/** The handler's settings, read once from the environment the construct sets. */
export interface IngestConfig {
  /** `SCHEMA`: the dataset schema spec as JSON. */
  readonly schema: DatasetSchemaSpec;
  /** `STREAM_NAME`: the Kinesis stream rows go to. */
  readonly streamName: string;
  /** `LAKE_BUCKET`: where rejected rows, quarantined files and ingest state go. */
  readonly lakeBucket: string;
  /** `MAX_FILE_BYTES`: larger files are quarantined unread. */
  readonly maxFileBytes: number;
  /** `PUT_MAX_ATTEMPTS` and `PUT_RETRY_BASE_MS` (optional). */
  readonly retry: RetryPolicy;
  /** `LEASE_POLL_MS` (optional): how often a delivery that waits for another invocation's lease looks again. */
  readonly leasePollMs: number;
}

const KNOWN_TYPES = new Set(['string', 'int', 'bigint', 'double', 'boolean', 'timestamp']);

/** Reads and checks the configuration, failing at init with what to set. */
export function readIngestConfig(env: NodeJS.ProcessEnv): IngestConfig {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`Environment variable ${name} is not set; the StreamingIngest construct sets it.`);
    return value;
  };
  const positive = (name: string, fallback?: number): number => {
    const raw = env[name];
    if (raw === undefined && fallback !== undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`Environment variable ${name} must be a positive number, got '${raw}'.`);
    return value;
  };
  let schema: DatasetSchemaSpec;
  try {
    schema = JSON.parse(required('SCHEMA')) as DatasetSchemaSpec;
  } catch (error) {
    throw new Error(`Environment variable SCHEMA is not valid JSON: ${(error as Error).message}`);
  }
  if (!schema.name || !Array.isArray(schema.columns) || schema.columns.length === 0) {
    throw new Error('Environment variable SCHEMA must hold a dataset schema spec with a name and columns.');
  }
  const unknownTypes = schema.columns.filter((c) => !KNOWN_TYPES.has(c.type));
  if (unknownTypes.length > 0) {
    throw new Error(`SCHEMA has columns of unknown type: ${unknownTypes.map((c) => `${c.name} (${c.type})`).join(', ')}.`);
  }
  return {
    schema,
    streamName: required('STREAM_NAME'),
    lakeBucket: required('LAKE_BUCKET'),
    maxFileBytes: positive('MAX_FILE_BYTES'),
    retry: { maxAttempts: positive('PUT_MAX_ATTEMPTS', 8), baseDelayMs: positive('PUT_RETRY_BASE_MS', 100), maxDelayMs: 5000 },
    leasePollMs: positive('LEASE_POLL_MS', 2000),
  };
}
