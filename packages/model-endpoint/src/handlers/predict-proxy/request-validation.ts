/**
 * Validation of prediction requests inside the proxy. API Gateway validates
 * too, but the function may be invoked another way and must never trust its
 * caller: every problem becomes a 400 naming the field and what to change.
 */
// The calendar rule the CSV ingest applies too; a deep import keeps the CDK out of the bundle.
import { calendarProblem } from '@freshet/core/lib/schema/calendar-date';

/** A column as the handler receives it (the `DatasetSchemaSpec` column). */
export interface FeatureColumn {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
}

/** One problem with a request. */
export interface RequestProblem {
  /** Where: `body`, `instances[2]`, `instances[0].change`. */
  readonly field: string;
  /** What is wrong and what to change. */
  readonly problem: string;
}

/** A request that passed validation. */
export type ValidRequest =
  | { readonly ok: true; readonly records: Record<string, unknown>[]; readonly single: boolean }
  | { readonly ok: true; readonly passthrough: Buffer; readonly instanceCount: number };

/** A request that did not. */
export interface InvalidRequest {
  readonly ok: false;
  readonly status: number;
  readonly problems: RequestProblem[];
}

/** Limits of one request. */
export interface RequestLimits {
  readonly maxInstances: number;
  readonly maxBodyBytes: number;
  /** The longest string a string column takes. */
  readonly maxStringLength: number;
}

/** Stop listing problems after this many; the first ones are enough to fix the request. */
const MAX_PROBLEMS = 20;
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
/** ISO 8601 date-time, as `format: date-time` (RFC 3339) requires. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isFinite(value) ? `the number ${value}` : 'a number too large for a double';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Decodes the body as UTF-8 JSON, or says why it cannot. */
export function parseJsonBody(
  body: string | null | undefined,
  isBase64Encoded: boolean | undefined,
  limits: RequestLimits,
): { ok: true; value: unknown; raw: Buffer } | InvalidRequest {
  if (body === null || body === undefined || body === '') {
    return invalid('body', 'is empty: send a JSON object, either one record or { "instances": [ ... ] }.');
  }
  const raw = isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf-8');
  if (raw.length > limits.maxBodyBytes) {
    return { ok: false, status: 413, problems: [{ field: 'body', problem: `is ${raw.length} bytes, more than the ${limits.maxBodyBytes} allowed: split the instances over several requests.` }] };
  }
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    return invalid('body', 'is not valid UTF-8: encode the JSON as UTF-8.');
  }
  try {
    return { ok: true, value: JSON.parse(text), raw };
  } catch (error) {
    return invalid('body', `is not valid JSON (${(error as Error).message.slice(0, 120)}): send a JSON object.`);
  }
}

/** Validates tabular records against one schema; see {@link compileRecordValidator}. */
export type RecordValidator = (value: unknown) => ValidRequest | InvalidRequest;

/**
 * Validates tabular records: `{ "instances": [record, ...] }` or one record.
 * A record holds every non-nullable feature column with a value of its type,
 * and nothing else: not the target, not unknown fields.
 */
export function validateRecords(value: unknown, features: FeatureColumn[], target: string, limits: RequestLimits): ValidRequest | InvalidRequest {
  return compileRecordValidator(features, target, limits)(value);
}

/**
 * The same validation as {@link validateRecords}, with what depends only on the
 * schema worked out once (the proxy compiles it at init): the feature set, the
 * list of features a message names, and each column's check, so a request
 * pays only for checking its own values.
 */
export function compileRecordValidator(features: FeatureColumn[], target: string, limits: RequestLimits): RecordValidator {
  const featureNames = new Set(features.map((f) => f.name));
  const featureList = [...featureNames].join(', ');
  const columns = features.map((column) => ({ column, check: valueCheck(column.type, limits) }));
  const instancesIsFeature = featureNames.has('instances');
  const checkRecord = (record: Record<string, unknown>, prefix: string, problems: RequestProblem[]): void => {
    for (const key in record) {
      if (!Object.prototype.hasOwnProperty.call(record, key) || featureNames.has(key)) continue;
      const field = `${prefix}${key.length > 64 ? `${key.slice(0, 64)}…` : key}`;
      problems.push(key === target
        ? { field, problem: 'is the target the model predicts: remove it from the request.' }
        : { field, problem: `is not a feature of this model: remove it. The features are ${featureList}.` });
    }
    for (const { column, check } of columns) {
      const value = record[column.name];
      if (value === undefined || value === null) {
        if (!column.nullable) problems.push({ field: `${prefix}${column.name}`, problem: `is ${value === null ? 'null' : 'missing'}: give a ${column.type} value.` });
        continue;
      }
      const problem = check(value);
      if (problem) problems.push({ field: `${prefix}${column.name}`, problem });
    }
  };
  return (value) => {
    if (!isPlainObject(value)) {
      return invalid('body', `is ${describe(value)}: send a JSON object, either one record or { "instances": [ ... ] }.`);
    }
    const batch = !instancesIsFeature && Object.prototype.hasOwnProperty.call(value, 'instances');
    const problems: RequestProblem[] = [];
    if (!batch) {
      checkRecord(value, '', problems);
      return problems.length > 0
        ? { ok: false, status: 400, problems: problems.slice(0, MAX_PROBLEMS) }
        : { ok: true, records: [value], single: true };
    }
    for (const key of Object.keys(value)) {
      if (key !== 'instances') problems.push({ field: key, problem: 'is not allowed beside instances: put every record inside instances.' });
    }
    const instances = value.instances;
    if (!Array.isArray(instances)) {
      problems.push({ field: 'instances', problem: `is ${describe(instances)}: make it an array of records.` });
      return { ok: false, status: 400, problems };
    }
    if (instances.length === 0) {
      problems.push({ field: 'instances', problem: 'is empty: send at least one record.' });
    } else if (instances.length > limits.maxInstances) {
      problems.push({ field: 'instances', problem: `holds ${instances.length} records, more than the ${limits.maxInstances} allowed: split them over several requests.` });
    }
    if (problems.length > 0) return { ok: false, status: 400, problems };
    for (let i = 0; i < instances.length && problems.length < MAX_PROBLEMS; i++) {
      const record = instances[i];
      if (!isPlainObject(record)) {
        problems.push({ field: `instances[${i}]`, problem: `is ${describe(record)}: make each instance a JSON object of feature values.` });
        continue;
      }
      checkRecord(record, `instances[${i}].`, problems);
    }
    return problems.length > 0
      ? { ok: false, status: 400, problems: problems.slice(0, MAX_PROBLEMS) }
      : { ok: true, records: instances as Record<string, unknown>[], single: false };
  };
}

/** What is wrong with one value of a column type, or undefined: the check of a type, chosen once per column. */
function valueCheck(type: string, limits: RequestLimits): (value: unknown) => string | undefined {
  switch (type) {
    case 'string':
      return (value) => {
        if (typeof value !== 'string') return `must be a string, got ${describe(value)}.`;
        if (value.length > limits.maxStringLength) return `is ${value.length} characters, more than the ${limits.maxStringLength} allowed: shorten it.`;
        return undefined;
      };
    case 'double':
      return (value) => {
        if (typeof value !== 'number') return `must be a number, got ${describe(value)}.`;
        if (!Number.isFinite(value)) return 'is too large for a double: send a finite number.';
        return undefined;
      };
    case 'int':
      return (value) => {
        if (typeof value !== 'number' || !Number.isInteger(value)) return `must be a whole number, got ${describe(value)}.`;
        if (value < INT_MIN || value > INT_MAX) return `is outside the int range ${INT_MIN} to ${INT_MAX}.`;
        return undefined;
      };
    case 'bigint':
      return (value) => {
        if (typeof value !== 'number' || !Number.isInteger(value)) return `must be a whole number, got ${describe(value)}.`;
        // JSON numbers past 2^53 lose digits on the way in, so the model would see another value.
        if (!Number.isSafeInteger(value)) return 'is beyond ±9007199254740991, where JSON numbers lose precision: send a smaller number.';
        return undefined;
      };
    case 'boolean':
      return (value) => (typeof value === 'boolean' ? undefined : `must be true or false, got ${describe(value)}.`);
    case 'timestamp':
      return (value) => {
        if (typeof value !== 'string') return `must be an ISO 8601 date-time string, got ${describe(value)}.`;
        if (!DATE_TIME.test(value) || Number.isNaN(Date.parse(value))) return `must be an ISO 8601 date-time such as 2026-08-01T00:00:00Z, got ${describe(value)}.`;
        // Date.parse rolls impossible dates over (30 February becomes 1 March): the model would see another day.
        const impossible = calendarProblem(value);
        if (impossible) return `must be a real calendar date-time (${impossible}), got ${describe(value)}.`;
        return undefined;
      };
    default:
      return () => `has the unknown column type ${type}.`;
  }
}

const DEEPAR_OUTPUT_TYPES = new Set(['mean', 'quantiles', 'samples']);
const DEEPAR_INSTANCE_KEYS = new Set(['start', 'target', 'cat', 'dynamic_feat']);
const DEEPAR_CONFIGURATION_KEYS = new Set(['num_samples', 'output_types', 'quantiles']);
const DEEPAR_START = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$|^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * Validates a DeepAR inference request, `{ "instances": [{ "start", "target",
 * "cat"?, "dynamic_feat"? }], "configuration"?: { "num_samples",
 * "output_types", "quantiles" } }`, which then goes to the model unchanged.
 */
export function validateDeepAr(value: unknown, raw: Buffer, limits: RequestLimits): ValidRequest | InvalidRequest {
  if (!isPlainObject(value)) {
    return invalid('body', `is ${describe(value)}: send { "instances": [ { "start": ..., "target": [ ... ] } ], "configuration": { ... } }.`);
  }
  const problems: RequestProblem[] = [];
  for (const key of Object.keys(value)) {
    if (key !== 'instances' && key !== 'configuration') problems.push({ field: key, problem: 'is not part of a DeepAR request: send only instances and configuration.' });
  }
  const instances = value.instances;
  if (!Array.isArray(instances)) {
    problems.push({ field: 'instances', problem: `is ${describe(instances)}: make it an array of time series.` });
  } else if (instances.length === 0) {
    problems.push({ field: 'instances', problem: 'is empty: send at least one time series.' });
  } else if (instances.length > limits.maxInstances) {
    problems.push({ field: 'instances', problem: `holds ${instances.length} series, more than the ${limits.maxInstances} allowed: split them over several requests.` });
  } else {
    for (let i = 0; i < instances.length && problems.length < MAX_PROBLEMS; i++) {
      checkSeries(instances[i], `instances[${i}]`, problems);
    }
  }
  if (value.configuration !== undefined) checkConfiguration(value.configuration, problems);
  return problems.length > 0
    ? { ok: false, status: 400, problems: problems.slice(0, MAX_PROBLEMS) }
    : { ok: true, passthrough: raw, instanceCount: (instances as unknown[]).length };
}

function checkSeries(series: unknown, field: string, problems: RequestProblem[]): void {
  if (!isPlainObject(series)) {
    problems.push({ field, problem: `is ${describe(series)}: make each instance an object with start and target.` });
    return;
  }
  for (const key of Object.keys(series)) {
    if (!DEEPAR_INSTANCE_KEYS.has(key)) problems.push({ field: `${field}.${key.slice(0, 64)}`, problem: 'is not a DeepAR series field: use start, target, cat and dynamic_feat.' });
  }
  if (typeof series.start !== 'string' || !DEEPAR_START.test(series.start)) {
    problems.push({ field: `${field}.start`, problem: `must be a timestamp such as "2026-08-01 00:00:00", got ${describe(series.start)}.` });
  } else {
    const impossible = calendarProblem(series.start);
    if (impossible) problems.push({ field: `${field}.start`, problem: `must be a real calendar date-time (${impossible}), got ${describe(series.start)}.` });
  }
  const target = series.target;
  if (!Array.isArray(target) || target.length === 0) {
    problems.push({ field: `${field}.target`, problem: `must be a non-empty array of numbers, got ${describe(target)}.` });
  } else {
    const bad = target.findIndex((v) => !(typeof v === 'number' && Number.isFinite(v)) && v !== 'NaN');
    if (bad >= 0) problems.push({ field: `${field}.target[${bad}]`, problem: `must be a number or "NaN", got ${describe(target[bad])}.` });
  }
  if (series.cat !== undefined) {
    const cat = series.cat;
    if (!Array.isArray(cat) || cat.some((v) => typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)) {
      problems.push({ field: `${field}.cat`, problem: 'must be an array of non-negative whole numbers.' });
    }
  }
  if (series.dynamic_feat !== undefined) {
    const feat = series.dynamic_feat;
    if (!Array.isArray(feat) || feat.some((row) => !Array.isArray(row) || row.some((v) => !(typeof v === 'number' && Number.isFinite(v))))) {
      problems.push({ field: `${field}.dynamic_feat`, problem: 'must be an array of arrays of numbers.' });
    }
  }
}

function checkConfiguration(configuration: unknown, problems: RequestProblem[]): void {
  if (!isPlainObject(configuration)) {
    problems.push({ field: 'configuration', problem: `is ${describe(configuration)}: make it an object with num_samples, output_types and quantiles.` });
    return;
  }
  for (const key of Object.keys(configuration)) {
    if (!DEEPAR_CONFIGURATION_KEYS.has(key)) problems.push({ field: `configuration.${key.slice(0, 64)}`, problem: 'is not a DeepAR setting: use num_samples, output_types and quantiles.' });
  }
  const samples = configuration.num_samples;
  if (samples !== undefined && (typeof samples !== 'number' || !Number.isInteger(samples) || samples < 1 || samples > 10000)) {
    problems.push({ field: 'configuration.num_samples', problem: `must be a whole number from 1 to 10000, got ${describe(samples)}.` });
  }
  const outputTypes = configuration.output_types;
  if (outputTypes !== undefined && (!Array.isArray(outputTypes) || outputTypes.length === 0 || outputTypes.some((t) => typeof t !== 'string' || !DEEPAR_OUTPUT_TYPES.has(t)))) {
    problems.push({ field: 'configuration.output_types', problem: 'must be a non-empty array of "mean", "quantiles" and "samples".' });
  }
  const quantiles = configuration.quantiles;
  if (quantiles !== undefined && (!Array.isArray(quantiles) || quantiles.some((q) => typeof q !== 'string' || !/^0?\.\d+$/.test(q)))) {
    problems.push({ field: 'configuration.quantiles', problem: 'must be an array of strings such as "0.1", "0.5", "0.9".' });
  }
}

function invalid(field: string, problem: string): InvalidRequest {
  return { ok: false, status: 400, problems: [{ field, problem }] };
}
