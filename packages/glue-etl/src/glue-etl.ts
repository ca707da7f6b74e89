import { AlarmFactory, DatasetSchema, NagAcknowledgements, SecureKey, SecureLogGroup, WildcardPermissions } from '@freshet/core';
import { Arn, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { DataQualityRules } from './data-quality-rules';
import { GlueEtlProps } from './glue-etl-props';
import { GlueJobScript } from './glue-job-script';
import { LakeTables } from './lake-tables';

/** Options of {@link GlueEtl.startJobRunTask}. */
export interface StartEtlRunTaskOptions {
  /**
   * Where in the state the run id is, e.g. `$.runId`.
   * @default '$$.Execution.Name' - the execution name
   */
  readonly runIdPath?: string;
  /**
   * How long the task waits for the run.
   * @default - the job's own timeout
   */
  readonly taskTimeout?: Duration;
}

const GLUE_FAILED_STATES = ['FAILED', 'TIMEOUT', 'ERROR'];

/**
 * Curates a dataset in the lake: Glue tables from the schema, and a Glue 5
 * PySpark job that reads new raw partitions incrementally (job bookmarks),
 * casts to the schema's types, drops duplicates, writes bad rows to
 * `rejected/etl/<dataset>/` with the reason and curated rows as snappy
 * Parquet partitioned by date, and adds the curated table's partitions.
 */
export class GlueEtl extends Construct {
  /** The CloudWatch namespace of the job's own run metrics (dimension `Dataset`). */
  public static readonly METRIC_NAMESPACE = 'Freshet/Etl';

  /** The dataset. */
  public readonly schema: DatasetSchema;
  /** The database, raw table and curated table. */
  public readonly tables: LakeTables;
  /** The ETL job. */
  public readonly job: glue.PySparkEtlJob;
  /** The job's role: read raw, write curated and rejected, update the curated table. */
  public readonly jobRole: iam.Role;
  /** Encrypts S3 output, CloudWatch logs and job bookmarks. */
  public readonly securityConfiguration: glue.SecurityConfiguration;
  /** The key of the job's logs and bookmarks. */
  public readonly jobKey: SecureKey;
  /** The job's continuous log group. */
  public readonly logGroup: SecureLogGroup;
  /** Matches failed, timed-out and errored runs of the job; add targets to act on them. */
  public readonly runFailedRule: events.Rule;
  /** The data quality ruleset, when `dataQuality` is set. */
  public readonly dataQualityRuleset?: glue.CfnDataQualityRuleset;
  /** The crawler over the raw prefix, when `rawCrawler` is set. */
  public readonly rawCrawler?: glue.CfnCrawler;
  /** The scheduled trigger, when `schedule` is set. */
  public readonly scheduleTrigger?: glue.CfnTrigger;
  /** The alarms. */
  public readonly alarms: AlarmFactory;
  /** `raw/<dataset>/` or the given raw prefix. */
  public readonly rawPrefix: string;
  /** `curated/<dataset>/`. */
  public readonly curatedPrefix: string;
  /** `rejected/etl/<dataset>/`. */
  public readonly rejectedPrefix: string;

  constructor(scope: Construct, id: string, props: GlueEtlProps) {
    super(scope, id);
    validateProps(props);
    const schema = props.schema;
    this.schema = schema;
    this.rawPrefix = props.rawPrefix ?? `raw/${schema.name}/`;
    this.curatedPrefix = `curated/${schema.name}/`;
    this.rejectedPrefix = `rejected/etl/${schema.name}/`;
    const lakeKey = props.lakeKey ?? props.lakeBucket.encryptionKey;

    this.tables = new LakeTables(this, 'Tables', {
      schema,
      lakeBucket: props.lakeBucket,
      databaseName: props.databaseName ?? `freshet_${schema.name}`,
      rawPrefix: this.rawPrefix,
      curatedPrefix: this.curatedPrefix,
      derivedColumns: props.derivedColumns,
      removalPolicy: props.removalPolicy,
    });

    this.jobKey = new SecureKey(this, 'JobKey', { description: `Encrypts the ${schema.name} ETL job's logs and bookmarks`, removalPolicy: props.removalPolicy });
    this.jobKey.grantCloudWatchLogs();
    this.securityConfiguration = new glue.SecurityConfiguration(this, 'SecurityConfiguration', {
      s3Encryption: glue.S3Encryption.kms(lakeKey ?? this.jobKey),
      cloudWatchEncryption: glue.CloudWatchEncryption.kms(this.jobKey),
      jobBookmarksEncryption: glue.JobBookmarksEncryption.clientSideKms(this.jobKey),
    });
    this.logGroup = new SecureLogGroup(this, 'Logs', { encryptionKey: this.jobKey, removalPolicy: props.removalPolicy });

    this.jobRole = new iam.Role(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description: `Runs the ${schema.name} ETL job: reads ${this.rawPrefix}, writes ${this.curatedPrefix} and ${this.rejectedPrefix}.`,
    });
    this.grantLakeAccess(props.lakeBucket, lakeKey);

    let dataQualityRules: string | undefined;
    if (props.dataQuality) {
      dataQualityRules = DataQualityRules.render(schema, props.dataQuality);
      this.dataQualityRuleset = new glue.CfnDataQualityRuleset(this, 'DataQuality', {
        name: `${this.tables.database.databaseName}-${schema.name}-curated`,
        description: `Completeness, types and ranges of ${schema.name}, from its schema`,
        ruleset: dataQualityRules,
        targetTable: { databaseName: this.tables.database.databaseName, tableName: this.tables.curatedTable.tableName },
      });
    }

    const script = (props.script ?? GlueJobScript.packaged()).bind(this);
    this.job = new glue.PySparkEtlJob(this, 'Job', {
      description: `Curates ${schema.name}: raw JSON lines to typed, de-duplicated Parquet`,
      glueVersion: glue.GlueVersion.V5_0,
      role: this.jobRole,
      script: script.code,
      extraPythonFiles: script.extraPythonFiles,
      workerConfiguration: { workerType: props.workerType ?? glue.WorkerType.G_1X, numberOfWorkers: props.numberOfWorkers ?? 2 },
      timeout: props.timeout ?? Duration.hours(1),
      maxRetries: props.maxRetries ?? 0,
      // One run at a time: bookmarks and partition writes assume it.
      maxConcurrentRuns: 1,
      securityConfiguration: this.securityConfiguration,
      continuousLogging: { enabled: true, logGroup: this.logGroup, quiet: true },
      enableMetrics: true,
      defaultArguments: {
        '--job-bookmark-option': 'job-bookmark-enable',
        '--enable-glue-datacatalog': 'true',
        '--schema': JSON.stringify(schema.toSpec()),
        '--dataset': schema.name,
        '--lake_bucket': props.lakeBucket.bucketName,
        '--raw_prefix': this.rawPrefix,
        '--curated_prefix': this.curatedPrefix,
        '--rejected_prefix': this.rejectedPrefix,
        '--database': this.tables.database.databaseName,
        '--curated_table': this.tables.curatedTable.tableName,
        '--derived_columns': JSON.stringify((props.derivedColumns ?? []).map((d) => ({ name: d.name, derivation: d.derivation, source: d.source }))),
        ...(dataQualityRules ? { '--dq_ruleset': dataQualityRules } : {}),
        '--metrics_namespace': GlueEtl.METRIC_NAMESPACE,
        '--run_id': 'scheduled',
      },
    });

    if (props.schedule) {
      this.scheduleTrigger = new glue.CfnTrigger(this, 'Schedule', {
        type: 'SCHEDULED',
        schedule: props.schedule,
        startOnCreation: true,
        description: `Runs the ${schema.name} ETL job on a schedule`,
        actions: [{ jobName: this.job.jobName, securityConfiguration: this.securityConfiguration.securityConfigurationName }],
      });
    }
    if (props.rawCrawler) {
      this.rawCrawler = this.createRawCrawler(props.lakeBucket, lakeKey, props.rawCrawler.schedule);
    }

    this.runFailedRule = new events.Rule(this, 'RunFailed', {
      description: `A run of the ${schema.name} ETL job failed`,
      eventPattern: {
        source: ['aws.glue'],
        detailType: ['Glue Job State Change'],
        detail: { jobName: [this.job.jobName], state: GLUE_FAILED_STATES },
      },
    });
    this.alarms = new AlarmFactory(this, 'Alarms', props.alarms);
    this.alarms.addAlarm('FailedRuns', {
      metric: AlarmFactory.ruleMatches(this.runFailedRule),
      threshold: 0,
      description: `A run of the ${schema.name} ETL job failed: read its log group ${this.logGroup.logGroupName} and ${this.rejectedPrefix} in the lake.`,
      override: props.alarms?.failedRuns,
    });
    this.alarms.addAlarm('DuplicateShare', {
      metric: this.metricRun('DuplicateShare', { statistic: 'Maximum', period: Duration.hours(1) }),
      threshold: 20,
      description: `A run of the ${schema.name} ETL job dropped more than the alarm's share of its valid rows as duplicates. ` +
        `If the job log (${this.logGroup.logGroupName}) warns about idColumn, the id column names an entity rather than a record: set idColumn to a unique record id, or leave it unset. ` +
        'A run that re-read files already curated (a reset bookmark) drops them too.',
      override: props.alarms?.duplicateShare,
    });
  }

  /**
   * A metric the job publishes after each run (namespace `Freshet/Etl`, dimension `Dataset`):
   * `RowsIn`, `RowsCurated`, `RowsRejected`, `DuplicatesInBatch`, `DuplicatesAlreadyCurated`,
   * `DuplicatesDropped`, `DuplicateShare` (percent of the valid rows) and `SuspectIdColumn` (1 when
   * the id column repeats far more than a record id would).
   */
  public metricRun(metricName: string, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: GlueEtl.METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { Dataset: this.schema.name },
      statistic: 'Sum',
      period: Duration.hours(1),
      ...options,
    });
  }

  /**
   * A Step Functions task that runs the job and waits for it (`glue:startJobRun.sync`),
   * passing the run id so rejected rows are filed under it.
   */
  public startJobRunTask(scope: Construct, id: string, options: StartEtlRunTaskOptions = {}): tasks.GlueStartJobRun {
    return new tasks.GlueStartJobRun(scope, id, {
      glueJobName: this.job.jobName,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      arguments: sfn.TaskInput.fromObject({ '--run_id': sfn.JsonPath.stringAt(options.runIdPath ?? '$$.Execution.Name') }),
      taskTimeout: options.taskTimeout ? sfn.Timeout.duration(options.taskTimeout) : undefined,
      resultSelector: { 'jobRunId.$': '$.Id', 'jobRunState.$': '$.JobRunState' },
    });
  }

  /** Lets a principal start runs of the job and read their state. */
  public grantStartRun(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['glue:StartJobRun', 'glue:GetJobRun', 'glue:GetJobRuns', 'glue:BatchStopJobRun'],
      resourceArns: [this.job.jobArn],
    });
  }

  private grantLakeAccess(bucket: s3.IBucket, lakeKey?: kms.IKey): void {
    const stack = Stack.of(this);
    const objects = (prefix: string) => bucket.arnForObjects(`${prefix}*`);
    this.jobRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadRaw',
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [objects(this.rawPrefix), objects(this.curatedPrefix)],
      }),
    );
    this.jobRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WriteCuratedAndRejected',
        actions: ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'],
        resources: [objects(this.curatedPrefix), objects(this.rejectedPrefix)],
      }),
    );
    this.jobRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ListOwnPrefixes',
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [this.rawPrefix, this.curatedPrefix, this.rejectedPrefix].map((p) => `${p}*`) } },
      }),
    );
    lakeKey?.grantEncryptDecrypt(this.jobRole);
    this.jobKey.grantEncryptDecrypt(this.jobRole);

    const catalogArn = (resource: string, resourceName?: string) =>
      Arn.format({ service: 'glue', resource, resourceName }, stack);
    this.jobRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'CuratedTablePartitions',
        actions: [
          'glue:GetDatabase',
          'glue:GetTable',
          'glue:GetTables',
          'glue:GetPartition',
          'glue:GetPartitions',
          'glue:BatchGetPartition',
          'glue:CreatePartition',
          'glue:BatchCreatePartition',
          'glue:UpdatePartition',
          'glue:UpdateTable',
        ],
        resources: [
          catalogArn('catalog'),
          catalogArn('database', this.tables.database.databaseName),
          catalogArn('table', `${this.tables.database.databaseName}/${this.tables.curatedTable.tableName}`),
          catalogArn('table', `${this.tables.database.databaseName}/${this.tables.rawTable.tableName}`),
        ],
      }),
    );
    this.jobRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PublishDataQualityResults',
        actions: ['glue:PublishDataQuality'],
        resources: [catalogArn('dataQualityRuleset', '*')],
      }),
    );
    this.jobRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'JobMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        // Glue's job metrics, and the run counts the script publishes.
        conditions: { StringEquals: { 'cloudwatch:namespace': ['Glue', GlueEtl.METRIC_NAMESPACE] } },
      }),
    );
    this.jobRole.addToPolicy(
      new iam.PolicyStatement({
        sid: 'JobLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
        resources: [
          this.logGroup.logGroupArn,
          `${this.logGroup.logGroupArn}:*`,
          Arn.format({ service: 'logs', resource: 'log-group', resourceName: '/aws-glue/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack),
        ],
      }),
    );
    this.acknowledgeRolePolicy(this.jobRole, [
      `Resource::*/${this.rawPrefix}*`,
      `Resource::*/${this.curatedPrefix}*`,
      `Resource::*/${this.rejectedPrefix}*`,
      'Action::kms:ReEncrypt*',
      'Action::kms:GenerateDataKey*',
      'Resource::arn:<AWS::Partition>:glue:*:dataQualityRuleset/*',
      'Resource::*',
      'Resource::<*Logs*.Arn>:*',
      'Resource::arn:<AWS::Partition>:logs:*:log-group:/aws-glue/*',
      // The job script and modules are CDK assets, read by the job role.
      'Action::s3:GetObject*',
      'Action::s3:GetBucket*',
      'Action::s3:List*',
      'Resource::arn:<AWS::Partition>:s3:::cdk-*-assets-*/*',
    ]);
  }

  /**
   * The roles' policies hold only this dataset's prefixes, tables and keys;
   * the wildcards are object keys under them, KMS grant verbs, and the
   * resource-less CloudWatch metric call.
   */
  private acknowledgeRolePolicy(role: iam.Role, allowedFindings: string[]): void {
    const policy = role.node.findChild('DefaultPolicy');
    const control = 'Compensating control: every statement is limited to this dataset\'s prefixes in the lake, its Glue database and tables, its keys and log groups.';
    WildcardPermissions.acknowledge(policy, {
      reason: `Glue reads and writes every object under this dataset's prefixes and uses KMS grant verbs. ${control}`,
      allowedFindings,
    });
    NagAcknowledgements.add(policy, [
      { id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: `The policy belongs to this role alone and is generated from the grants above. ${control}` },
    ]);
  }

  private createRawCrawler(bucket: s3.IBucket, lakeKey: kms.IKey | undefined, schedule?: string): glue.CfnCrawler {
    const role = new iam.Role(this, 'CrawlerRole', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description: `Crawls ${this.rawPrefix} into the ${this.schema.name} database`,
    });
    bucket.grantRead(role, `${this.rawPrefix}*`);
    lakeKey?.grantDecrypt(role);
    this.jobKey.grantEncryptDecrypt(role);
    const stack = Stack.of(this);
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:CreateTable', 'glue:UpdateTable', 'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchCreatePartition', 'glue:BatchGetPartition', 'glue:UpdatePartition'],
        resources: [
          Arn.format({ service: 'glue', resource: 'catalog' }, stack),
          Arn.format({ service: 'glue', resource: 'database', resourceName: this.tables.database.databaseName }, stack),
          Arn.format({ service: 'glue', resource: 'table', resourceName: `${this.tables.database.databaseName}/crawled_*` }, stack),
        ],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
        resources: [Arn.format({ service: 'logs', resource: 'log-group', resourceName: '/aws-glue/crawlers*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }, stack)],
      }),
    );
    this.acknowledgeRolePolicy(role, [
      `Resource::*/${this.rawPrefix}*`,
      'Action::s3:GetObject*',
      'Action::s3:GetBucket*',
      'Action::s3:List*',
      'Action::kms:ReEncrypt*',
      'Action::kms:GenerateDataKey*',
      'Resource::arn:<AWS::Partition>:glue:*:table/*/crawled_*',
      'Resource::arn:<AWS::Partition>:logs:*:log-group:/aws-glue/crawlers*',
    ]);
    return new glue.CfnCrawler(this, 'RawCrawler', {
      role: role.roleArn,
      description: `Crawls ${this.rawPrefix} for teams whose raw schema is not known upfront`,
      databaseName: this.tables.database.databaseName,
      tablePrefix: 'crawled_',
      targets: { s3Targets: [{ path: `s3://${bucket.bucketName}/${this.rawPrefix}` }] },
      crawlerSecurityConfiguration: this.securityConfiguration.securityConfigurationName,
      recrawlPolicy: { recrawlBehavior: 'CRAWL_NEW_FOLDERS_ONLY' },
      schemaChangePolicy: { updateBehavior: 'LOG', deleteBehavior: 'LOG' },
      schedule: schedule ? { scheduleExpression: schedule } : undefined,
    });
  }
}

function validateProps(props: GlueEtlProps): void {
  const problems: string[] = [];
  const columns = new Set(props.schema.columnNames);
  for (const derived of props.derivedColumns ?? []) {
    if (columns.has(derived.name)) problems.push(`derived column '${derived.name}' clashes with a schema column: give it another name.`);
    if (!/^[a-z_][a-z0-9_]*$/.test(derived.name)) problems.push(`derived column '${derived.name}' must be lower case letters, digits and underscores.`);
    const source = props.schema.columns.find((c) => c.name === derived.source);
    if (!source) problems.push(`derived column '${derived.name}' reads '${derived.source}', which is not a column: use one of ${props.schema.columnNames.join(', ')}.`);
    else if (source.type !== 'timestamp') problems.push(`derived column '${derived.name}' reads '${derived.source}', a ${source.type}: derivations read timestamp columns.`);
  }
  if (props.numberOfWorkers !== undefined && (!Number.isInteger(props.numberOfWorkers) || props.numberOfWorkers < 2)) {
    problems.push(`numberOfWorkers is ${props.numberOfWorkers}: a Spark job needs a whole number of at least 2.`);
  }
  if (props.maxRetries !== undefined && (!Number.isInteger(props.maxRetries) || props.maxRetries < 0 || props.maxRetries > 10)) {
    problems.push(`maxRetries is ${props.maxRetries}: use a whole number from 0 to 10.`);
  }
  if (props.timeout && (props.timeout.toMinutes({ integral: false }) < 1 || props.timeout.toMinutes({ integral: false }) > 2880)) {
    problems.push('timeout must be from 1 minute to 48 hours.');
  }
  if (props.rawPrefix !== undefined && (!props.rawPrefix.endsWith('/') || props.rawPrefix.startsWith('/'))) {
    problems.push(`rawPrefix '${props.rawPrefix}' must end with '/' and not start with one, e.g. 'raw/${props.schema.name}/'.`);
  }
  for (const [name, expression] of [['schedule', props.schedule], ['rawCrawler.schedule', props.rawCrawler?.schedule]] as const) {
    if (expression !== undefined && !/^cron\(.+\)$/.test(expression)) {
      problems.push(`${name} '${expression}' must be a cron expression such as 'cron(15 * * * ? *)'.`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`Invalid GlueEtl props for '${props.schema.name}':\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
