import { DataRemovalPolicy } from '@freshet/core';
import { testStack } from '@freshet/test-utils';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { RedshiftWarehouseProps, UsageLimitBreachAction, UsageLimitPeriod, WarehouseCompute } from '../src';
import { buildWarehouse, definitionOf, only, pollution, resourcesOf, stocks } from './fixtures/stocks';
import { TableDdlPropertiesParser } from '../src/handlers/table-ddl/table-ddl-properties';

function template(props: Partial<RedshiftWarehouseProps> = {}, stack?: Stack) {
  const built = buildWarehouse(props, stack);
  return { ...built, template: Template.fromStack(built.stack) };
}

/** The statements of the policies attached to roles whose logical id starts with a prefix. */
function statementsOfRole(t: Template, rolePrefix: string): any[] {
  return Object.values(resourcesOf(t, 'AWS::IAM::Policy'))
    .filter((p: any) => (p.Properties.Roles ?? []).some((r: any) => r.Ref?.startsWith(rolePrefix)))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

/** The usage limit custom resource's SDK call for one request type. */
function usageLimitCall(t: Template, type: 'Create' | 'Update'): any {
  const resource = only(t, 'Custom::FreshetRedshiftServerlessUsageLimit');
  const value = resource.Properties[type];
  const text = typeof value === 'string' ? value : value['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : 'REF')).join('');
  return JSON.parse(text);
}

describe('RedshiftWarehouse defaults: Serverless', () => {
  const { template: t, warehouse } = template();

  test('a namespace whose admin password Redshift generates and keeps, encrypted with a retained customer key', () => {
    const namespace = only(t, 'AWS::RedshiftServerless::Namespace');
    expect(namespace.DeletionPolicy).toBe('Retain');
    expect(namespace.UpdateReplacePolicy).toBe('Retain');
    expect(namespace.Properties).toEqual({
      NamespaceName: expect.stringMatching(/^freshet-stocks-[a-z0-9]{8}$/),
      DbName: 'freshet',
      AdminUsername: 'freshet_admin',
      ManageAdminPassword: true,
      AdminPasswordSecretKmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^WarehouseKey/), 'Arn'] },
      KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^WarehouseKey/), 'Arn'] },
      IamRoles: [{ 'Fn::GetAtt': [expect.stringMatching(/^WarehouseLakeRole/), 'Arn'] }],
      DefaultIamRoleArn: { 'Fn::GetAtt': [expect.stringMatching(/^WarehouseLakeRole/), 'Arn'] },
      LogExports: ['connectionlog', 'useractivitylog', 'userlog'],
    });
    const key = Object.entries(resourcesOf(t, 'AWS::KMS::Key')).find(([id]) => id.startsWith('WarehouseKey'))![1] as any;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
  });

  test('a private workgroup of 8 RPUs with enhanced VPC routing, TLS required and user activity logged', () => {
    const workgroup = only(t, 'AWS::RedshiftServerless::Workgroup');
    expect(workgroup.Properties).toEqual({
      WorkgroupName: expect.stringMatching(/^freshet-stocks-[a-z0-9]{8}$/),
      NamespaceName: { Ref: expect.stringMatching(/^WarehouseNamespace/) },
      BaseCapacity: 8,
      EnhancedVpcRouting: true,
      PubliclyAccessible: false,
      SubnetIds: [1, 2, 3].map((n) => ({ Ref: expect.stringMatching(new RegExp(`^WarehouseVpcwarehouseSubnet${n}`)) })),
      SecurityGroupIds: [{ 'Fn::GetAtt': [expect.stringMatching(/^WarehouseSecurityGroup/), 'GroupId'] }],
      ConfigParameters: [
        { ParameterKey: 'require_ssl', ParameterValue: 'true' },
        { ParameterKey: 'enable_user_activity_logging', ParameterValue: 'true' },
      ],
    });
    expect(warehouse.namespace).toBeDefined();
    expect(warehouse.cluster).toBeUndefined();
  });

  test('a usage limit of 24 RPU-hours a day that deactivates the workgroup, updated in place', () => {
    const create = usageLimitCall(t, 'Create');
    expect(create.action).toBe('CreateUsageLimit');
    expect(create.parameters).toEqual({ resourceArn: 'REF', usageType: 'serverless-compute', period: 'daily', amount: 24, breachAction: 'deactivate' });
    const update = usageLimitCall(t, 'Update');
    expect(update.action).toBe('UpdateUsageLimit');
    expect(update.parameters).toEqual({ usageLimitId: 'PHYSICAL:RESOURCEID:', amount: 24, breachAction: 'deactivate' });
    const resource = only(t, 'Custom::FreshetRedshiftServerlessUsageLimit');
    expect(JSON.stringify(resource.Properties.Create)).toContain('WarehouseWorkgroup');
  });

  test('a VPC of three isolated subnets, with flow logs and an S3 gateway endpoint, and no NAT or internet gateway', () => {
    t.resourceCountIs('AWS::EC2::Subnet', 3);
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    t.resourceCountIs('AWS::EC2::InternetGateway', 0);
    for (const subnet of Object.values(resourcesOf(t, 'AWS::EC2::Subnet')) as any[]) {
      expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
      expect(subnet.Properties.AvailabilityZone).toEqual({ 'Fn::Select': [expect.any(Number), { 'Fn::GetAZs': '' }] });
    }
    t.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] },
    });
    expect(warehouse.createdVpc).toBeDefined();
    expect(warehouse.s3Endpoint).toBeDefined();
    expect(warehouse.flowLogGroup).toBeDefined();
    expect(warehouse.kinesisEndpoint).toBeUndefined();
  });

  test('the S3 endpoint lets only the lake role reach only the lake bucket, with the calls COPY and UNLOAD make', () => {
    const endpoint = only(t, 'AWS::EC2::VPCEndpoint');
    const lakeRole = Object.keys(resourcesOf(t, 'AWS::IAM::Role')).find((id) => id.startsWith('WarehouseLakeRole'))!;
    const lakeBucket = Object.keys(resourcesOf(t, 'AWS::S3::Bucket')).find((id) => id.startsWith('Lake') && !id.includes('AccessLogs'))!;
    expect(endpoint.Properties.PolicyDocument.Statement).toEqual([
      {
        Sid: 'LakeBucketOnlyForTheLakeRole',
        Effect: 'Allow',
        Principal: { AWS: { 'Fn::GetAtt': [lakeRole, 'Arn'] } },
        Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListBucket', 's3:GetBucketLocation'],
        Resource: [
          { 'Fn::GetAtt': [lakeBucket, 'Arn'] },
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [lakeBucket, 'Arn'] }, '/*']] },
        ],
      },
    ]);
    // Everything COPY and UNLOAD need from S3 is inside the endpoint's allowance.
    const lakeActions = statementsOfRole(t, 'WarehouseLakeRole').flatMap((st: any) => [].concat(st.Action)).filter((a: string) => a.startsWith('s3:'));
    expect(lakeActions.length).toBeGreaterThan(0);
    for (const action of lakeActions) expect(endpoint.Properties.PolicyDocument.Statement[0].Action).toContain(action);
  });

  test('the audit logs go to log groups the construct owns: encrypted with the warehouse key, kept a year, made before the namespace', () => {
    const namespace = Object.entries(resourcesOf(t, 'AWS::RedshiftServerless::Namespace'))[0];
    const namespaceName = (namespace[1] as any).Properties.NamespaceName;
    const groups = Object.entries(resourcesOf(t, 'AWS::Logs::LogGroup')).filter(([, g]: any) => String(g.Properties.LogGroupName ?? '').startsWith('/aws/redshift/'));
    expect(groups.map(([, g]: any) => g.Properties.LogGroupName).sort()).toEqual(
      ['connectionlog', 'useractivitylog', 'userlog'].map((type) => `/aws/redshift/${namespaceName}/${type}`),
    );
    const keyId = Object.keys(resourcesOf(t, 'AWS::KMS::Key')).find((id) => id.startsWith('WarehouseKey'))!;
    for (const [id, group] of groups as any[]) {
      expect(group.Properties.RetentionInDays).toBe(365);
      expect(group.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
      expect(group.DeletionPolicy).toBe('Retain');
      expect((namespace[1] as any).DependsOn).toContain(id);
    }
    expect(Object.keys(warehouse.auditLogGroups).sort()).toEqual(['connectionlog', 'useractivitylog', 'userlog']);
  });

  test('synthesizes in an account and region with no Availability Zone lookup, so the CDK CLI needs no AWS credentials', () => {
    // The stack is environment-specific (testStack), where reading Stack.availabilityZones records a missing context.
    const stack = Stack.of(warehouse);
    expect(stack.account).toBe('123456789012');
    const assembly = (stack.node.root as App).synth();
    expect(assembly.manifest.missing ?? []).toEqual([]);
    expect(Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AWS calls|lookup'))).toEqual([]);
    // Three zones, each the deploy-time Fn::GetAZs pick of a different index.
    const zones = Object.values(resourcesOf(t, 'AWS::EC2::Subnet')).map((s: any) => s.Properties.AvailabilityZone['Fn::Select'][0]);
    expect(zones.sort()).toEqual([0, 1, 2]);
  });

  test('the security group lets nothing in, and only HTTPS out', () => {
    const group = Object.entries(resourcesOf(t, 'AWS::EC2::SecurityGroup')).find(([id]) => id.startsWith('WarehouseSecurityGroup'))![1] as any;
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    expect(group.Properties.SecurityGroupEgress).toEqual([
      { CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: expect.stringContaining('HTTPS') },
    ]);
    t.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  test('the lake role reads the curated prefix, writes the snapshot prefix, and touches nothing else', () => {
    const role = Object.entries(resourcesOf(t, 'AWS::IAM::Role')).find(([id]) => id.startsWith('WarehouseLakeRole'))![1] as any;
    const principals = role.Properties.AssumeRolePolicyDocument.Statement.flatMap((s: any) => [].concat(s.Principal.Service));
    expect(principals.sort()).toEqual(['redshift-serverless.amazonaws.com', 'redshift.amazonaws.com']);
    const statements = statementsOfRole(t, 'WarehouseLakeRole');
    const bySid = (sid: string) => statements.find((s) => s.Sid === sid);
    expect(bySid('ReadCurated').Action).toBe('s3:GetObject');
    expect(JSON.stringify(bySid('ReadCurated').Resource)).toContain('/curated/stocks/*');
    expect(bySid('WriteSnapshots').Action).toEqual(['s3:PutObject', 's3:AbortMultipartUpload']);
    expect(JSON.stringify(bySid('WriteSnapshots').Resource)).toContain('/snapshots/stocks/*');
    expect(JSON.stringify(bySid('WriteSnapshots').Resource)).not.toContain('curated');
    expect(bySid('ListOwnPrefixes').Condition).toEqual({ StringLike: { 's3:prefix': ['curated/stocks/*', 'snapshots/stocks/*'] } });
    expect(bySid('LakeKey').Action).toEqual(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']);
    expect(bySid('LakeKey').Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^LakeKey/), 'Arn'] });
    for (const statement of statements) {
      expect([].concat(statement.Action).every((a: string) => !a.includes('*'))).toBe(true);
    }
  });

  test('the table custom resource carries the schema, the workgroup and the managed secret', () => {
    const table = only(t, 'Custom::FreshetRedshiftTable');
    expect(table.Properties).toEqual({
      ServiceToken: { 'Fn::GetAtt': [expect.stringMatching(/^WarehouseTableDdlProviderframeworkonEvent/), 'Arn'] },
      Database: 'freshet',
      WorkgroupName: { 'Fn::GetAtt': [expect.stringMatching(/^WarehouseWorkgroup/), 'Workgroup.WorkgroupName'] },
      SecretArn: { 'Fn::GetAtt': [expect.stringMatching(/^WarehouseAdminSecretGetNamespace/), 'namespace.adminPasswordSecretArn'] },
      SchemaName: 'freshet',
      TableName: 'stocks',
      Columns: expect.any(String),
    });
    expect(JSON.parse(table.Properties.Columns)).toEqual([
      { name: 'ticker_symbol', type: 'string', nullable: false, maxLength: 16 },
      { name: 'sector', type: 'string', nullable: false, maxLength: 256 },
      { name: 'change', type: 'double', nullable: false },
      { name: 'price', type: 'double', nullable: false },
    ]);
    expect(table.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^WarehouseWorkgroup/), expect.stringMatching(/^WarehouseUsageLimit/)]));
    const getNamespace = only(t, 'Custom::FreshetRedshiftAdminSecret');
    expect(JSON.stringify(getNamespace.Properties.Create)).toContain('\\"action\\":\\"GetNamespace\\"');
    expect(JSON.stringify(getNamespace.Properties.Create)).toContain('namespace.adminPasswordSecretArn');
  });

  test('the DDL function runs on Node 22 or later, traced, logging to an encrypted log group', () => {
    const fn = Object.entries(resourcesOf(t, 'AWS::Lambda::Function')).find(([id]) => id.startsWith('WarehouseTableDdlFunction'))![1] as any;
    expect(fn.Properties.Runtime).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
    expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    expect(fn.Properties.Timeout).toBe(600);
    expect(fn.Properties.LoggingConfig.LogGroup).toEqual({ Ref: expect.stringMatching(/^WarehouseTableDdlLogs/) });
    const logs = Object.entries(resourcesOf(t, 'AWS::Logs::LogGroup')).find(([id]) => id.startsWith('WarehouseTableDdlLogs'))![1] as any;
    expect(logs.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^WarehouseKey/), 'Arn'] });
    expect(logs.DeletionPolicy).toBe('Retain');
  });

  test("the DDL role runs statements on this workgroup only, and reads only its own statements' status", () => {
    const statements = statementsOfRole(t, 'WarehouseTableDdlRole');
    const byAction = (action: string) => statements.find((s) => [].concat(s.Action).includes(action as never));
    expect(byAction('redshift-data:ExecuteStatement').Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^WarehouseWorkgroup/), 'Workgroup.WorkgroupArn'] });
    expect(byAction('redshift-data:DescribeStatement')).toEqual(expect.objectContaining({
      Resource: '*',
      Condition: { StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' } },
    }));
    expect(byAction('secretsmanager:GetSecretValue').Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^WarehouseAdminSecret/), 'namespace.adminPasswordSecretArn'] });
    expect(byAction('kms:Decrypt').Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^WarehouseKey/), 'Arn'] });
    expect(byAction('redshift-serverless:GetCredentials')).toBeUndefined();
    for (const statement of statements) {
      expect([].concat(statement.Action).some((a: string) => a === '*' || a.endsWith(':*'))).toBe(false);
    }
  });

  test('failed statements of this warehouse match a rule and raise an alarm; compute use is alarmed at 80% of the limit', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.redshift-data'],
        'detail-type': ['Redshift Data Statement Status Change'],
        'detail': { statementName: [{ prefix: 'freshet.stocks.' }], state: ['FAILED', 'ABORTED'] },
      },
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Events',
      MetricName: 'TriggeredRules',
      Dimensions: [{ Name: 'RuleName', Value: { Ref: Match.stringLikeRegexp('^WarehouseStatementFailed') } }],
      Threshold: 0,
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 19.2,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'computeSeconds / 3600' }),
        Match.objectLike({
          Id: 'computeSeconds',
          MetricStat: Match.objectLike({
            Metric: { Namespace: 'AWS/Redshift-Serverless', MetricName: 'ComputeSeconds', Dimensions: [{ Name: 'Workgroup', Value: Match.stringLikeRegexp('^freshet-stocks-') }] },
            Period: 86400,
            Stat: 'Sum',
          }),
        }),
      ]),
    });
    expect(warehouse.alarms.alarms.map((a) => a.node.id)).toEqual(['FailedStatements', 'ComputeUsage']);
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    t.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    expect(warehouse.streamingView).toBeUndefined();
    expect(warehouse.streamingRole).toBeUndefined();
  });

  test('every alarm notifies the warehouse\'s own encrypted topic when no topic is given', () => {
    const topicId = t.findResources('AWS::SNS::Topic');
    expect(Object.keys(topicId)).toHaveLength(1);
    const alarms = Object.values(resourcesOf(t, 'AWS::CloudWatch::Alarm')) as any[];
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: Object.keys(topicId)[0] }]);
    expect(warehouse.alarms.alarmTopic).toBeDefined();
  });

  test('no password appears anywhere in the template: only the managed-secret switches and key ids', () => {
    const text = JSON.stringify(t.toJSON());
    const mentions = [...text.matchAll(/[A-Za-z]*password[A-Za-z]*/gi)].map((m) => m[0]);
    expect(new Set(mentions)).toEqual(new Set(['ManageAdminPassword', 'AdminPasswordSecretKmsKeyId', 'adminPasswordSecretArn']));
    expect(text).not.toContain('AdminUserPassword');
    expect(text).not.toContain('{{resolve:');
    t.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });
});

describe('RedshiftWarehouse defaults: the table from the schema', () => {
  test('an id column distributes the table and an event-time column sorts it', () => {
    const { template: t } = template({ schema: pollution });
    const table = only(t, 'Custom::FreshetRedshiftTable');
    expect(table.Properties.TableName).toBe('pollution');
    expect(table.Properties.DistKey).toBe('reading_id');
    expect(JSON.parse(table.Properties.SortKeys)).toEqual(['timestamp']);
    expect(JSON.parse(table.Properties.Columns)).toContainEqual({ name: 'nitrogen_dioxide', type: 'double', nullable: true });
  });

  test('database, schema, table, keys and prefixes are props', () => {
    const { template: t, warehouse } = template({
      schema: pollution,
      databaseName: 'lake',
      schemaName: 'training',
      tableName: 'air',
      distKey: 'device_id',
      sortKeys: ['device_id', 'timestamp'],
      curatedPrefix: 'curated/air/',
      snapshotPrefix: 'exports/air/',
      adminUsername: 'warehouse_admin',
    });
    const table = only(t, 'Custom::FreshetRedshiftTable');
    expect(table.Properties).toEqual(expect.objectContaining({ Database: 'lake', SchemaName: 'training', TableName: 'air', DistKey: 'device_id', SortKeys: '["device_id","timestamp"]' }));
    expect(only(t, 'AWS::RedshiftServerless::Namespace').Properties).toEqual(expect.objectContaining({ DbName: 'lake', AdminUsername: 'warehouse_admin' }));
    expect(warehouse.snapshotQuery).toBe('SELECT "reading_id", "device_id", "ozone", "nitrogen_dioxide", "timestamp" FROM "training"."air"');
    const list = statementsOfRole(t, 'WarehouseLakeRole').find((s) => s.Sid === 'ListOwnPrefixes');
    expect(list.Condition.StringLike['s3:prefix']).toEqual(['curated/air/*', 'exports/air/*']);
  });
});

describe('RedshiftWarehouse options: compute', () => {
  test('Serverless base capacity and a weekly usage limit that emits a metric', () => {
    const { template: t } = template({
      compute: WarehouseCompute.serverless({
        baseCapacityRpu: 32,
        usageLimitRpuHours: 70,
        usageLimitPeriod: UsageLimitPeriod.WEEKLY,
        breachAction: UsageLimitBreachAction.EMIT_METRIC,
      }),
    });
    expect(only(t, 'AWS::RedshiftServerless::Workgroup').Properties.BaseCapacity).toBe(32);
    expect(usageLimitCall(t, 'Create').parameters).toEqual(expect.objectContaining({ period: 'weekly', amount: 70, breachAction: 'emit-metric' }));
    // 70 RPU-hours a week is 10 a day; the alarm warns at 80% of that.
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 8, Metrics: Match.arrayWith([Match.objectLike({ Expression: 'computeSeconds / 3600' })]) });
    expect(Object.keys(resourcesOf(t, 'Custom::FreshetRedshiftServerlessUsageLimit'))[0]).toMatch(/^WarehouseUsageLimitLimitweekly/);
  });

  test.each([4, 8, 24, 512, 544, 1024])('Serverless takes a base capacity of %d RPU, as Redshift Serverless does', (rpu) => {
    const { template: t } = template({ compute: WarehouseCompute.serverless({ baseCapacityRpu: rpu }) });
    expect(only(t, 'AWS::RedshiftServerless::Workgroup').Properties.BaseCapacity).toBe(rpu);
  });

  test('a provisioned cluster: encrypted, private, TLS required, audit logged, non-default port, retained', () => {
    const { template: t, warehouse } = template({ compute: WarehouseCompute.provisioned({ nodeType: 'ra3.xlplus', numberOfNodes: 2 }) });
    t.resourceCountIs('AWS::RedshiftServerless::Namespace', 0);
    t.resourceCountIs('AWS::RedshiftServerless::Workgroup', 0);
    t.resourceCountIs('Custom::FreshetRedshiftServerlessUsageLimit', 0);
    t.resourceCountIs('Custom::FreshetRedshiftAdminSecret', 0);
    const cluster = only(t, 'AWS::Redshift::Cluster');
    expect(cluster.DeletionPolicy).toBe('Retain');
    expect(cluster.Properties).toEqual(expect.objectContaining({
      ClusterType: 'multi-node',
      NodeType: 'ra3.xlplus',
      NumberOfNodes: 2,
      DBName: 'freshet',
      MasterUsername: 'freshet_admin',
      ManageMasterPassword: true,
      MasterPasswordSecretKmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^WarehouseKey/), 'Arn'] },
      Encrypted: true,
      KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^WarehouseKey/), 'Arn'] },
      PubliclyAccessible: false,
      EnhancedVpcRouting: true,
      Port: 5440,
      LoggingProperties: { LogDestinationType: 'cloudwatch', LogExports: ['connectionlog', 'useractivitylog', 'userlog'] },
      AutomatedSnapshotRetentionPeriod: 7,
      PreferredMaintenanceWindow: 'sun:03:00-sun:03:30',
      AllowVersionUpgrade: true,
    }));
    expect(cluster.Properties.MasterUserPassword).toBeUndefined();
    t.hasResourceProperties('AWS::Redshift::ClusterParameterGroup', {
      ParameterGroupFamily: 'redshift-1.0',
      Parameters: [
        { ParameterName: 'require_ssl', ParameterValue: 'true' },
        { ParameterName: 'enable_user_activity_logging', ParameterValue: 'true' },
      ],
    });
    expect(only(t, 'AWS::Redshift::ClusterSubnetGroup').Properties.SubnetIds).toHaveLength(3);
    const table = only(t, 'Custom::FreshetRedshiftTable');
    expect(table.Properties.ClusterIdentifier).toEqual({ Ref: expect.stringMatching(/^WarehouseCluster/) });
    expect(table.Properties.WorkgroupName).toBeUndefined();
    expect(table.Properties.SecretArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^WarehouseCluster/), 'MasterPasswordSecretArn'] });
    expect(warehouse.alarms.alarms.map((a) => a.node.id)).toEqual(['FailedStatements', 'CpuUtilization', 'DiskSpaceUsed']);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/Redshift', MetricName: 'CPUUtilization', Threshold: 90, EvaluationPeriods: 3 });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/Redshift', MetricName: 'PercentageDiskSpaceUsed', Threshold: 80 });
    const ddl = statementsOfRole(t, 'WarehouseTableDdlRole').find((s) => [].concat(s.Action).includes('redshift-data:ExecuteStatement' as never));
    expect(JSON.stringify(ddl.Resource)).toContain(':cluster:');
    const text = JSON.stringify(t.toJSON());
    expect(new Set([...text.matchAll(/[A-Za-z]*password[A-Za-z]*/gi)].map((m) => m[0]))).toEqual(new Set(['ManageMasterPassword', 'MasterPasswordSecretKmsKeyId', 'MasterPasswordSecretArn']));
  });

  test('a single-node cluster leaves the node count out', () => {
    const { template: t } = template({ compute: WarehouseCompute.provisioned({ nodeType: 'ra3.large', numberOfNodes: 1 }) });
    const cluster = only(t, 'AWS::Redshift::Cluster');
    expect(cluster.Properties.ClusterType).toBe('single-node');
    expect(cluster.Properties.NumberOfNodes).toBeUndefined();
  });

  test.each([
    [() => WarehouseCompute.serverless({ baseCapacityRpu: 12 }), 'baseCapacityRpu is 12: use 4, a multiple of 8 from 8 to 512, or a multiple of 32 from 512 to 1024 (Redshift Serverless takes no other).'],
    [() => WarehouseCompute.serverless({ baseCapacityRpu: 2 }), 'baseCapacityRpu is 2: use 4'],
    [() => WarehouseCompute.serverless({ baseCapacityRpu: 6 }), 'baseCapacityRpu is 6: use 4'],
    // Above 512 Redshift Serverless steps by 32.
    [() => WarehouseCompute.serverless({ baseCapacityRpu: 520 }), 'baseCapacityRpu is 520: use 4'],
    [() => WarehouseCompute.serverless({ baseCapacityRpu: 2048 }), 'baseCapacityRpu is 2048'],
    [() => WarehouseCompute.serverless({ usageLimitRpuHours: 0 }), 'usageLimitRpuHours is 0: use a whole number of RPU-hours of at least 1.'],
    [() => WarehouseCompute.provisioned({ nodeType: 'm5.large' }), "nodeType 'm5.large' is not a Redshift node type"],
    [() => WarehouseCompute.provisioned({ nodeType: 'ra3.large', numberOfNodes: 0 }), 'numberOfNodes is 0: use a whole number from 1 to 128.'],
    [() => WarehouseCompute.provisioned({ nodeType: 'ra3.4xlarge', numberOfNodes: 1 }), 'ra3.4xlarge runs only as a multi-node cluster'],
    [() => WarehouseCompute.provisioned({ nodeType: 'ra3.large', automatedSnapshotRetentionDays: 0 }), 'automatedSnapshotRetentionDays is 0'],
    [() => WarehouseCompute.provisioned({ nodeType: 'ra3.large', preferredMaintenanceWindow: 'sunday 3am' }), "preferredMaintenanceWindow 'sunday 3am' must look like"],
  ])('compute validation %#', (make, message) => {
    expect(make).toThrow(message);
  });
});

describe('RedshiftWarehouse options: network', () => {
  test('a given VPC is used as is: no VPC, flow log or endpoint is created', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'Shared', { maxAzs: 3, natGateways: 1 });
    const { template: t, warehouse } = template({ vpc }, stack);
    t.resourceCountIs('AWS::EC2::VPC', 1);
    expect(warehouse.createdVpc).toBeUndefined();
    expect(warehouse.s3Endpoint).toBeUndefined();
    expect(warehouse.vpc).toBe(vpc);
    t.resourceCountIs('AWS::EC2::FlowLog', 0);
    t.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    // The shared VPC has no isolated subnets, so the private ones are used, never the public ones.
    const subnets = only(t, 'AWS::RedshiftServerless::Workgroup').Properties.SubnetIds.map((s: any) => s.Ref);
    expect(subnets).toHaveLength(3);
    expect(subnets.every((id: string) => id.startsWith('SharedPrivateSubnet'))).toBe(true);
  });

  test('Serverless refuses fewer than 3 subnets in 3 Availability Zones, and public subnets', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'Small', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'iso', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    expect(() => buildWarehouse({ vpc }, stack)).toThrow('Redshift Serverless needs at least 3 subnets in 3 Availability Zones, but vpcSubnets selects 2 in 2');
    const other = testStack();
    const publicVpc = new ec2.Vpc(other, 'Public', { maxAzs: 3 });
    expect(() => buildWarehouse({ vpc: publicVpc, vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } }, other)).toThrow('vpcSubnets selects public subnets');
  });

  test('a provisioned cluster accepts two subnets', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'Small', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'iso', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const { template: t } = template({ vpc, compute: WarehouseCompute.provisioned({ nodeType: 'ra3.large' }) }, stack);
    expect(only(t, 'AWS::Redshift::ClusterSubnetGroup').Properties.SubnetIds).toHaveLength(2);
  });
});

describe('RedshiftWarehouse options: streaming ingestion', () => {
  function withStream(carriesAggregatedRecords: boolean, extra: Partial<RedshiftWarehouseProps> = {}) {
    const stack = testStack();
    const stream = new kinesis.Stream(stack, 'Stream', { encryption: kinesis.StreamEncryption.KMS });
    return template({ streamingIngestion: { stream, carriesAggregatedRecords }, ...extra }, stack);
  }

  test('an external schema and an auto-refreshed view over the stream, read by a role of its own', () => {
    const { template: t, warehouse } = withStream(false);
    const view = only(t, 'Custom::FreshetRedshiftStatements');
    const statements = JSON.stringify(view.Properties.Statements);
    expect(statements).toContain('CREATE EXTERNAL SCHEMA IF NOT EXISTS \\\\\\"stocks_kinesis\\\\\\" FROM KINESIS IAM_ROLE');
    expect(statements).toContain('CREATE MATERIALIZED VIEW \\\\\\"freshet\\\\\\".\\\\\\"stocks_stream\\\\\\" AUTO REFRESH YES AS SELECT');
    expect(JSON.stringify(view.Properties)).toMatch(/"Ref":"Stream[0-9A-F]+"/);
    expect(view.DependsOn).toEqual([expect.stringMatching(/^WarehouseTable/)]);
    expect(warehouse.streamingViewName).toBe('stocks_stream');
    expect(warehouse.kinesisEndpoint).toBeDefined();

    const read = statementsOfRole(t, 'WarehouseStreamingRole');
    expect(read.find((s) => s.Sid === 'ReadStream')).toEqual(expect.objectContaining({
      Action: ['kinesis:DescribeStreamSummary', 'kinesis:DescribeStream', 'kinesis:GetShardIterator', 'kinesis:GetRecords', 'kinesis:ListShards'],
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Stream/), 'Arn'] },
    }));
    expect(read.find((s) => s.Sid === 'StreamKey').Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^StreamKey/), 'Arn'] });
    expect(only(t, 'AWS::RedshiftServerless::Namespace').Properties.IamRoles).toHaveLength(2);
    // The lake role cannot read the stream, and the streaming role cannot read the lake.
    expect(JSON.stringify(statementsOfRole(t, 'WarehouseLakeRole'))).not.toContain('kinesis:');
    expect(JSON.stringify(read)).not.toContain('s3:');
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Interface', ServiceName: 'com.amazonaws.us-east-1.kinesis-streams', PrivateDnsEnabled: true });
  });

  test('a stream of KPL-aggregated records fails synthesis with what to change', () => {
    expect(() => withStream(true)).toThrow(
      "Redshift streaming ingestion cannot read KPL-aggregated records: the stream carries them because StreamingIngest's csvUploadSource writes aggregated records.",
    );
    expect(() => withStream(true)).toThrow('or drop streamingIngestion and load the lake with copyTask.');
  });

  test('the view name may not be the table name', () => {
    const stack = testStack();
    const stream = new kinesis.Stream(stack, 'Stream');
    expect(() => buildWarehouse({ streamingIngestion: { stream, carriesAggregatedRecords: false, viewName: 'stocks' } }, stack)).toThrow("viewName 'stocks' is the table's name");
  });
});

describe('RedshiftWarehouse options: schedule, alarms, removal', () => {
  test('a COPY schedule runs a logged, traced state machine and alarms on its failures', () => {
    const { template: t, warehouse, stack } = template({ copySchedule: events.Schedule.cron({ minute: '30', hour: '*/6' }) });
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(30 */6 * * ? *)',
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('^WarehouseCopyStateMachine') } })],
    });
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
    const definition = definitionOf(stack, warehouse.copyStateMachine!);
    expect(definition.StartAt).toBe('Copy: Execute');
    expect(definition.States['Copy: Execute'].Parameters.Sqls[0]).toBe('DELETE FROM "freshet"."stocks"');
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/States', MetricName: 'ExecutionsFailed', Threshold: 0 });
    expect(warehouse.alarms.alarms.map((a) => a.node.id)).toContain('FailedScheduledLoads');
  });

  test('alarm thresholds, switches and a topic are props', () => {
    const { template: t, warehouse } = template({
      alarms: {
        alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:oncall',
        failedStatements: { threshold: 2, evaluationPeriods: 3, datapointsToAlarm: 2 },
        computeUsage: { enabled: false },
      },
    });
    expect(warehouse.alarms.alarms.map((a) => a.node.id)).toEqual(['FailedStatements']);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 2,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      AlarmActions: ['arn:aws:sns:us-east-1:123456789012:oncall'],
    });
    const none = template({ alarms: { enabled: false } });
    none.template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  test('DESTROY is ignored without the context switch; with it, the namespace goes and a cluster leaves a final snapshot', () => {
    const guarded = template({ removalPolicy: RemovalPolicy.DESTROY });
    expect(only(guarded.template, 'AWS::RedshiftServerless::Namespace').DeletionPolicy).toBe('Retain');
    Annotations.fromStack(guarded.stack).hasWarning('/Test/Warehouse', Match.stringLikeRegexp('removalPolicy DESTROY was ignored'));

    const allowed = () => {
      const app = new App({ context: { [DataRemovalPolicy.ALLOW_DESTROY_CONTEXT]: true } });
      return new Stack(app, 'Sandbox', { env: { account: '123456789012', region: 'us-east-1' } });
    };
    const serverless = template({ removalPolicy: RemovalPolicy.DESTROY }, allowed());
    expect(only(serverless.template, 'AWS::RedshiftServerless::Namespace').DeletionPolicy).toBe('Delete');
    const provisioned = template({ removalPolicy: RemovalPolicy.DESTROY, compute: WarehouseCompute.provisioned({ nodeType: 'ra3.large' }) }, allowed());
    expect(only(provisioned.template, 'AWS::Redshift::Cluster').DeletionPolicy).toBe('Snapshot');
  });

  test('grantDataApi lets a principal run statements here and read only its own', () => {
    const { stack, warehouse } = buildWarehouse();
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    warehouse.grantDataApi(role);
    const statements = statementsOfRole(Template.fromStack(stack), 'Caller');
    expect(statements).toEqual([
      expect.objectContaining({ Action: ['redshift-data:ExecuteStatement', 'redshift-data:BatchExecuteStatement'], Resource: { 'Fn::GetAtt': [expect.stringMatching(/^WarehouseWorkgroup/), 'Workgroup.WorkgroupArn'] } }),
      expect.objectContaining({
        Action: ['redshift-data:DescribeStatement', 'redshift-data:GetStatementResult', 'redshift-data:CancelStatement'],
        Resource: '*',
        Condition: { StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' } },
      }),
      expect.objectContaining({ Action: 'secretsmanager:GetSecretValue' }),
      expect.objectContaining({ Action: 'kms:Decrypt' }),
    ]);
  });

  test("a state machine with both fragments gets the Data API calls it needs, scoped to this warehouse's workgroup and secret", () => {
    const { stack, warehouse } = buildWarehouse();
    const machine = new sfn.StateMachine(stack, 'Retrain', {
      definitionBody: sfn.DefinitionBody.fromChainable(warehouse.copyTask(stack, 'Load').next(warehouse.unloadSnapshotTask(stack, 'Snapshot'))),
    });
    const definition = definitionOf(stack, machine);
    expect(definition.StartAt).toBe('Load: Execute');
    // The fragments name the secret by ARN only: no user name, password or dynamic reference.
    const text = JSON.stringify(definition);
    expect(new Set([...text.matchAll(/[A-Za-z]*password[A-Za-z]*/gi)].map((m) => m[0]))).toEqual(new Set(['adminPasswordSecretArn']));
    expect(text).not.toContain('freshet_admin');
    expect(text).not.toContain('{{resolve:');
    expect(definition.States['Load: Done'].Next).toBe('Snapshot: RunIdSafe?');
    const statements = statementsOfRole(Template.fromStack(stack), 'RetrainRole');
    const actions = statements.flatMap((s) => [].concat(s.Action));
    expect(new Set(actions)).toEqual(new Set([
      'redshift-data:BatchExecuteStatement',
      'redshift-data:ExecuteStatement',
      'redshift-data:DescribeStatement',
      'redshift-data:CancelStatement',
      'secretsmanager:GetSecretValue',
      'kms:Decrypt',
    ]));
    const execute = statements.find((s) => [].concat(s.Action).includes('redshift-data:ExecuteStatement' as never));
    expect(execute.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^WarehouseWorkgroup/), 'Workgroup.WorkgroupArn'] });
    // Status polling takes no resource ARN: every grant on * is limited to the role's own statements.
    const polling = statements.filter((s) => s.Resource === '*');
    expect(polling.flatMap((s) => [].concat(s.Action)).sort()).toEqual(['redshift-data:CancelStatement', 'redshift-data:DescribeStatement']);
    // Any session of this role (Step Functions may poll from another session than the one that executed).
    for (const s of polling) {
      expect(s.Condition).toEqual({
        StringLike: { 'redshift-data:statement-owner-iam-userid': { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^RetrainRole/), 'RoleId'] }, ':*']] } },
      });
    }
  });
});

describe('RedshiftWarehouse validation says what to change', () => {
  test.each([
    [{ databaseName: 'Freshet' }, "databaseName 'Freshet' is not a Redshift identifier Freshet accepts"],
    [{ databaseName: 'dev' }, "databaseName 'dev' is reserved by Redshift"],
    [{ schemaName: 'pg_internal' }, "schemaName 'pg_internal' is a system schema"],
    [{ tableName: 'stocks; drop' }, "tableName 'stocks; drop' is not a Redshift identifier"],
    [{ adminUsername: 'awsuser' }, "adminUsername 'awsuser' must be"],
    [{ curatedPrefix: 'curated/stocks' }, "curatedPrefix 'curated/stocks' must end with '/'"],
    [{ snapshotPrefix: "snap'shots/" }, "snapshotPrefix 'snap'shots/' must end with '/', not start with one, and hold no quotes"],
    [{ snapshotPrefix: 'curated/stocks/snapshots/' }, 'overlap: UNLOAD would write into what COPY loads'],
    [{ distKey: 'volume' }, "distKey 'volume' is not a column: use one of ticker_symbol, sector, change, price."],
    [{ sortKeys: ['date'] }, "sortKeys names 'date', which is not a column"],
    [{ snapshotQuery: 'DELETE FROM freshet.stocks' }, 'snapshotQuery must be a single SELECT'],
  ] as Array<[Partial<RedshiftWarehouseProps>, string]>)('%j', (props, message) => {
    expect(() => buildWarehouse(props)).toThrow(message);
  });

  test('every problem is reported at once', () => {
    expect(() => buildWarehouse({ databaseName: 'Bad', tableName: 'Bad' })).toThrow(/databaseName 'Bad'[\s\S]*tableName 'Bad'/);
  });

  test('the schema is the one given', () => {
    expect(buildWarehouse().warehouse.schema).toBe(stocks);
  });
});

describe('the custom resources speak the DDL handler\'s contract', () => {
  /** A value as CloudFormation resolves it: references become plain names, joins become strings. */
  function deployed(value: any): string {
    if (typeof value === 'string') return value;
    if (value['Fn::Join']) return value['Fn::Join'][1].map(deployed).join(value['Fn::Join'][0]);
    return `resolved-${JSON.stringify(value).replace(/[^A-Za-z0-9]/g, '')}`;
  }

  /** Properties as CloudFormation sends them: references resolved to strings. */
  function asDeployed(properties: Record<string, any>): Record<string, unknown> {
    const resolved: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(properties)) {
      if (key === 'ServiceToken') continue;
      resolved[key] = deployed(value);
    }
    return resolved;
  }

  test('the table resource parses into the schema\'s columns, keys and Data API target', () => {
    const { template: t } = template({ schema: pollution });
    const parsed = TableDdlPropertiesParser.parse(asDeployed(only(t, 'Custom::FreshetRedshiftTable').Properties));
    expect(TableDdlPropertiesParser.isStatements(asDeployed(only(t, 'Custom::FreshetRedshiftTable').Properties))).toBe(false);
    expect(parsed).toEqual(expect.objectContaining({
      database: 'freshet',
      schemaName: 'freshet',
      tableName: 'pollution',
      distKey: 'reading_id',
      sortKeys: ['timestamp'],
      target: { WorkgroupName: expect.stringContaining('WarehouseWorkgroup') },
      secretArn: expect.stringContaining('adminPasswordSecretArn'),
    }));
    expect(parsed.columns.map((c) => `${c.name}:${c.type}:${c.nullable}`)).toEqual([
      'reading_id:string:false', 'device_id:string:false', 'ozone:double:false', 'nitrogen_dioxide:double:true', 'timestamp:timestamp:false',
    ]);
  });

  test('the streaming view resource parses as a statements resource for the cluster', () => {
    const stack = testStack();
    const stream = new kinesis.Stream(stack, 'Stream');
    const { template: t } = template({
      streamingIngestion: { stream, carriesAggregatedRecords: false },
      compute: WarehouseCompute.provisioned({ nodeType: 'ra3.large' }),
    }, stack);
    const view = only(t, 'Custom::FreshetRedshiftStatements');
    const parsed = TableDdlPropertiesParser.parseStatements(asDeployed(view.Properties));
    expect(parsed.target).toEqual({ ClusterIdentifier: expect.stringContaining('WarehouseCluster') });
    expect(parsed.statements).toHaveLength(2);
    expect(parsed.statements[0]).toMatch(/^CREATE EXTERNAL SCHEMA IF NOT EXISTS "stocks_kinesis" FROM KINESIS IAM_ROLE 'resolved-FnGetAttWarehouseStreamingRole[0-9A-F]+Arn'$/);
    expect(parsed.statements[1]).toMatch(/^CREATE MATERIALIZED VIEW "freshet"\."stocks_stream" AUTO REFRESH YES AS SELECT .* FROM "stocks_kinesis"\."resolved-RefStream[0-9A-F]+" WHERE CAN_JSON_PARSE\(kinesis_data\)$/);
    expect(parsed.statements[1]).toContain('AS "ticker_symbol"');
    expect(TableDdlPropertiesParser.isStatements(view.Properties)).toBe(true);
  });
});
