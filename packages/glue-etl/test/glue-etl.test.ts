import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ColumnType, DatasetSchema, SecureBucket } from '@freshet/core';
import { cfnLint, formatCfnLint, formatFindings, nagFindings, testStack } from '@freshet/test-utils';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Derivation, GlueEtl, GlueEtlProps, GlueJobScript } from '../src';

const pollution = new DatasetSchema({
  name: 'pollution',
  columns: [
    { name: 'device_id', type: ColumnType.STRING },
    { name: 'ozone', type: ColumnType.DOUBLE },
    { name: 'nitrogen_dioxide', type: ColumnType.DOUBLE, nullable: true },
    { name: 'timestamp', type: ColumnType.TIMESTAMP },
  ],
  targetColumn: 'ozone',
  eventTimeColumn: 'timestamp',
});

/** A stand-in job script file, so these tests do not depend on the packaged one. */
const customScript = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'glue-script-')), 'job.py');
fs.writeFileSync(customScript, 'print("custom")\n');

function build(props: Partial<GlueEtlProps> = {}): { stack: Stack; etl: GlueEtl; template: Template } {
  const stack = testStack();
  const lake = new SecureBucket(stack, 'Lake');
  const etl = new GlueEtl(stack, 'Etl', {
    schema: pollution,
    lakeBucket: lake.bucket,
    script: GlueJobScript.fromAsset(customScript),
    ...props,
  });
  return { stack, etl, template: Template.fromStack(stack) };
}

function jobArguments(template: Template): Record<string, string> {
  const job = Object.values(template.findResources('AWS::Glue::Job'))[0] as any;
  return job.Properties.DefaultArguments;
}

function roleStatements(template: Template, roleLogicalIdPrefix: string): any[] {
  const policies = template.findResources('AWS::IAM::Policy');
  return Object.values(policies)
    .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref.startsWith(roleLogicalIdPrefix)))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe('GlueEtl defaults', () => {
  test('a database and the raw and curated tables from the schema', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'freshet_pollution' } });
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'pollution_raw',
        PartitionKeys: ['year', 'month', 'day', 'hour'].map((name) => ({ Name: name, Type: 'string' })),
        Parameters: Match.objectLike({ 'projection.enabled': 'true', 'projection.hour.range': '0,23', 'projection.month.digits': '2' }),
        StorageDescriptor: Match.objectLike({
          Columns: [
            { Name: 'device_id', Type: 'string' },
            { Name: 'ozone', Type: 'double' },
            { Name: 'nitrogen_dioxide', Type: 'double' },
            { Name: 'timestamp', Type: 'timestamp' },
          ],
          SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
          Location: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^LakeBucket') }, '/raw/pollution/']] },
        }),
      }),
    });
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'pollution_curated',
        PartitionKeys: ['year', 'month', 'day'].map((name) => ({ Name: name, Type: 'string' })),
        StorageDescriptor: Match.objectLike({
          SerdeInfo: { SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
          Location: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^LakeBucket') }, '/curated/pollution/']] },
        }),
      }),
    });
    for (const resource of Object.values(template.findResources('AWS::Glue::Table'))) {
      expect((resource as any).DeletionPolicy).toBe('Retain');
    }
  });

  test('a Glue 5 PySpark job with bookmarks, the schema and the lake layout as arguments', () => {
    const { template, etl } = build();
    template.hasResourceProperties('AWS::Glue::Job', {
      GlueVersion: '5.0',
      WorkerType: 'G.1X',
      NumberOfWorkers: 2,
      Timeout: 60,
      MaxRetries: 0,
      ExecutionProperty: { MaxConcurrentRuns: 1 },
      Command: { Name: 'glueetl', PythonVersion: '3' },
      SecurityConfiguration: Match.anyValue(),
    });
    const args = jobArguments(template);
    expect(args['--job-bookmark-option']).toBe('job-bookmark-enable');
    expect(JSON.parse(args['--schema'])).toEqual(pollution.toSpec());
    expect(args['--raw_prefix']).toBe('raw/pollution/');
    expect(args['--curated_prefix']).toBe('curated/pollution/');
    expect(args['--rejected_prefix']).toBe('rejected/etl/pollution/');
    expect(args['--curated_table']).toEqual({ Ref: expect.stringMatching(/^EtlTablesCurated/) });
    expect(args['--derived_columns']).toBe('[]');
    expect(args['--dq_ruleset']).toBeUndefined();
    expect(etl.rawPrefix).toBe('raw/pollution/');
    expect(etl.dataQualityRuleset).toBeUndefined();
    expect(etl.rawCrawler).toBeUndefined();
    expect(etl.scheduleTrigger).toBeUndefined();
    template.resourceCountIs('AWS::Glue::Trigger', 0);
    template.resourceCountIs('AWS::Glue::Crawler', 0);
  });

  test('the security configuration encrypts S3 output with the lake key, and logs and bookmarks with the job key', () => {
    const { template } = build();
    template.hasResourceProperties('AWS::Glue::SecurityConfiguration', {
      EncryptionConfiguration: {
        S3Encryptions: [{ S3EncryptionMode: 'SSE-KMS', KmsKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeKey'), 'Arn'] } }],
        CloudWatchEncryption: { CloudWatchEncryptionMode: 'SSE-KMS', KmsKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EtlJobKey'), 'Arn'] } },
        JobBookmarksEncryption: { JobBookmarksEncryptionMode: 'CSE-KMS', KmsKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EtlJobKey'), 'Arn'] } },
      },
    });
  });

  test('the job role reads raw, writes curated and rejected, and nothing else in the lake', () => {
    const { template } = build();
    const statements = roleStatements(template, 'EtlJobRole');
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid);
    expect(JSON.stringify(bySid('ReadRaw').Resource)).toContain('/raw/pollution/*');
    expect(bySid('WriteCuratedAndRejected').Action).toEqual(['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload']);
    const written = JSON.stringify(bySid('WriteCuratedAndRejected').Resource);
    expect(written).toContain('/curated/pollution/*');
    expect(written).toContain('/rejected/etl/pollution/*');
    expect(written).not.toContain('/raw/');
    expect(bySid('ListOwnPrefixes').Condition).toEqual({
      StringLike: { 's3:prefix': ['raw/pollution/*', 'curated/pollution/*', 'rejected/etl/pollution/*'] },
    });
    expect(bySid('JobMetrics').Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': ['Glue', 'Freshet/Etl'] } });
    for (const statement of statements) {
      expect([].concat(statement.Action).some((a: string) => a === '*' || a.endsWith(':*'))).toBe(false);
    }
  });

  test('a failed run matches the rule and raises the alarm', () => {
    const { template, etl } = build();
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.glue'],
        'detail-type': ['Glue Job State Change'],
        'detail': { jobName: [{ Ref: Match.stringLikeRegexp('^EtlJob') }], state: ['FAILED', 'TIMEOUT', 'ERROR'] },
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Events',
      MetricName: 'TriggeredRules',
      Dimensions: [{ Name: 'RuleName', Value: { Ref: Match.stringLikeRegexp('^EtlRunFailed') } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(etl.alarms.alarms.map((a) => a.node.id)).toEqual(['FailedRuns', 'DuplicateShare']);
  });

  test('the job publishes its run metrics, and a run that drops more than 20% of its valid rows as duplicates raises an alarm', () => {
    const { template } = build();
    expect(jobArguments(template)['--metrics_namespace']).toBe('Freshet/Etl');
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Freshet/Etl',
      MetricName: 'DuplicateShare',
      Dimensions: [{ Name: 'Dataset', Value: 'pollution' }],
      Statistic: 'Maximum',
      Period: 3600,
      Threshold: 20,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm')).find((a: any) => a.Properties.MetricName === 'DuplicateShare');
    expect(JSON.stringify(alarm)).toContain('set idColumn to a unique record id');
  });

  test('the duplicate share threshold is a prop, and the alarm can be off', () => {
    build({ alarms: { duplicateShare: { threshold: 50, evaluationPeriods: 2 } } }).template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DuplicateShare', Threshold: 50, EvaluationPeriods: 2,
    });
    const off = build({ alarms: { duplicateShare: { enabled: false } } });
    expect(off.etl.alarms.alarms.map((a) => a.node.id)).toEqual(['FailedRuns']);
  });

  test('every alarm notifies the construct\'s own encrypted topic when no topic is given', () => {
    const { template, etl } = build();
    const topics = Object.keys(template.findResources('AWS::SNS::Topic'));
    expect(topics).toHaveLength(1);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[];
    expect(alarms).toHaveLength(2);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topics[0] }]);
    expect(etl.alarms.alarmTopic).toBeDefined();
  });
});

describe('GlueEtl options', () => {
  test('the packaged script: the entry point as a file asset, its freshet_etl modules zipped as --extra-py-files, both readable by the job', () => {
    const stack = testStack();
    const lake = new SecureBucket(stack, 'Lake');
    new GlueEtl(stack, 'Etl', { schema: pollution, lakeBucket: lake.bucket });
    const template = Template.fromStack(stack);
    const job = Object.values(template.findResources('AWS::Glue::Job'))[0] as any;
    expect(JSON.stringify(job.Properties.Command.ScriptLocation)).toMatch(/\.py"/);
    expect(JSON.stringify(job.Properties.DefaultArguments['--extra-py-files'])).toMatch(/\.zip"/);
    const zip = stack.node.findAll().find((c): c is s3assets.Asset => c instanceof s3assets.Asset && c.isZipArchive)!;
    expect(zip).toBeDefined();
    const staged = path.join((stack.node.root as App).synth().directory, `asset.${zip.assetHash}`);
    expect(fs.readdirSync(staged)).toEqual(['freshet_etl']);
    expect(fs.readdirSync(path.join(staged, 'freshet_etl'))).toContain('__init__.py');
    const readable = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(readable).toContain(zip.s3ObjectKey.split('.')[0]);
  });

  test('derived columns join the curated table and the job arguments', () => {
    const { template } = build({ derivedColumns: [{ name: 'hour', derivation: Derivation.HOUR, source: 'timestamp' }] });
    expect(JSON.parse(jobArguments(template)['--derived_columns'])).toEqual([{ name: 'hour', derivation: 'hour', source: 'timestamp' }]);
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'pollution_curated',
        StorageDescriptor: Match.objectLike({ Columns: Match.arrayWith([{ Name: 'hour', Type: 'int' }]) }),
      }),
    });
  });

  test('a data quality ruleset from the schema, evaluated by the job', () => {
    const { template } = build({ dataQuality: { valueRanges: [{ column: 'ozone', min: 0, max: 500 }] } });
    const ruleset = (Object.values(template.findResources('AWS::Glue::DataQualityRuleset'))[0] as any).Properties;
    expect(ruleset.TargetTable.TableName).toEqual({ Ref: expect.stringMatching(/^EtlTablesCurated/) });
    for (const rule of ['IsComplete "device_id"', 'IsComplete "ozone"', 'ColumnDataType "ozone" = "FRACTIONAL"', 'ColumnValues "ozone" between 0 and 500']) {
      expect(ruleset.Ruleset).toContain(rule);
    }
    expect(ruleset.Ruleset).not.toContain('IsComplete "nitrogen_dioxide"');
    expect(jobArguments(template)['--dq_ruleset']).toBe(ruleset.Ruleset);
  });

  test('a schedule creates a started trigger; a crawler crawls only the raw prefix', () => {
    const { template } = build({ schedule: 'cron(15 * * * ? *)', rawCrawler: { schedule: 'cron(0 3 * * ? *)' } });
    template.hasResourceProperties('AWS::Glue::Trigger', {
      Type: 'SCHEDULED',
      Schedule: 'cron(15 * * * ? *)',
      StartOnCreation: true,
      Actions: [Match.objectLike({ JobName: { Ref: Match.stringLikeRegexp('^EtlJob') } })],
    });
    template.hasResourceProperties('AWS::Glue::Crawler', {
      TablePrefix: 'crawled_',
      Schedule: { ScheduleExpression: 'cron(0 3 * * ? *)' },
      RecrawlPolicy: { RecrawlBehavior: 'CRAWL_NEW_FOLDERS_ONLY' },
      Targets: { S3Targets: [{ Path: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^LakeBucket') }, '/raw/pollution/']] } }] },
      CrawlerSecurityConfiguration: Match.anyValue(),
    });
  });

  test('worker type, count, timeout, retries, database and raw prefix are props', () => {
    const { template, etl } = build({
      workerType: glue.WorkerType.G_2X,
      numberOfWorkers: 5,
      timeout: Duration.minutes(30),
      maxRetries: 2,
      databaseName: 'lake',
      rawPrefix: 'landing/json/',
    });
    template.hasResourceProperties('AWS::Glue::Job', { WorkerType: 'G.2X', NumberOfWorkers: 5, Timeout: 30, MaxRetries: 2 });
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'lake' } });
    expect(jobArguments(template)['--raw_prefix']).toBe('landing/json/');
    expect(etl.rawPrefix).toBe('landing/json/');
  });

  test('startJobRunTask runs the job synchronously with the run id', () => {
    const { stack, etl } = build();
    const machine = new sfn.StateMachine(stack, 'Machine', {
      definitionBody: sfn.DefinitionBody.fromChainable(etl.startJobRunTask(stack, 'Curate', { runIdPath: '$.runId' })),
    });
    const parts = stack.resolve((machine.node.defaultChild as sfn.CfnStateMachine).definitionString)['Fn::Join'][1];
    const definition = parts.map((p: unknown) => (typeof p === 'string' ? p : '<ref>')).join('');
    const state = JSON.parse(definition.replace(/"<ref>"/g, '"ref"').replace(/<ref>/g, 'ref')).States.Curate;
    expect(state.Resource).toBe('arn:ref:states:::glue:startJobRun.sync');
    expect(state.Parameters.Arguments).toEqual({ '--run_id.$': '$.runId' });
    expect(state.ResultSelector).toEqual({ 'jobRunId.$': '$.Id', 'jobRunState.$': '$.JobRunState' });
  });

  test('grantStartRun grants start and status on this job only', () => {
    const stack = testStack();
    const etl = new GlueEtl(stack, 'Etl', { schema: pollution, lakeBucket: new SecureBucket(stack, 'Lake').bucket, script: GlueJobScript.fromAsset(customScript) });
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
    etl.grantStartRun(role);
    const statements = roleStatements(Template.fromStack(stack), 'Caller');
    expect(statements).toEqual([
      expect.objectContaining({
        Action: ['glue:StartJobRun', 'glue:GetJobRun', 'glue:GetJobRuns', 'glue:BatchStopJobRun'],
        Resource: expect.objectContaining({ 'Fn::Join': expect.anything() }),
      }),
    ]);
  });
});

describe('GlueEtl validation says what to change', () => {
  test.each([
    [{ derivedColumns: [{ name: 'ozone', derivation: Derivation.HOUR, source: 'timestamp' }] }, "derived column 'ozone' clashes with a schema column"],
    [{ derivedColumns: [{ name: 'hour', derivation: Derivation.HOUR, source: 'time' }] }, "reads 'time', which is not a column"],
    [{ derivedColumns: [{ name: 'hour', derivation: Derivation.HOUR, source: 'device_id' }] }, "reads 'device_id', a string: derivations read timestamp columns."],
    [{ numberOfWorkers: 1 }, 'numberOfWorkers is 1: a Spark job needs a whole number of at least 2.'],
    [{ maxRetries: 11 }, 'maxRetries is 11: use a whole number from 0 to 10.'],
    [{ rawPrefix: 'raw/pollution' }, "rawPrefix 'raw/pollution' must end with '/'"],
    [{ schedule: 'rate(1 hour)' }, "schedule 'rate(1 hour)' must be a cron expression"],
    [{ dataQuality: { valueRanges: [{ column: 'device_id', min: 0 }] } }, "'device_id' is a string; ranges apply to int, bigint and double columns only."],
    [{ dataQuality: { valueRanges: [{ column: 'ozone', min: 5, max: 1 }] } }, 'has min 5 above max 1: swap them.'],
    [{ dataQuality: { valueRanges: [{ column: 'ozone' }] } }, 'sets neither min nor max'],
  ] as Array<[Partial<GlueEtlProps>, string]>)('%j', (props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});

describe('GlueEtl compliance', () => {
  test.each([
    ['defaults', {}],
    ['every option', {
      derivedColumns: [{ name: 'hour', derivation: Derivation.HOUR, source: 'timestamp' }],
      dataQuality: { valueRanges: [{ column: 'ozone', min: 0, max: 500 }] },
      schedule: 'cron(15 * * * ? *)',
      rawCrawler: { schedule: 'cron(0 3 * * ? *)' },
      alarms: { alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:alerts' },
    }],
  ] as Array<[string, Partial<GlueEtlProps>]>)('%s: no unacknowledged nag errors, cfn-lint clean', (_name, props) => {
    const { stack, template } = build(props);
    expect(formatFindings(nagFindings(stack))).toBe('');
    expect(formatCfnLint(cfnLint([template.toJSON()]))).toBe('');
  });
});
