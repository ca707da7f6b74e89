import { AlarmOptions, AlarmThreshold, DatasetSchema } from '@freshet/core';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { GlueJobScript } from './glue-job-script';

/** A column the job derives from another one. */
export enum Derivation {
  /** The hour of day (0–23, UTC) of a timestamp column, as an int. */
  HOUR = 'hour',
  /** The ISO day of week (1 = Monday … 7 = Sunday) of a timestamp column, as an int. */
  DAY_OF_WEEK = 'day_of_week',
  /** The calendar date (UTC) of a timestamp column, as a string `YYYY-MM-DD`. */
  DATE = 'date',
}

/** A column the ETL job adds to every curated row, e.g. the hour of the event time. */
export interface DerivedColumn {
  /** The new column's name; it must not clash with a schema column. */
  readonly name: string;
  /** How the value is derived. */
  readonly derivation: Derivation;
  /** The timestamp column it is derived from. */
  readonly source: string;
}

/** An inclusive range the values of a numeric column must fall in. */
export interface ValueRange {
  /** The numeric column. */
  readonly column: string;
  /**
   * The smallest allowed value.
   * @default - no lower bound
   */
  readonly min?: number;
  /**
   * The largest allowed value.
   * @default - no upper bound
   */
  readonly max?: number;
}

/** A Glue Data Quality ruleset generated from the schema and evaluated by every run. */
export interface DataQualityOptions {
  /** Value ranges, one per numeric column, added to the generated completeness and type rules. */
  readonly valueRanges?: ValueRange[];
}

/** An optional Glue crawler over the raw prefix, for teams whose raw schema is not known upfront. */
export interface RawCrawlerOptions {
  /**
   * A cron expression for scheduled crawls, e.g. `cron(0 * * * ? *)`.
   * @default - the crawler runs on demand only
   */
  readonly schedule?: string;
}

/** Alarms of {@link GlueEtl}. */
export interface GlueEtlAlarmProps extends AlarmOptions {
  /**
   * Job runs that failed, timed out or stopped with an error, per 5 minutes.
   * @default - alarm on more than 0
   */
  readonly failedRuns?: AlarmThreshold;
  /**
   * The share of a run's valid rows that de-duplication removed (repeated in
   * the run, or already curated), in percent (`DuplicateShare`, the maximum
   * per hour). A high share usually means `idColumn` names an entity (a
   * device id) rather than a record: the job log then says what to change.
   * @default - alarm on more than 20 (%)
   */
  readonly duplicateShare?: AlarmThreshold;
}

/** Properties of {@link GlueEtl}. */
export interface GlueEtlProps {
  /** The dataset the job curates. */
  readonly schema: DatasetSchema;
  /** The lake bucket: StreamingIngest's `lakeBucket`, or your own. */
  readonly lakeBucket: s3.IBucket;
  /**
   * The key that encrypts the lake bucket; the job role may use it.
   * @default - `lakeBucket.encryptionKey`, if it has one
   */
  readonly lakeKey?: kms.IKey;
  /**
   * Where raw records land (Firehose's prefix).
   * @default `raw/<dataset>/`
   */
  readonly rawPrefix?: string;
  /**
   * The Glue database of the raw and curated tables.
   * @default `freshet_<dataset>`
   */
  readonly databaseName?: string;
  /**
   * Columns the job derives and adds to curated rows.
   * @default - none
   */
  readonly derivedColumns?: DerivedColumn[];
  /**
   * A Glue Data Quality ruleset generated from the schema; a run whose rules fail fails.
   * @default - no data quality rules
   */
  readonly dataQuality?: DataQualityOptions;
  /**
   * A crawler over the raw prefix.
   * @default - no crawler: the raw table is defined from the schema, with partition projection
   */
  readonly rawCrawler?: RawCrawlerOptions;
  /**
   * A cron expression that starts the job on a schedule, e.g. `cron(15 * * * ? *)`.
   * @default - the job runs when started, e.g. by the retraining workflow
   */
  readonly schedule?: string;
  /**
   * Your own job script instead of the one shipped in this package.
   * @default - the package's script
   */
  readonly script?: GlueJobScript;
  /**
   * The Glue worker type.
   * @default glue.WorkerType.G_1X
   */
  readonly workerType?: glue.WorkerType;
  /**
   * The number of workers (at least 2 for Spark).
   * @default 2
   */
  readonly numberOfWorkers?: number;
  /**
   * How long a run may take.
   * @default Duration.hours(1)
   */
  readonly timeout?: Duration;
  /**
   * How many times Glue retries a failed run.
   * @default 0 - the caller (a schedule or the workflow) decides
   */
  readonly maxRetries?: number;
  /** Alarm settings. @default - alarms on, notifying an encrypted SNS topic the construct creates */
  readonly alarms?: GlueEtlAlarmProps;
  /**
   * The removal policy of the Glue catalog resources and the key the construct creates.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}
