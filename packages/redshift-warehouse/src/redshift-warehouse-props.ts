import { AlarmOptions, AlarmThreshold, DatasetSchema } from '@freshet/core';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { WarehouseCompute } from './warehouse-compute';

/** Redshift streaming ingestion from a Kinesis data stream into an auto-refreshed materialized view. */
export interface StreamingIngestionOptions {
  /** The stream: StreamingIngest's `stream`, or your own. */
  readonly stream: kinesis.IStream;
  /**
   * Whether producers write KPL-aggregated records to the stream (StreamingIngest's
   * `carriesAggregatedRecords`). Redshift cannot de-aggregate them, so `true` fails synthesis.
   */
  readonly carriesAggregatedRecords: boolean;
  /**
   * The key that encrypts the stream; the streaming role may decrypt with it.
   * @default - `stream.encryptionKey`, if it has one
   */
  readonly streamKey?: kms.IKey;
  /**
   * The materialized view's name.
   * @default `<dataset>_stream`
   */
  readonly viewName?: string;
  /**
   * The external schema that maps Kinesis into the database.
   * @default `<dataset>_kinesis`
   */
  readonly externalSchemaName?: string;
}

/** Alarms of {@link RedshiftWarehouse}. */
export interface RedshiftWarehouseAlarmProps extends AlarmOptions {
  /**
   * Failed or aborted Data API statements of this warehouse's loads, snapshots and DDL, per 5 minutes.
   * @default - alarm on more than 0
   */
  readonly failedStatements?: AlarmThreshold;
  /**
   * Serverless: RPU-hours used per day.
   * @default - alarm above 80% of the usage limit's daily share (the limit itself for a DAILY period, 1/7 of it for WEEKLY, 1/30 for MONTHLY)
   */
  readonly computeUsage?: AlarmThreshold;
  /**
   * Provisioned: average CPU utilization in percent, per 5 minutes.
   * @default - alarm above 90% for 3 periods
   */
  readonly cpuUtilization?: AlarmThreshold;
  /**
   * Provisioned: disk space used in percent, per 5 minutes.
   * @default - alarm above 80%
   */
  readonly diskSpaceUsed?: AlarmThreshold;
  /**
   * Executions of the scheduled COPY state machine that failed, per 5 minutes (only with `copySchedule`).
   * @default - alarm on more than 0
   */
  readonly failedScheduledLoads?: AlarmThreshold;
}

/** Properties of {@link RedshiftWarehouse}. */
export interface RedshiftWarehouseProps {
  /** The dataset: the table's columns come from it. */
  readonly schema: DatasetSchema;
  /** The lake bucket: StreamingIngest's `lakeBucket`, or your own. */
  readonly lakeBucket: s3.IBucket;
  /**
   * The key that encrypts the lake bucket; COPY decrypts and UNLOAD encrypts with it.
   * @default - `lakeBucket.encryptionKey`, if it has one
   */
  readonly lakeKey?: kms.IKey;
  /**
   * Where GlueEtl writes curated Parquet: what COPY loads.
   * @default `curated/<dataset>/`
   */
  readonly curatedPrefix?: string;
  /**
   * Where UNLOAD writes training snapshots; each run writes under `<snapshotPrefix><run id>/`.
   * @default `snapshots/<dataset>/`
   */
  readonly snapshotPrefix?: string;
  /**
   * The database the namespace or cluster creates.
   * @default 'freshet'
   */
  readonly databaseName?: string;
  /**
   * The schema the table lives in; created if missing.
   * @default 'freshet'
   */
  readonly schemaName?: string;
  /**
   * The table's name.
   * @default - the dataset name
   */
  readonly tableName?: string;
  /**
   * The column the table is distributed on.
   * @default - the dataset's id column, if any; otherwise Redshift's AUTO distribution
   */
  readonly distKey?: string;
  /**
   * The table's sort key columns.
   * @default - the dataset's event-time column, if any; otherwise Redshift's AUTO sort key
   */
  readonly sortKeys?: string[];
  /**
   * The compute: Serverless (namespace and workgroup) or a provisioned cluster.
   * @default WarehouseCompute.serverless() - 8 RPUs, 24 RPU-hours a day, deactivated above it
   */
  readonly compute?: WarehouseCompute;
  /**
   * The VPC the warehouse runs in.
   * @default - a new VPC with private isolated subnets in 3 Availability Zones, flow logs, and an S3 gateway endpoint; no NAT
   */
  readonly vpc?: ec2.IVpc;
  /**
   * The subnets of `vpc` the warehouse uses. Serverless needs at least 3, in 3 Availability Zones.
   * @default - the VPC's private isolated subnets, or its private subnets when it has none
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The admin user name, kept with its generated password in Secrets Manager.
   * @default 'freshet_admin'
   */
  readonly adminUsername?: string;
  /**
   * Runs the COPY of the curated prefix on a schedule, through a state machine the construct creates.
   * @default - no schedule: run `copyTask` from your own workflow
   */
  readonly copySchedule?: events.Schedule;
  /**
   * The query whose result UNLOAD writes as the training snapshot.
   * @default - `SELECT <the schema's columns> FROM <schema>.<table>`
   */
  readonly snapshotQuery?: string;
  /**
   * Kinesis streaming ingestion into an auto-refreshed materialized view.
   * @default - none
   */
  readonly streamingIngestion?: StreamingIngestionOptions;
  /**
   * Alarm settings.
   * @default - alarms on, notifying an encrypted SNS topic the construct creates
   */
  readonly alarms?: RedshiftWarehouseAlarmProps;
  /**
   * The removal policy of the namespace or cluster, its key and its log groups. DESTROY is
   * honoured only when the app's context allows it; a cluster then still takes a final snapshot.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}
