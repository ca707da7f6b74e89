import * as path from 'node:path';
import { AlarmFactory, Algorithm, AlgorithmImages, CheckovSkips, DataRemovalPolicy, DatasetSchema, NagAcknowledgements, SecureKey, SecureLogGroup, WildcardPermissions } from '@freshet/core';
import { ArnFormat, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DataExtract } from './data-extract';
import { GateFunction } from './handlers/gate-function';
import { START_GUARD_ENVIRONMENT } from './handlers/start-guard/environment-names';
import { StartGuardFunction } from './handlers/start-guard-function';
import { ApprovalMode, RetrainPipelineProps } from './retrain-pipeline-props';
import { METRICS, PRIMARY_METRICS, RetrainWorkflow } from './retrain-workflow';
import { RunNames } from './run-names';
import { TaskType } from './training-algorithm';

/** The processing scripts shipped with the package (tests and caches left out of the asset). */
const SCRIPTS_DIR = path.join(__dirname, '..', 'scripts');
const SCRIPTS_EXCLUDE = ['tests', 'conftest.py', 'pytest.ini', 'requirements.txt', '**/__pycache__', '**/*.pyc', '.pytest_cache', 'README.md'];

/**
 * The continuous-training workflow: a Standard Step Functions state machine
 * that extracts a snapshot, preprocesses it (SageMaker Processing), trains
 * (XGBoost, AutoGluon, DeepAR or a custom image), scores the test channel
 * (batch transform + evaluate), gates on accuracy against a threshold and the
 * champion model, registers the model, optionally waits for a manual
 * approval, rolls it out to an endpoint with blue/green guardrails, and
 * notifies on every outcome. An EventBridge Scheduler schedule starts it
 * through a guard that skips a start while a run is in flight.
 *
 * One run at a time: every starter (the schedule's and the deployments' start
 * guard, MonitorRetrainTrigger) takes the run lock, one item in
 * `runLockTable` written with a condition, before StartExecution. The lock
 * names the execution that holds it; a rule on the execution ending gives it
 * back, and a starter takes over a lock whose execution DescribeExecution
 * finds ended.
 *
 * Endpoint config ownership: CloudFormation (ModelEndpoint) owns the initial
 * model and endpoint config; the workflow owns every one it creates (named
 * `<namePrefix>-config-<hash>`) and deletes the superseded one after a
 * successful update only when the name is its own.
 */
export class RetrainPipeline extends Construct {
  /** The dataset. */
  public readonly schema: DatasetSchema;
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** The state machine's execution log group. */
  public readonly logGroup: SecureLogGroup;
  /** Encrypts the topic, the guard's queue, the schedule and the logs. */
  public readonly encryptionKey: SecureKey;
  /** The topic told about every outcome. */
  public readonly notificationTopic: sns.ITopic;
  /** The role processing, training and transform jobs run as. */
  public readonly executionRole: iam.Role;
  /** The model package group the workflow registers models in. */
  public readonly modelPackageGroup: sagemaker.CfnModelPackageGroup;
  /** The Lambda function that decides the gate. */
  public readonly gateFunction: lambda.Function;
  /** The Lambda function the schedule invokes: it starts a run unless one is in flight. */
  public readonly startGuardFunction: lambda.Function;
  /** The run lock: one item naming the execution that may run; every starter takes it before StartExecution. */
  public readonly runLockTable: dynamodb.Table;
  /** The rule that gives the run lock back when an execution ends. */
  public readonly runEndRule: events.Rule;
  /** Where failed guard invocations go. */
  public readonly startGuardDeadLetterQueue: sqs.Queue;
  /** The schedule that starts runs. */
  public readonly schedule: scheduler.CfnSchedule;
  /** The role the schedule invokes the guard as. */
  public readonly scheduleRole: iam.Role;
  /** The processing scripts asset. */
  public readonly scripts: s3assets.Asset;
  /** The alarms. */
  public readonly alarms: AlarmFactory;
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** The prefix of every SageMaker name the workflow creates. */
  public readonly namePrefix: string;
  /** The model package group's name. */
  public readonly modelPackageGroupName: string;
  /** The security groups of the jobs and models, with `vpc`. */
  public readonly securityGroups?: ec2.ISecurityGroup[];
  /** The lake prefixes the SageMaker jobs read or write, for the wildcard acknowledgement. */
  private jobPrefixes: string[] = [];
  /** The state graph builder (state names are documented in retrain-workflow.ts). */
  private readonly workflow: RetrainWorkflow;

  constructor(scope: Construct, id: string, props: RetrainPipelineProps) {
    super(scope, id);
    const resolved = validateProps(props);
    const { schema, lakeBucket } = props;
    this.schema = schema;
    this.namePrefix = resolved.namePrefix;
    this.modelPackageGroupName = resolved.modelPackageGroupName;
    const lakeKey = props.lakeKey ?? lakeBucket.encryptionKey;
    const stack = Stack.of(this);

    this.encryptionKey = new SecureKey(this, 'Key', { description: `Encrypts the ${schema.name} retraining topic, queue, schedule and logs`, removalPolicy: props.removalPolicy });
    this.encryptionKey.grantCloudWatchLogs();

    this.notificationTopic = props.notificationTopic ?? this.createTopic();

    this.modelPackageGroup = new sagemaker.CfnModelPackageGroup(this, 'ModelPackageGroup', {
      modelPackageGroupName: this.modelPackageGroupName,
      modelPackageGroupDescription: `Models retrained on ${schema.name} by ${this.node.path}`,
    });

    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Runs the ${schema.name} processing, training and transform jobs`,
    });

    this.scripts = new s3assets.Asset(this, 'Scripts', { path: SCRIPTS_DIR, exclude: SCRIPTS_EXCLUDE });
    // Named actions only (Asset.grantRead would add s3:GetObject*, s3:List*).
    this.executionRole.addToPolicy(new iam.PolicyStatement({
      sid: 'ReadScripts',
      actions: ['s3:GetObject'],
      resources: [this.scripts.bucket.arnForObjects(this.scripts.s3ObjectKey)],
    }));

    const dataExtract = props.extract ?? DataExtract.s3Prefix(`snapshots/${schema.name}/latest/`);
    const extract = dataExtract.bind(this, {
      schema,
      lakeBucket,
      runIdPath: '$.run.id',
      timeout: props.timeouts?.extract ?? Duration.hours(2),
    });

    const gateLogs = new SecureLogGroup(this, 'GateLogs', { encryptionKey: this.encryptionKey, removalPolicy: props.removalPolicy });
    this.gateFunction = new GateFunction(this, 'GateFunction', {
      description: `Decides the ${schema.name} retraining gate`,
      timeout: Duration.seconds(10),
      memorySize: 128,
      tracing: lambda.Tracing.ACTIVE,
      logGroup: gateLogs,
      role: this.functionRole('GateRole', gateLogs, `Runs the ${schema.name} retraining gate`),
    });

    const boundAlgorithm = props.algorithm.bind(this, schema.targetColumn);
    this.securityGroups = props.vpc ? props.securityGroups ?? [this.createJobSecurityGroup(props.vpc)] : undefined;
    const vpcConfig = this.vpcConfig(props);
    this.workflow = new RetrainWorkflow(this, 'Workflow', {
      schema,
      lakeBucket,
      lakeKey,
      extract,
      algorithm: props.algorithm,
      boundAlgorithm,
      processingImageUri: AlgorithmImages.processingUriFor(this),
      scripts: this.scripts,
      executionRole: this.executionRole,
      namePrefix: this.namePrefix,
      training: resolved.training,
      processing: {
        instanceType: props.processing?.instanceType ?? 'ml.m5.xlarge',
        volumeSizeGb: props.processing?.volumeSizeGb ?? 30,
        maxRuntime: props.processing?.maxRuntime ?? Duration.hours(1),
        minRows: props.processing?.minRows ?? 100,
      },
      transformInstanceType: props.transformInstanceType ?? 'ml.m5.xlarge',
      split: resolved.split,
      features: props.features,
      gate: resolved.gate,
      gateFunction: this.gateFunction,
      modelPackageGroupName: this.modelPackageGroupName,
      approval: props.approval ?? ApprovalMode.AUTOMATIC,
      approvalTimeout: props.approvalTimeout ?? Duration.days(2),
      deployTo: props.deployTo,
      vpcConfig,
      topic: this.notificationTopic,
      timeouts: {
        extract: props.timeouts?.extract ?? Duration.hours(2),
        transform: props.timeouts?.transform ?? Duration.hours(1),
        apiCall: props.timeouts?.apiCall ?? Duration.minutes(5),
        deployment: props.timeouts?.deployment ?? Duration.hours(2),
        pollInterval: props.timeouts?.pollInterval ?? Duration.minutes(1),
      },
    });

    // Payloads hold names, S3 URIs and metrics, never data or secrets, so execution data is logged for debugging.
    this.logGroup = new SecureLogGroup(this, 'StateMachineLogs', { encryptionKey: this.encryptionKey, removalPolicy: props.removalPolicy });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: `Retrains ${schema.name}: extract, preprocess, train, evaluate, gate, register${props.deployTo ? ', deploy' : ''}, notify`,
      definitionBody: sfn.DefinitionBody.fromChainable(this.workflow.startState),
      timeout: props.timeouts?.execution ?? Duration.hours(12),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.stateMachine.node.addDependency(this.modelPackageGroup);
    // Publishing to the KMS-encrypted topic.
    this.encryptionKey.grant(this.stateMachine, 'kms:Decrypt', 'kms:GenerateDataKey');

    this.grantJobPermissions(lakeKey, extract.snapshotPrefix, props);
    this.grantWorkflowPermissions(lakeKey, props);
    dataExtract.grantRun(this.stateMachine);

    this.startGuardDeadLetterQueue = new sqs.Queue(this, 'StartGuardDeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.runLockTable = this.createRunLockTable(props);
    const guardLogs = new SecureLogGroup(this, 'StartGuardLogs', { encryptionKey: this.encryptionKey, removalPolicy: props.removalPolicy });
    this.startGuardFunction = new StartGuardFunction(this, 'StartGuardFunction', {
      description: `Starts a ${schema.name} retraining run unless one is in flight`,
      timeout: Duration.seconds(30),
      memorySize: 128,
      tracing: lambda.Tracing.ACTIVE,
      // One guard at a time, so two near-simultaneous starts cannot both see "nothing running".
      reservedConcurrentExecutions: 1,
      deadLetterQueue: this.startGuardDeadLetterQueue,
      environment: {
        [START_GUARD_ENVIRONMENT.stateMachineArn]: this.stateMachine.stateMachineArn,
        [START_GUARD_ENVIRONMENT.lockTableName]: this.runLockTable.tableName,
      },
      logGroup: guardLogs,
      role: this.functionRole('StartGuardRole', guardLogs, `Runs the ${schema.name} retraining start guard`),
    });
    this.grantRunLock(this.startGuardFunction);
    this.skipCheckovOnFunctions();
    // Lambda sends failed events to the KMS-encrypted dead-letter queue as the function's role.
    this.encryptionKey.grant(this.startGuardFunction, 'kms:Decrypt', 'kms:GenerateDataKey');
    this.runEndRule = this.createRunEndRule();

    this.scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: `Lets the ${schema.name} retraining schedule invoke the start guard`,
    });
    this.scheduleRole.addToPolicy(new iam.PolicyStatement({
      sid: 'InvokeStartGuard',
      actions: ['lambda:InvokeFunction'],
      resources: [this.startGuardFunction.functionArn],
    }));
    this.scheduleRole.addToPolicy(new iam.PolicyStatement({
      sid: 'SendToDeadLetterQueue',
      actions: ['sqs:SendMessage'],
      resources: [this.startGuardDeadLetterQueue.queueArn],
    }));
    this.encryptionKey.grant(this.scheduleRole, 'kms:Decrypt', 'kms:GenerateDataKey');
    this.schedule = new scheduler.CfnSchedule(this, 'Schedule', {
      description: `Starts ${schema.name} retraining (through the start guard)`,
      scheduleExpression: resolved.schedule,
      scheduleExpressionTimezone: props.scheduleTimeZone ?? 'UTC',
      state: props.scheduleEnabled === false ? 'DISABLED' : 'ENABLED',
      flexibleTimeWindow: { mode: 'OFF' },
      kmsKeyArn: this.encryptionKey.keyArn,
      target: {
        arn: this.startGuardFunction.functionArn,
        roleArn: this.scheduleRole.roleArn,
        input: JSON.stringify({ reason: 'schedule', scheduledTime: '<aws.scheduler.scheduled-time>' }),
        retryPolicy: { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 3600 },
        deadLetterConfig: { arn: this.startGuardDeadLetterQueue.queueArn },
      },
    });

    this.alarms = new AlarmFactory(this, 'Alarms', props.alarms);
    const metric = (metricName: string, period: Duration) => this.stateMachine.metric(metricName, { statistic: 'Sum', period });
    this.alarms.addAlarm('FailedExecutions', {
      metric: metric('ExecutionsFailed', Duration.hours(1)),
      threshold: 0,
      description: `A ${schema.name} retraining run failed: the failure notification and the execution history say where and why.`,
      override: props.alarms?.failedExecutions,
    });
    this.alarms.addAlarm('TimedOutExecutions', {
      metric: metric('ExecutionsTimedOut', Duration.hours(1)),
      threshold: 0,
      description: `A ${schema.name} retraining run hit the execution timeout: raise timeouts.execution or shorten the jobs.`,
      override: props.alarms?.timedOutExecutions,
    });
    this.alarms.addAlarm('StartGuardErrors', {
      metric: this.startGuardFunction.metricErrors({ statistic: 'Sum', period: Duration.days(1) }),
      threshold: 0,
      description: `The ${schema.name} start guard failed to start a run: see its logs and dead-letter queue.`,
      override: props.alarms?.guardErrors,
    });
    this.dashboard = this.alarms.createDashboard('Dashboard', `${schema.name} retraining`, [
      new cloudwatch.GraphWidget({
        title: 'Executions',
        width: 24,
        left: ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut'].map((name) => metric(name, Duration.hours(1))),
      }),
    ]);

    this.acknowledgeFindings();
  }

  /** Lets a principal start runs (for triggers such as MonitorRetrainTrigger). */
  public grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  /**
   * Lets a starter start runs under the run lock, as the start guard does:
   * read, take and give back the lock item (and use the key it is encrypted
   * with), see whether the holder's execution still runs, list the running
   * executions, and start one. MonitorRetrainTrigger calls it for a
   * RetrainPipeline target and passes `runLockTable.tableName` to its function.
   */
  public grantRunLock(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({ grantee, actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], resourceArns: [this.runLockTable.tableArn] });
    this.encryptionKey.grant(grantee, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
    this.stateMachine.grantStartExecution(grantee);
    iam.Grant.addToPrincipal({ grantee, actions: ['states:ListExecutions'], resourceArns: [this.stateMachine.stateMachineArn] });
    iam.Grant.addToPrincipal({ grantee, actions: ['states:DescribeExecution'], resourceArns: [this.executionArnPattern()] });
  }

  /** `arn:...:execution:<state machine name>:*`: the executions of this state machine. */
  private executionArnPattern(): string {
    return Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  private createRunLockTable(props: RetrainPipelineProps): dynamodb.Table {
    const table = new dynamodb.Table(this, 'RunLock', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: DataRemovalPolicy.of(this, props.removalPolicy),
    });
    NagAcknowledgements.add(table, [{
      id: 'NIST.800.53.R5-DynamoDBInBackupPlan',
      reason: 'The table holds one lock item naming the execution that may run, rebuilt by the next start. '
        + 'Compensating control: point-in-time recovery (35 days), a retained table and a KMS key.',
    }]);
    return table;
  }

  /** Gives the run lock back when an execution ends: the guard, invoked with the Step Functions event. */
  private createRunEndRule(): events.Rule {
    const rule = new events.Rule(this, 'RunEndRule', {
      description: `Gives the ${this.schema.name} run lock back when a retraining run ends`,
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [this.stateMachine.stateMachineArn], status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] },
      },
    });
    rule.addTarget(new targets.LambdaFunction(this.startGuardFunction, {
      deadLetterQueue: this.startGuardDeadLetterQueue,
      retryAttempts: 8,
      maxEventAge: Duration.hours(6),
    }));
    return rule;
  }

  /**
   * Retrains after each successful deployment of the given stacks (a code
   * change reaching them): an EventBridge rule on their CloudFormation
   * `CREATE_COMPLETE` / `UPDATE_COMPLETE` events invokes the start guard, so
   * a run in flight is never doubled and the stacks of one deployment start
   * at most one run. The stacks must be in this pipeline's account and region.
   */
  public startOnDeploymentOf(id: string, stacks: Stack[]): events.Rule {
    const here = Stack.of(this);
    if (stacks.length === 0) {
      throw new Error(`startOnDeploymentOf('${id}'): give at least one stack whose deployments should start a retraining run.`);
    }
    for (const stack of stacks) {
      if (Token.isUnresolved(stack.stackName)) {
        throw new Error(`startOnDeploymentOf('${id}'): stack ${stack.node.path} has no literal name; give it a stackName.`);
      }
      if (stack.account !== here.account || stack.region !== here.region) {
        throw new Error(`startOnDeploymentOf('${id}'): stack ${stack.node.path} is in another account or region; CloudFormation events stay in their own, so deploy it beside this pipeline.`);
      }
    }
    const rule = new events.Rule(this, id, {
      description: `Retrains ${this.schema.name} after a deployment of ${stacks.map((s) => s.stackName).join(', ')}`,
      eventPattern: {
        source: ['aws.cloudformation'],
        detailType: ['CloudFormation Stack Status Change'],
        detail: {
          'stack-id': events.Match.anyOf(...stacks.map((s) => events.Match.prefix(
            here.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${s.stackName}/`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
          ))),
          'status-details': { status: ['CREATE_COMPLETE', 'UPDATE_COMPLETE'] },
        },
      },
    });
    rule.addTarget(new targets.LambdaFunction(this.startGuardFunction, {
      // The event time names the run, so a redelivered event starts nothing new.
      event: events.RuleTargetInput.fromObject({ reason: 'deployment', scheduledTime: events.EventField.time }),
      deadLetterQueue: this.startGuardDeadLetterQueue,
      retryAttempts: 3,
      maxEventAge: Duration.hours(1),
    }));
    // EventBridge sends an undeliverable event to the KMS-encrypted dead-letter queue as itself (no role),
    // so the key must let it in: for this account's rules (the rule's own ARN would make a dependency cycle).
    this.encryptionKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: `EventBridgeDeadLetters${id}`,
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'aws:SourceAccount': here.account },
        ArnLike: { 'aws:SourceArn': here.formatArn({ service: 'events', resource: 'rule', resourceName: '*' }) },
      },
    }));
    return rule;
  }

  /** checkov's Lambda and IAM checks that do not apply, with why. */
  private skipCheckovOnFunctions(): void {
    CheckovSkips.add(this.gateFunction, [
      { id: 'CKV_AWS_115', comment: 'Invoked only by this workflow, whose runs the start guard serialises; the caller bounds its concurrency.' },
      { id: 'CKV_AWS_116', comment: 'Step Functions invokes the gate synchronously; the workflow\'s Retry and Catch handle a failure, so no event is lost.' },
      { id: 'CKV_AWS_117', comment: 'The gate computes a decision from its input and calls no AWS API or network resource, so it needs no VPC.' },
    ]);
    CheckovSkips.add(this.startGuardFunction, [
      { id: 'CKV_AWS_117', comment: 'The guard calls only the Step Functions and DynamoDB APIs over TLS with a role limited to this state machine and its lock table; no VPC resource to reach.' },
      { id: 'CKV_AWS_173', comment: 'Its variables are the state machine ARN and the lock table name, no secret; Lambda encrypts them at rest with the AWS managed key.' },
      { id: 'CKV_AWS_45', comment: 'False positive on the state machine ARN and the lock table name, the only variables: identifiers, not secrets.' },
    ]);
    const policy = this.stateMachine.role.node.tryFindChild('DefaultPolicy');
    if (policy) {
      CheckovSkips.add(policy, [{
        id: 'CKV_AWS_108',
        comment: 'secretsmanager:GetSecretValue names the warehouse admin secret through Fn::ImportValue, which checkov cannot resolve; the IAM harness proves it is that one secret.',
      }]);
    }
  }

  /** The jobs' and models' VpcConfig, with the ENI permissions SageMaker needs for it; none without `vpc`. */
  private vpcConfig(props: RetrainPipelineProps): { subnetIds: string[]; securityGroupIds: string[] } | undefined {
    if (!props.vpc || !this.securityGroups) return undefined;
    this.grantVpcAccess(props);
    return { subnetIds: props.vpc.selectSubnets(props.vpcSubnets).subnetIds, securityGroupIds: this.securityGroups.map((g) => g.securityGroupId) };
  }

  /** No inbound but from itself (the instances of one distributed training job), all outbound (S3 and the SageMaker APIs). */
  private createJobSecurityGroup(vpc: ec2.IVpc): ec2.SecurityGroup {
    const group = new ec2.SecurityGroup(this, 'JobSecurityGroup', {
      vpc,
      description: `The ${this.schema.name} retraining jobs and models`,
      allowAllOutbound: true,
    });
    group.addIngressRule(group, ec2.Port.allTraffic(), 'Traffic between the instances of one job');
    for (const ingress of group.node.findAll().filter((c) => c instanceof ec2.CfnSecurityGroupIngress)) {
      NagAcknowledgements.add(ingress, [{
        id: 'NIST.800.53.R5-EC2RestrictedCommonPorts',
        reason: 'The rule admits traffic from this security group only (the instances of one distributed training job), not from any address. '
          + 'Compensating control: no other source may reach the jobs, which run with network isolation and encrypted inter-container traffic.',
      }]);
    }
    return group;
  }

  /**
   * What SageMaker needs to place jobs and models in the VPC: the ENI actions
   * (create and delete only in this VPC) for the job role and the endpoint's
   * model role, which the workflow passes.
   */
  private grantVpcAccess(props: RetrainPipelineProps): void {
    const vpcArn = Stack.of(this).formatArn({ service: 'ec2', resource: 'vpc', resourceName: props.vpc!.vpcId });
    const statements = [
      new iam.PolicyStatement({
        sid: 'DescribeNetwork',
        actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeVpcs', 'ec2:DescribeDhcpOptions', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups'],
        // Describe actions take no resource.
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'ManageInterfacesInVpc',
        actions: ['ec2:CreateNetworkInterface', 'ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface', 'ec2:DeleteNetworkInterfacePermission'],
        resources: ['*'],
        conditions: { ArnEquals: { 'ec2:Vpc': vpcArn } },
      }),
    ];
    for (const statement of statements) this.executionRole.addToPolicy(statement);
    if (props.deployTo) {
      const policy = new iam.Policy(this, 'ModelRoleVpcAccess', { roles: [props.deployTo.modelExecutionRole], statements });
      const reason = 'The EC2 Describe actions take no resource, and SageMaker creates the network interfaces of each model at run time. '
        + 'Compensating control: interfaces may be created and deleted only in this VPC (ec2:Vpc condition), and only SageMaker assumes the role.';
      WildcardPermissions.acknowledge(policy, { reason, allowedFindings: ['Resource::*'] });
      NagAcknowledgements.add(policy, [{ id: 'NIST.800.53.R5-IAMNoInlinePolicy', reason: `The policy is attached to the endpoint's model role only, for the workflow's VPC. ${reason}` }]);
    }
  }

  /** A function role without AWS managed policies: logs go to the function's own log group only. */
  private functionRole(id: string, logGroup: SecureLogGroup, description: string): iam.Role {
    const role = new iam.Role(this, id, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description });
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }));
    return role;
  }

  private createTopic(): sns.Topic {
    return new sns.Topic(this, 'Notifications', {
      displayName: `${this.schema.name} retraining`,
      masterKey: this.encryptionKey,
      enforceSSL: true,
    });
  }

  /** The SageMaker jobs' role: read the snapshot, write the run's prefixes, pull images, log. */
  private grantJobPermissions(lakeKey: kms.IKey | undefined, snapshotPrefix: string, props: RetrainPipelineProps): void {
    const role = this.executionRole;
    const bucket = props.lakeBucket;
    const stack = Stack.of(this);
    this.jobPrefixes = [...new Set([snapshotPrefix, 'training/', 'baselines/', 'models/', 'evaluation/', 'checkpoints/', `rejected/preprocess/${this.schema.name}/`])];
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'ReadRunInputs',
      actions: ['s3:GetObject'],
      resources: [snapshotPrefix, 'training/', 'models/', 'evaluation/', 'checkpoints/'].map((p) => bucket.arnForObjects(`${p}*`)),
    }));
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'WriteRunOutputs',
      actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
      resources: ['training/', 'baselines/', 'models/', 'evaluation/', 'checkpoints/', `rejected/preprocess/${this.schema.name}/`].map((p) => bucket.arnForObjects(`${p}*`)),
    }));
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'ListRunPrefixes',
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [snapshotPrefix, 'training/', 'models/', 'evaluation/', 'checkpoints/'].map((p) => `${p}*`) } },
    }));
    // Data given in the execution input (dataUri) must be readable too: only within the lake bucket.
    if (lakeKey) {
      role.addToPolicy(new iam.PolicyStatement({
        sid: 'UseLakeKey',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
        resources: [lakeKey.keyArn],
      }));
      role.addToPolicy(new iam.PolicyStatement({
        sid: 'EncryptJobVolumes',
        actions: ['kms:CreateGrant'],
        resources: [lakeKey.keyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }));
    }
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'EcrAuthorization',
      actions: ['ecr:GetAuthorizationToken'],
      resources: ['*'],
    }));
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'PullAlgorithmImages',
      actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
      // The images live in AWS-owned registries whose account differs per region.
      resources: [stack.formatArn({ service: 'ecr', account: '*', resource: 'repository', resourceName: '*' })],
    }));
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'JobLogs',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: [stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
    }));
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'JobMetrics',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'aws/sagemaker/*'] } },
    }));
  }

  /** The state machine role: SageMaker on the workflow's own names, PassRole to SageMaker only, the .sync rules. */
  private grantWorkflowPermissions(lakeKey: kms.IKey | undefined, props: RetrainPipelineProps): void {
    const stack = Stack.of(this);
    const role = this.stateMachine.role;
    const arn = (resource: string, kind: string) => stack.formatArn({ service: 'sagemaker', resource, resourceName: RunNames.pattern(this.namePrefix, kind) });
    const jobs: [string, string, string, string][] = [
      ['processing-job', 'preprocessJob', 'ProcessingJob', 'ProcessingJobs'],
      ['processing-job', 'evaluationJob', 'ProcessingJob', 'ProcessingJobs'],
      ['training-job', 'trainingJob', 'TrainingJob', 'TrainingJobs'],
      ['transform-job', 'transformJob', 'TransformJob', 'TransformJobs'],
    ];
    for (const [resource, kind, api] of jobs) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: [`sagemaker:Create${api}`, `sagemaker:Describe${api}`, `sagemaker:Stop${api}`],
        resources: [arn(resource, kind)],
      }));
    }
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'SyncJobEventRules',
      actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      resources: [...new Set(jobs.map(([, , , plural]) => plural))].map((plural) => stack.formatArn({
        service: 'events', resource: 'rule', resourceName: `StepFunctionsGetEventsForSageMaker${plural}Rule`,
      })),
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PassJobRole',
      actions: ['iam:PassRole'],
      resources: [this.executionRole.roleArn, ...(props.deployTo ? [props.deployTo.modelExecutionRole.roleArn] : [])],
      conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    }));
    const keys = [lakeKey, props.deployTo?.encryptionKey, props.deployTo?.dataCapture?.kmsKey].filter((k): k is kms.IKey => !!k);
    if (keys.length > 0) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'UseJobAndEndpointKeys',
        actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:CreateGrant'],
        resources: [...new Set(keys.map((k) => k.keyArn))],
      }));
    }
  }

  private acknowledgeFindings(): void {
    WildcardPermissions.acknowledgeRolePolicy(this.executionRole, {
      reason: 'SageMaker jobs read and write per-run objects under fixed lake prefixes (keys unknown until the run), pull '
        + 'images from AWS-owned registries whose account varies per region, and log to /aws/sagemaker/*; ecr:GetAuthorizationToken and '
        + 'PutMetricData take no resource. Compensating control: every action is named, S3 is limited to the run prefixes, '
        + 'PutMetricData to the SageMaker namespaces, and only SageMaker can assume the role.',
      allowedFindings: ['Resource::*', 'Action::s3:GetObject*', 'Action::s3:GetBucket*', 'Action::s3:List*', 'Resource::arn:*:ecr:*:*:repository/*',
        'Resource::arn:<AWS::Partition>:logs:*:log-group:/aws/sagemaker/*',
        // `*` before each prefix: the lake ARN is a reference, or an import when the lake lives in another stack.
        ...this.jobPrefixes.map((prefix) => `Resource::*/${prefix}*`)],
    });
    WildcardPermissions.acknowledgeRolePolicy(this.stateMachine.role as iam.Role, {
      reason: `SageMaker names are unique per run (${this.namePrefix}-<kind>-<hash>), so jobs, models and endpoint configs are matched by that prefix; `
        + 'model packages get generated versions in the one group; ListModelPackages, ListEndpoints, X-Ray and KMS key actions named by CDK grants take wildcards. '
        + 'Compensating control: every action is named, resources are scoped to the workflow prefix, the group and the target endpoint, and PassRole is limited to SageMaker.',
      allowedFindings: ['Resource::*', 'Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*',
        `Resource::arn:<AWS::Partition>:sagemaker:*:*:*/${this.namePrefix}-*`,
        `Resource::arn:<AWS::Partition>:sagemaker:*:*:model-package/${this.modelPackageGroupName}/*`,
        'Resource::*/evaluation/*',
        // Invoking the gate function's versions and aliases.
        `Resource::<${Stack.of(this).getLogicalId(this.gateFunction.node.defaultChild as lambda.CfnFunction)}.Arn>:*`],
    });
    WildcardPermissions.acknowledgeRolePolicy(this.scheduleRole, {
      reason: 'The schedule role invokes one function and writes to one dead-letter queue with its key. '
        + 'Compensating control: only EventBridge Scheduler of this account can assume it.',
      allowedFindings: ['Resource::*'],
    });
    for (const fn of [this.gateFunction, this.startGuardFunction]) {
      WildcardPermissions.acknowledgeRolePolicy(fn.role as iam.Role, {
        reason: 'X-Ray trace segments take no resource, the KMS grants CDK generates end in wildcards of the action name, and the '
          + 'guard describes the lock holder\'s execution, named per run (<state machine>:*). '
          + 'Compensating control: every other action is scoped to this workflow state machine, its executions, its lock table or queue.',
        allowedFindings: ['Resource::*', 'Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*', 'Resource::*:execution:*'],
      });
      NagAcknowledgements.add(fn, [{
        id: 'NIST.800.53.R5-LambdaInsideVPC',
        reason: 'The function calls only AWS APIs (Step Functions, DynamoDB) over TLS, signed with its role, and holds no data. '
          + 'Compensating control: a least-privilege role scoped to one state machine and its lock table, and X-Ray tracing.',
      }]);
    }
    NagAcknowledgements.add(this.gateFunction, [
      {
        id: 'NIST.800.53.R5-LambdaDLQ',
        reason: 'The state machine invokes the gate synchronously, so a failure returns to the Gate state and no event is lost. '
          + 'Compensating control: the Catch sends the failure notification and the failed-executions alarm fires.',
      },
      {
        id: 'NIST.800.53.R5-LambdaConcurrency',
        reason: 'The gate runs once per retraining run (at most one run at a time) and is a pure computation. '
          + 'Compensating control: the start guard limits runs to one in flight, so gate invocations are bounded.',
      },
    ]);
    NagAcknowledgements.add(this.startGuardDeadLetterQueue, [{
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the start guard and of the schedule target. '
        + 'Compensating control: messages are kept 14 days, KMS-encrypted, and the guard errors alarm fires.',
    }]);
  }
}

interface ResolvedProps {
  readonly namePrefix: string;
  readonly modelPackageGroupName: string;
  readonly schedule: string;
  readonly training: { instanceType: string; instanceCount: number; volumeSizeGb: number; maxRuntime: Duration; spotMaxWait?: Duration };
  readonly split: { trainRatio: number; validationRatio: number; testRatio: number; seed: number };
  readonly gate: { primaryMetric: string; threshold: number; minImprovement: number; higherIsBetter: boolean };
}

function validateProps(props: RetrainPipelineProps): ResolvedProps {
  const { schema, algorithm } = props;
  const namePrefix = props.namePrefix ?? RunNames.defaultPrefix(schema.name);
  RunNames.validatePrefix(namePrefix);

  const modelPackageGroupName = props.modelPackageGroupName ?? `${schema.name.replace(/[^A-Za-z0-9]+/g, '-')}-models`;
  if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(modelPackageGroupName)) {
    throw new Error(`modelPackageGroupName '${modelPackageGroupName}' must be 1-63 letters, digits and hyphens, starting and ending with a letter or digit.`);
  }

  if (algorithm.channelFormat === 'deepar') {
    if (!schema.eventTimeColumn) {
      throw new Error(`The DeepAR algorithm needs a time series: give schema '${schema.name}' an eventTimeColumn.`);
    }
    const seriesColumn = algorithm.seriesIdColumn ?? schema.idColumn;
    if (!seriesColumn) {
      throw new Error(`The DeepAR algorithm needs the column that names each series: set TrainingAlgorithm.deepar({ seriesIdColumn }) (e.g. a device id) or give schema '${schema.name}' an idColumn.`);
    }
    if (!schema.columns.some((c) => c.name === seriesColumn)) {
      throw new Error(`DeepAR seriesIdColumn '${seriesColumn}' is not a column of schema '${schema.name}'; use one of ${schema.columns.map((c) => c.name).join(', ')}.`);
    }
  }

  const training = props.training ?? {};
  const maxRuntime = training.maxRuntime ?? Duration.hours(2);
  const instanceCount = training.instanceCount ?? 1;
  const volumeSizeGb = training.volumeSizeGb ?? 30;
  if (!Number.isInteger(instanceCount) || instanceCount < 1) {
    throw new Error(`training.instanceCount is ${instanceCount}; give a whole number of at least 1.`);
  }
  // XGBoost's entry point trains distributed and DeepAR's built-in algorithm supports several machines;
  // autogluon_train.py fits one TabularPredictor on one instance, so more instances would each redo the same fit.
  if (instanceCount > 1 && algorithm.algorithm === Algorithm.AUTOGLUON && !algorithm.isCustom) {
    throw new Error(
      `training.instanceCount is ${instanceCount}, but TrainingAlgorithm.autogluon() trains on one instance (the others would repeat the same fit): `
      + 'set training.instanceCount to 1 and a larger training.instanceType (e.g. ml.m5.4xlarge, 64 GiB), or use TrainingAlgorithm.xgboost(), which trains distributed across instances.',
    );
  }
  if (!Number.isInteger(volumeSizeGb) || volumeSizeGb < 1) {
    throw new Error(`training.volumeSizeGb is ${volumeSizeGb}; give a whole number of GB, at least 1.`);
  }
  if (training.spot && training.spot.maxWait.toSeconds() < maxRuntime.toSeconds()) {
    throw new Error(`training.spot.maxWait (${training.spot.maxWait.toHumanString()}) is shorter than training.maxRuntime (${maxRuntime.toHumanString()}); make maxWait at least maxRuntime.`);
  }
  if (algorithm.timeLimit && algorithm.timeLimit.toSeconds() >= maxRuntime.toSeconds()) {
    throw new Error(`The AutoGluon timeLimit (${algorithm.timeLimit.toHumanString()}) must be shorter than training.maxRuntime (${maxRuntime.toHumanString()}), leaving time to save the model.`);
  }

  const split = {
    trainRatio: props.split?.trainRatio ?? 0.7,
    validationRatio: props.split?.validationRatio ?? 0.15,
    testRatio: props.split?.testRatio ?? 0.15,
    seed: props.split?.seed ?? 42,
  };
  const sum = split.trainRatio + split.validationRatio + split.testRatio;
  if (split.trainRatio <= 0 || split.validationRatio < 0 || split.testRatio <= 0 || Math.abs(sum - 1) > 1e-9) {
    throw new Error(`split ratios ${split.trainRatio}/${split.validationRatio}/${split.testRatio} must be train > 0, validation >= 0, test > 0 and add up to 1.`);
  }
  if (!Number.isInteger(split.seed) || split.seed < 0) {
    throw new Error(`split.seed is ${split.seed}; give a whole number of at least 0.`);
  }

  const features = props.features;
  for (const column of [...Object.keys(features?.categorical ?? {}), ...(features?.exclude ?? [])]) {
    if (!schema.columnNames.includes(column)) {
      throw new Error(`features names column '${column}', which schema '${schema.name}' does not have (columns: ${schema.columnNames.join(', ')}).`);
    }
  }
  if ((features?.timeParts?.length ?? 0) > 0 && !schema.eventTimeColumn) {
    throw new Error(`features.timeParts needs an event time: give schema '${schema.name}' an eventTimeColumn or drop timeParts.`);
  }

  const taskType = algorithm.taskType as TaskType;
  const metrics = METRICS[taskType];
  const primaryMetric = props.gate.primaryMetric ?? PRIMARY_METRICS[taskType];
  if (!(primaryMetric in metrics)) {
    throw new Error(`gate.primaryMetric '${primaryMetric}' is not a ${taskType} metric of evaluate.py; use one of ${Object.keys(metrics).join(', ')}.`);
  }
  const minImprovement = props.gate.minImprovement ?? 0;
  if (!Number.isFinite(props.gate.threshold) || !Number.isFinite(minImprovement) || minImprovement < 0) {
    throw new Error(`gate.threshold (${props.gate.threshold}) must be a number and gate.minImprovement (${minImprovement}) a number of at least 0.`);
  }

  if (props.approvalTimeout && props.approval !== ApprovalMode.MANUAL) {
    throw new Error('approvalTimeout applies to ApprovalMode.MANUAL only: set approval: ApprovalMode.MANUAL or drop approvalTimeout.');
  }

  const target = props.deployTo;
  if (target?.workflowNamePrefix !== undefined && target.workflowNamePrefix !== namePrefix) {
    throw new Error(`deployTo's endpoint tears down the workflow names '${target.workflowNamePrefix}-*', but this pipeline's namePrefix is '${namePrefix}': `
      + `set the ModelEndpoint's workflowNamePrefix to '${namePrefix}', or this pipeline's namePrefix to '${target.workflowNamePrefix}'.`);
  }
  if (target) {
    const retrained = target.productionVariants.filter((v) => v.variantName === target.retrainedVariantName);
    if (retrained.length !== 1 || retrained[0].keepModelName) {
      throw new Error(`deployTo.retrainedVariantName '${target.retrainedVariantName}' must name exactly one production variant without keepModelName.`);
    }
    const others = [...target.productionVariants, ...(target.shadowVariants ?? [])].filter((v) => v.variantName !== target.retrainedVariantName);
    const missing = others.filter((v) => !v.keepModelName).map((v) => v.variantName);
    if (missing.length > 0) {
      throw new Error(`deployTo variants ${missing.join(', ')} need keepModelName: only ${target.retrainedVariantName} gets the retrained model.`);
    }
  }

  const schedule = props.schedule ?? 'rate(1 day)';
  if (!Token.isUnresolved(schedule) && !/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\)|at\(.+\))$/.test(schedule)) {
    throw new Error(`schedule '${schedule}' is not an EventBridge Scheduler expression: use e.g. 'rate(1 day)' or 'cron(0 3 * * ? *)'.`);
  }

  return {
    namePrefix,
    modelPackageGroupName,
    schedule,
    training: { instanceType: training.instanceType ?? 'ml.m5.xlarge', instanceCount, volumeSizeGb, maxRuntime, spotMaxWait: training.spot?.maxWait },
    split,
    gate: { primaryMetric, threshold: props.gate.threshold, minImprovement, higherIsBetter: metrics[primaryMetric] },
  };
}
