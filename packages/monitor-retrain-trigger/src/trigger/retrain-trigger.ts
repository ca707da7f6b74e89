import { AlarmFactory, CheckovSkips, DataRemovalPolicy, NagAcknowledgements, SecureKey, SecureLogGroup, WildcardPermissions } from '@freshet/core';
import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RetrainTargetConfig } from './retrain-target';
import { RetrainTriggerProps } from './retrain-trigger-props';
import { ENVIRONMENT } from '../handlers/retrain-trigger/environment-names';
import { RetrainTriggerFunction } from '../handlers/retrain-trigger-function';

/** The CloudWatch namespace of the trigger's decision metrics. */
const NAMESPACE = 'Freshet/RetrainTrigger';

/**
 * Starts a retrain when one of its alarms goes into ALARM, and never a storm
 * of them: an EventBridge rule on `CloudWatch Alarm State Change` into ALARM
 * for exactly those alarms invokes a Lambda function that starts the target
 * (a RetrainPipeline state machine or a CodePipeline V2) under storm control:
 *
 * - single-flight: no start while a run of the target is in flight, whoever started it
 *   (for a RetrainPipeline, under the pipeline's run lock that its own starts take too);
 * - a cooldown after each trigger-started run (default 6 h), given back by a run that fails;
 * - a daily cap (default 3 per UTC day);
 * - dedupe of re-delivered events by their id.
 *
 * A retrain is never lost: each alarm's request stays pending until a run
 * started after its transition succeeds. While the alarm stays in ALARM, the
 * end of every run of the target and a retry rule (every `retryInterval`,
 * default 15 minutes) try it again under the same storm control.
 *
 * The decision is one conditional write to a DynamoDB item, so it holds for
 * concurrent invocations and across restarts. Every skip is logged with its
 * reason and counted (`Freshet/RetrainTrigger` TriggerSkipped {Target, Reason}).
 * A start the target refuses is retried by the SDK and by Lambda, then the
 * event goes to the dead-letter queue; both the errors and the queue alarm.
 */
export class RetrainTrigger extends Construct {
  /** The function that decides and starts. */
  public readonly function: lambda.Function;
  /** The rule that routes the alarms' state changes to the function. */
  public readonly rule: events.Rule;
  /** The rule that tries a pending retrain request again every `retryInterval`. */
  public readonly retryRule: events.Rule;
  /** The rule that tells the function a run of the target ended (it settles the cooldown and retries). */
  public readonly runEndRule: events.Rule;
  /** How often a pending request is tried again. */
  public readonly retryInterval: Duration;
  /** The storm-control state: one claim item, one record per event id. */
  public readonly table: dynamodb.Table;
  /** Events the function failed on after its retries, and events EventBridge could not deliver. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Encrypts the table, the queue and the logs. */
  public readonly encryptionKey: SecureKey;
  /** The function's log group: one JSON line per decision. */
  public readonly logGroup: SecureLogGroup;
  /** The trigger's own alarms (function errors, dead letters). */
  public readonly alarms: AlarmFactory;
  /** The cooldown after a trigger-started run. */
  public readonly cooldown: Duration;
  /** The most trigger-started runs per UTC day. */
  public readonly dailyCap: number;
  /** The target's name, the `Target` dimension of the decision metrics. */
  public readonly targetName: string;
  private readonly watched: cloudwatch.IAlarm[] = [];
  /** DescribeAlarms on exactly the watched alarms (a retry checks they are still in ALARM). */
  private readonly describeAlarms: iam.PolicyStatement;

  constructor(scope: Construct, id: string, props: RetrainTriggerProps) {
    super(scope, id);
    this.cooldown = props.cooldown ?? Duration.hours(6);
    this.dailyCap = props.dailyCap ?? 3;
    this.retryInterval = props.retryInterval ?? Duration.minutes(15);
    validateLimits(this.cooldown, this.dailyCap, this.retryInterval);

    this.encryptionKey = props.encryptionKey ?? new SecureKey(this, 'Key', { description: `Encrypts the retrain trigger state, dead letters and logs of ${this.node.path}`, removalPolicy: props.removalPolicy });
    this.encryptionKey.grantCloudWatchLogs();
    this.table = this.createTable(props);
    this.deadLetterQueue = this.createDeadLetterQueue();
    this.logGroup = new SecureLogGroup(this, 'Logs', { encryptionKey: this.encryptionKey, removalPolicy: props.removalPolicy });

    const role = this.createRole();
    this.describeAlarms = new iam.PolicyStatement({ sid: 'DescribeWatchedAlarms', actions: ['cloudwatch:DescribeAlarms'] });
    role.addToPolicy(this.describeAlarms);
    const target = props.target.bind(this, role);
    this.targetName = target.name;
    this.function = this.createFunction(role, target);
    this.skipCheckovOnFunction();
    this.rule = this.createRule();
    this.retryRule = this.routeToFunction(new events.Rule(this, 'RetryRule', {
      description: `Tries a pending retrain request again while its alarm stays in ALARM (${this.node.path})`,
      schedule: events.Schedule.rate(this.retryInterval),
    }));
    this.runEndRule = this.routeToFunction(new events.Rule(this, 'RunEndRule', {
      description: `Runs of ${target.name} that ended: settles the cooldown and retries a pending request (${this.node.path})`,
      eventPattern: target.runEndPattern,
    }));
    this.alarms = this.createAlarms(props);
    for (const alarm of props.alarms ?? []) this.addAlarm(alarm);
    this.node.addValidation({
      validate: () => (this.watched.length === 0 ? ['RetrainTrigger has no alarms to watch: pass `alarms` or call addAlarm() for each alarm that should start a retrain.'] : []),
    });
    this.acknowledgeFindings(role);
  }

  /** Watches one more alarm: its transitions into ALARM start a retrain (under storm control). */
  public addAlarm(alarm: cloudwatch.IAlarm): void {
    if (!this.watched.includes(alarm)) {
      this.watched.push(alarm);
      this.describeAlarms.addResources(alarm.alarmArn);
    }
  }

  /** The alarms watched so far. */
  public get watchedAlarms(): cloudwatch.IAlarm[] {
    return [...this.watched];
  }

  /** TriggerStarted: the runs the trigger started (Sum). */
  public metricStarted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: NAMESPACE, metricName: 'TriggerStarted', dimensionsMap: { Target: this.targetName }, statistic: 'Sum', period: Duration.hours(1), ...props });
  }

  /**
   * TriggerSkipped for one reason (Sum): `in-flight`, `cooldown`, `daily-cap`,
   * `duplicate`, `not-alarm`, or `alarm-ok` (a pending retry dropped because its alarms left ALARM).
   */
  public metricSkipped(reason: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: NAMESPACE, metricName: 'TriggerSkipped', dimensionsMap: { Target: this.targetName, Reason: reason }, statistic: 'Sum', period: Duration.hours(1), ...props,
    });
  }

  private createTable(props: RetrainTriggerProps): dynamodb.Table {
    return new dynamodb.Table(this, 'StormControl', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Event records expire; the claim item has no expiry.
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: DataRemovalPolicy.of(this, props.removalPolicy),
    });
  }

  private createDeadLetterQueue(): sqs.Queue {
    const queue = new sqs.Queue(this, 'DeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // EventBridge sends undeliverable events to the queue and needs its key; only rules of this account.
    const stack = Stack.of(this);
    this.encryptionKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowEventBridgeDeadLettersOfThisAccount',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:events:${stack.region}:${stack.account}:rule/*` },
      },
    }));
    return queue;
  }

  /** A role without AWS managed policies: every permission below is named and scoped. */
  private createRole(): iam.Role {
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: `Runs the retrain trigger ${this.node.path}` });
    role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [this.logGroup.logGroupArn] }));
    role.addToPolicy(new iam.PolicyStatement({
      sid: 'StormControlItems',
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: [this.table.tableArn],
    }));
    // The table's and the dead-letter queue's key (Lambda sends dead letters as the function's role).
    this.encryptionKey.grant(role, 'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey');
    return role;
  }

  private createFunction(role: iam.Role, target: RetrainTargetConfig): lambda.Function {
    return new RetrainTriggerFunction(this, 'Function', {
      description: `Starts a retrain of ${target.kind} ${target.name} when a watched alarm fires, under storm control`,
      role,
      timeout: Duration.minutes(1),
      memorySize: 256,
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      // Decisions serialize on one item anyway; one at a time keeps a storm's list and retry calls from multiplying.
      reservedConcurrentExecutions: 1,
      // The event itself lands in the queue (not an invocation record), so it can be replayed as is and keeps its id for dedupe.
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      environment: {
        ...target.environment,
        [ENVIRONMENT.tableName]: this.table.tableName,
        [ENVIRONMENT.cooldownSeconds]: String(this.cooldown.toMilliseconds() / 1000),
        [ENVIRONMENT.dailyCap]: String(this.dailyCap),
      },
    });
  }

  /** checkov's Lambda checks that do not apply, with why. */
  private skipCheckovOnFunction(): void {
    CheckovSkips.add(this.function, [
      { id: 'CKV_AWS_117', comment: 'The trigger calls only regional AWS APIs (DynamoDB, Step Functions or CodePipeline) over TLS with a role limited to its table and target; no VPC resource to reach.' },
      { id: 'CKV_AWS_173', comment: 'Its variables are the table name, the target ARN or name and the storm-control limits, no secret; Lambda encrypts them at rest with the AWS managed key.' },
      { id: 'CKV_AWS_45', comment: 'False positive on the table name, target identifier and limits, the only variables: identifiers and numbers, not secrets.' },
    ]);
  }

  private createRule(): events.Rule {
    const rule = new events.Rule(this, 'AlarmRule', {
      description: `Alarm transitions into ALARM that start a retrain (${this.node.path})`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        // Exactly the watched alarms, including those added after construction.
        resources: Lazy.list({ produce: () => this.watched.map((alarm) => alarm.alarmArn) }),
        detail: { state: { value: ['ALARM'] } },
      },
    });
    return this.routeToFunction(rule);
  }

  /** The function as the rule's target; undeliverable events go to the dead-letter queue. */
  private routeToFunction(rule: events.Rule): events.Rule {
    rule.addTarget(new targets.LambdaFunction(this.function, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 185,
      maxEventAge: Duration.hours(24),
    }));
    return rule;
  }

  private createAlarms(props: RetrainTriggerProps): AlarmFactory {
    const alarms = new AlarmFactory(this, 'Alarms', props.alarmOptions);
    alarms.addAlarm('Errors', {
      metric: this.function.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }),
      threshold: 0,
      description: `The retrain trigger ${this.node.path} failed on an alarm event (a refused start, throttling, a malformed event): see its log; after its retries the event is in the dead-letter queue.`,
    });
    alarms.addAlarm('DeadLetters', {
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }),
      threshold: 0,
      description: `Alarm events the retrain trigger ${this.node.path} could not act on are in its dead-letter queue: fix the cause (the function log says it), then replay them to the function.`,
    });
    return alarms;
  }

  private acknowledgeFindings(role: iam.Role): void {
    WildcardPermissions.acknowledgeRolePolicy(role, {
      reason: 'X-Ray trace segments take no resource; the target\'s executions are named per run (<state machine>:*), and the KMS grants CDK '
        + 'generates end in wildcards of the action name. Compensating control: every other action is named and scoped to this '
        + 'trigger\'s table, queue, key and log group, the watched alarms and the one target (its lock table and executions).',
      allowedFindings: ['Resource::*', 'Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*', 'Resource::*:execution:*'],
    });
    NagAcknowledgements.add(this.function, [{
      id: 'NIST.800.53.R5-LambdaInsideVPC',
      reason: 'The function calls only AWS APIs (DynamoDB, Step Functions or CodePipeline) over TLS, signed with its role, and holds no data. '
        + 'Compensating control: a least-privilege role scoped to one table and one target, and X-Ray tracing.',
    }]);
    NagAcknowledgements.add(this.deadLetterQueue, [{
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the trigger function and of its rule target. '
        + 'Compensating control: messages are kept 14 days, KMS-encrypted, and the dead-letters alarm fires on the first one.',
    }]);
    NagAcknowledgements.add(this.table, [{
      id: 'NIST.800.53.R5-DynamoDBInBackupPlan',
      reason: 'The table holds only the trigger\'s storm-control state (one claim item and week-long event records). '
        + 'Compensating control: point-in-time recovery (35 days), a retained table and a KMS key.',
    }]);
  }
}

function validateLimits(cooldown: Duration, dailyCap: number, retryInterval: Duration): void {
  const minutes = retryInterval.toMilliseconds() / 60_000;
  if (!Number.isInteger(minutes) || minutes < 1) {
    throw new Error(`RetrainTrigger retryInterval is ${retryInterval.toHumanString()}; give whole minutes, at least 1 (e.g. Duration.minutes(15)).`);
  }
  if (!Number.isInteger(cooldown.toMilliseconds() / 1000)) {
    throw new Error(`RetrainTrigger cooldown is ${cooldown.toHumanString()}; give whole seconds (e.g. Duration.hours(6)).`);
  }
  if (!Number.isInteger(dailyCap) || dailyCap < 1) {
    throw new Error(`RetrainTrigger dailyCap is ${dailyCap}; give a whole number of at least 1 (to pause retraining, disable the alarms' actions or remove the trigger).`);
  }
}
