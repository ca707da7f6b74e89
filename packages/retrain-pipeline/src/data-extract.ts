import { DatasetSchema } from '@freshet/core';
import { GlueEtl } from '@freshet/glue-etl';
import { DataApiStatement, RedshiftWarehouse } from '@freshet/redshift-warehouse';
import { Duration } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

/** What a {@link DataExtract} is bound with. */
export interface DataExtractContext {
  /** The dataset. */
  readonly schema: DatasetSchema;
  /** The lake bucket. */
  readonly lakeBucket: s3.IBucket;
  /** Where the state holds the run id (the execution name). */
  readonly runIdPath: string;
  /** How long the extract task may take. */
  readonly timeout: Duration;
}

/** A bound extract: the task that refreshes the data, if any, and where the snapshot is. */
export interface BoundDataExtract {
  /**
   * The state that refreshes the data; the workflow adds its retry and catch.
   * @default - nothing to run: the data is already there
   */
  readonly task?: sfn.TaskStateBase | sfn.Parallel;
  /** The S3 URI of the snapshot prefix preprocess reads, when it is known at synth. */
  readonly snapshotUri: string;
  /**
   * Where the task leaves the snapshot's S3 URI, when each run writes its own
   * (it then wins over `snapshotUri`).
   * @default - the snapshot is at `snapshotUri`
   */
  readonly snapshotUriPath?: string;
  /** The lake prefix of the snapshot, for the execution role's read grant. */
  readonly snapshotPrefix: string;
  /** What the extract does, for the state comments and the README. */
  readonly description: string;
}

/**
 * Where each run's training data comes from (the "Extract" step).
 *
 * Preprocess reads CSV (with a header) or JSON lines, e.g. a Redshift
 * `UNLOAD ... FORMAT CSV HEADER` or raw JSON lines; it does not read Parquet.
 */
export abstract class DataExtract {
  /**
   * Reads whatever is under a lake prefix, e.g. `snapshots/stocks/latest/`; nothing runs first.
   */
  public static s3Prefix(prefix: string): DataExtract {
    if (prefix.startsWith('/') || prefix.startsWith('s3://') || !prefix.endsWith('/')) {
      throw new Error(`DataExtract.s3Prefix('${prefix}'): give a lake key prefix that ends with '/' and has no leading '/' or s3://, e.g. 'snapshots/stocks/latest/'.`);
    }
    return new S3PrefixExtract(prefix);
  }

  /**
   * Runs the GlueEtl job (`glue:startJobRun.sync`) so the lake is current, then
   * reads `prefix`. Give the prefix of a CSV or JSON lines export of the curated
   * data (the curated table itself is Parquet, which preprocess does not read).
   *
   * @param prefix the lake prefix preprocess reads after the job
   */
  public static glueEtl(etl: GlueEtl, prefix: string): DataExtract {
    DataExtract.s3Prefix(prefix);
    return new GlueEtlExtract(etl, prefix);
  }

  /**
   * Runs a Redshift UNLOAD of the warehouse's snapshot query to
   * `snapshots/<dataset>/<run id>/` (CSV with a header, through the Data API),
   * waits for it, and has preprocess read that run's snapshot.
   */
  public static redshiftSnapshot(warehouse: RedshiftWarehouse): DataExtract {
    return new RedshiftSnapshotExtract(warehouse);
  }

  /** Binds the extract to the workflow. */
  public abstract bind(scope: Construct, context: DataExtractContext): BoundDataExtract;

  /** Grants the workflow's state machine what the extract's states call, once the machine exists. */
  public grantRun(_stateMachine: sfn.StateMachine): void {}
}

class S3PrefixExtract extends DataExtract {
  constructor(private readonly prefix: string) {
    super();
  }

  public bind(_scope: Construct, context: DataExtractContext): BoundDataExtract {
    return {
      snapshotUri: context.lakeBucket.s3UrlForObject(this.prefix),
      snapshotPrefix: this.prefix,
      description: `reads s3://<lake>/${this.prefix}`,
    };
  }
}

class GlueEtlExtract extends DataExtract {
  constructor(private readonly etl: GlueEtl, private readonly prefix: string) {
    super();
  }

  public bind(scope: Construct, context: DataExtractContext): BoundDataExtract {
    const task = new tasks.GlueStartJobRun(scope, 'Extract', {
      comment: `Runs the ${context.schema.name} Glue ETL job and waits for it`,
      glueJobName: this.etl.job.jobName,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      arguments: sfn.TaskInput.fromObject({ '--run_id': sfn.JsonPath.stringAt(context.runIdPath) }),
      taskTimeout: sfn.Timeout.duration(context.timeout),
      resultSelector: { 'jobRunId.$': '$.Id', 'jobRunState.$': '$.JobRunState' },
      resultPath: '$.extract',
    });
    return {
      task,
      snapshotUri: context.lakeBucket.s3UrlForObject(this.prefix),
      snapshotPrefix: this.prefix,
      description: `runs the Glue job ${this.etl.node.path}, then reads s3://<lake>/${this.prefix}`,
    };
  }
}

class RedshiftSnapshotExtract extends DataExtract {
  constructor(private readonly warehouse: RedshiftWarehouse) {
    super();
  }

  public bind(scope: Construct, context: DataExtractContext): BoundDataExtract {
    if (this.warehouse.schema.name !== context.schema.name) {
      throw new Error(`DataExtract.redshiftSnapshot: the warehouse holds dataset '${this.warehouse.schema.name}' but the pipeline trains on '${context.schema.name}': give the warehouse of the same dataset.`);
    }
    // One branch around the UNLOAD fragment, so its failures reach the workflow's Catch like any task's.
    const task = new sfn.Parallel(scope, 'Extract', {
      comment: `Unloads the ${context.schema.name} training snapshot from Redshift and waits for it`,
      resultSelector: { 's3Uri.$': '$[0].snapshot.s3Uri', 'statementId.$': '$[0].snapshot.statementId' },
      resultPath: '$.extract',
    });
    task.branch(this.warehouse.unloadSnapshotTask(scope, 'Unload snapshot', { runIdPath: context.runIdPath }));
    return {
      task,
      snapshotUri: context.lakeBucket.s3UrlForObject(this.warehouse.snapshotPrefix),
      snapshotUriPath: '$.extract.s3Uri',
      snapshotPrefix: this.warehouse.snapshotPrefix,
      description: `unloads a snapshot from the Redshift warehouse ${this.warehouse.node.path} to s3://<lake>/${this.warehouse.snapshotPrefix}<run id>/`,
    };
  }

  public grantRun(stateMachine: sfn.StateMachine): void {
    this.warehouse.grantDataApi(stateMachine);
    DataApiStatement.acknowledgeStatusPolling(stateMachine);
  }
}
