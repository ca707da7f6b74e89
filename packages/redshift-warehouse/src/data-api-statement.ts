import { WildcardPermissions } from '@freshet/core';
import { Duration, IResolvable, IResolveContext, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

/** How the Redshift Data API reaches a warehouse: what `ExecuteStatement` needs, plus what IAM needs. */
export interface DataApiConnection {
  /** The database. */
  readonly database: string;
  /** The Secrets Manager secret with the admin user name and password (Redshift-managed). */
  readonly secretArn: string;
  /**
   * The key that encrypts the secret.
   * @default - AWS managed key
   */
  readonly secretKey?: kms.IKey;
  /**
   * The Serverless workgroup's name; set exactly one of this and `clusterIdentifier`.
   * @default - not Serverless
   */
  readonly workgroupName?: string;
  /**
   * The provisioned cluster's identifier; set exactly one of this and `workgroupName`.
   * @default - not provisioned
   */
  readonly clusterIdentifier?: string;
  /** The workgroup's or cluster's ARN, which `redshift-data:ExecuteStatement` is granted on. */
  readonly resourceArn: string;
}

/** Properties of a {@link DataApiStatement}. */
export interface DataApiStatementProps {
  /** The warehouse to run on: `RedshiftWarehouse.dataApiConnection`. */
  readonly connection: DataApiConnection;
  /**
   * The SQL statements. Two or more run with BatchExecuteStatement as one transaction.
   * {@link DataApiStatement.RUN_ID} in a statement is replaced by the run id.
   */
  readonly sqls: string[];
  /** The Data API statement name, which the failed-statement rule matches on: `freshet.<dataset>.<what>`. */
  readonly statementName: string;
  /** The state key the result goes to, e.g. `snapshot` for `$.snapshot`. */
  readonly resultKey: string;
  /**
   * Where the run id is, when the SQL or `outputS3Uri` uses {@link DataApiStatement.RUN_ID}.
   * @default '$$.Execution.Name'
   */
  readonly runIdPath?: string;
  /**
   * An S3 URI added to the result as `s3Uri`, with {@link DataApiStatement.RUN_ID} replaced like the SQL.
   * @default - no s3Uri in the result
   */
  readonly outputS3Uri?: string;
  /**
   * How long to wait between status checks.
   * @default Duration.seconds(15)
   */
  readonly pollInterval?: Duration;
  /**
   * How many status checks before the statement is cancelled and the fragment fails.
   * @default 240 - an hour at the default interval
   */
  readonly maxPolls?: number;
}

/** The condition key the Data API sets to the IAM user id (`aws:userid`) that started a statement. */
const STATEMENT_OWNER_KEY = 'redshift-data:statement-owner-iam-userid';

/** Run ids are spliced into SQL string literals and S3 keys, so characters that could end either are refused. */
const UNSAFE_RUN_ID_PATTERNS = ["*'*", '*\\\\*', '*/*', '* *'];

/**
 * A Step Functions fragment that runs SQL on a Redshift warehouse through the
 * Data API and waits for it: ExecuteStatement (or BatchExecuteStatement, one
 * transaction), then Wait → DescribeStatement → Choice until the statement
 * finishes. A failed statement fails the fragment with Redshift's error text;
 * an aborted one, or one still running after `maxPolls` checks (then
 * cancelled), fails it too.
 *
 * The result is small, at `$.<resultKey>`: `{ statementId, status: 'FINISHED', s3Uri? }`.
 *
 * The run id is checked before any SQL runs: a value holding a quote, a
 * backslash, a slash or a space fails with `InvalidRunId`. Step Functions
 * execution names may hold quotes, so this is not redundant.
 */
export class DataApiStatement extends sfn.StateMachineFragment {
  /** The placeholder that a statement or `outputS3Uri` uses for the run id. */
  public static readonly RUN_ID = '__FRESHET_RUN_ID__';

  /**
   * Acknowledges, on a state machine's generated role policy, the cdk-nag findings
   * the fragments cause: `DescribeStatement` and `CancelStatement` take no resource
   * ARN, so their resource is `*` (scoped by the statement-owner condition), and the
   * policy is inline. Call it for a state machine that runs these fragments; note that
   * it covers every `Resource::*` finding of that policy, so call it only if the
   * machine's other tasks have none.
   */
  public static acknowledgeStatusPolling(stateMachine: sfn.StateMachine): void {
    WildcardPermissions.acknowledgeRolePolicy(stateMachine.role as iam.Role, {
      reason: 'The Redshift Data API\'s DescribeStatement and CancelStatement take no resource ARN, so IAM accepts only *. ' +
        'Compensating control: the redshift-data:statement-owner-iam-userid condition limits both to statements a session of this role started, ' +
        'which run only on the workgroup or cluster named in the ExecuteStatement grant; DescribeStatement returns status, never result rows.',
      allowedFindings: ['Resource::*'],
    });
  }

  public readonly startState: sfn.State;
  public readonly endStates: sfn.INextable[];
  /** The JSONPath of the result: `$.<resultKey>`. */
  public readonly resultPath: string;

  constructor(scope: Construct, id: string, props: DataApiStatementProps) {
    super(scope, id);
    validate(props);
    const connection = props.connection;
    const key = props.resultKey;
    this.resultPath = `$.${key}`;
    const runIdPath = props.runIdPath ?? '$$.Execution.Name';
    const usesRunId = [...props.sqls, props.outputS3Uri ?? ''].some((s) => s.includes(DataApiStatement.RUN_ID));
    const withRunId = (text: string) => (text.includes(DataApiStatement.RUN_ID) ? formatWithRunId(text, runIdPath) : text);

    const target: Record<string, string> = connection.workgroupName !== undefined
      ? { WorkgroupName: connection.workgroupName }
      : { ClusterIdentifier: connection.clusterIdentifier! };
    const secretStatements = [
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [connection.secretArn] }),
      ...(connection.secretKey ? [new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [connection.secretKey.keyArn] })] : []),
    ];
    const batch = props.sqls.length > 1;
    const sqlParameters = batch
      ? { Sqls: props.sqls.map(withRunId) }
      : { Sql: withRunId(props.sqls[0]) };
    const execute = new tasks.CallAwsService(this, 'Execute', {
      service: 'redshiftdata',
      action: batch ? 'batchExecuteStatement' : 'executeStatement',
      iamAction: batch ? 'redshift-data:BatchExecuteStatement' : 'redshift-data:ExecuteStatement',
      iamResources: [connection.resourceArn],
      additionalIamStatements: secretStatements,
      parameters: {
        ...target,
        Database: connection.database,
        SecretArn: connection.secretArn,
        StatementName: props.statementName,
        // Emits an EventBridge event on completion, which the failed-statement alarm counts.
        WithEvent: true,
        ...sqlParameters,
      },
      resultSelector: { 'statementId.$': '$.Id', 'polls': 0 },
      resultPath: this.resultPath,
    });

    const wait = new sfn.Wait(this, 'Wait', { time: sfn.WaitTime.duration(props.pollInterval ?? Duration.seconds(15)) });
    const describe = new OwnStatementCall(this, 'Describe', {
      service: 'redshiftdata',
      action: 'describeStatement',
      iamAction: 'redshift-data:DescribeStatement',
      parameters: { 'Id.$': `${this.resultPath}.statementId` },
      resultSelector: { 'status.$': '$.Status' },
      resultPath: `${this.resultPath}.describe`,
    });
    const describeFailure = new OwnStatementCall(this, 'DescribeFailure', {
      service: 'redshiftdata',
      action: 'describeStatement',
      iamAction: 'redshift-data:DescribeStatement',
      parameters: { 'Id.$': `${this.resultPath}.statementId` },
      resultSelector: { 'error.$': '$.Error' },
      resultPath: `${this.resultPath}.failure`,
    });
    const failed = new sfn.Fail(this, 'StatementFailed', {
      error: 'RedshiftStatementFailed',
      causePath: `${this.resultPath}.failure.error`,
    });
    const aborted = new sfn.Fail(this, 'StatementAborted', {
      error: 'RedshiftStatementAborted',
      cause: `The ${props.statementName} statement was aborted (cancelled by a user or by Redshift).`,
    });
    const cancel = new OwnStatementCall(this, 'Cancel', {
      service: 'redshiftdata',
      action: 'cancelStatement',
      iamAction: 'redshift-data:CancelStatement',
      parameters: { 'Id.$': `${this.resultPath}.statementId` },
      resultPath: sfn.JsonPath.DISCARD,
    });
    const maxPolls = props.maxPolls ?? 240;
    const timedOut = new sfn.Fail(this, 'StatementTimedOut', {
      error: 'RedshiftStatementTimedOut',
      cause: `The ${props.statementName} statement was still running after ${maxPolls} status checks, and was cancelled: raise maxPolls or pollInterval, or the warehouse's capacity.`,
    });
    const count = new sfn.Pass(this, 'CountPoll', {
      parameters: {
        'statementId.$': `${this.resultPath}.statementId`,
        'polls.$': `States.MathAdd(${this.resultPath}.polls, 1)`,
      },
      resultPath: this.resultPath,
    });
    const done = new sfn.Pass(this, 'Done', {
      parameters: {
        'statementId.$': `${this.resultPath}.statementId`,
        'status': 'FINISHED',
        // A JSONPath token value: CDK renders the key as 's3Uri.$'.
        ...(props.outputS3Uri !== undefined ? { s3Uri: withRunId(props.outputS3Uri) } : {}),
      },
      resultPath: this.resultPath,
    });

    const status = `${this.resultPath}.describe.status`;
    execute.next(wait).next(describe).next(
      new sfn.Choice(this, 'Finished?')
        .when(sfn.Condition.stringEquals(status, 'FINISHED'), done)
        .when(sfn.Condition.stringEquals(status, 'FAILED'), describeFailure.next(failed))
        .when(sfn.Condition.stringEquals(status, 'ABORTED'), aborted)
        .when(sfn.Condition.numberGreaterThanEquals(`${this.resultPath}.polls`, maxPolls - 1), cancel.next(timedOut))
        .otherwise(count.next(wait)),
    );

    if (usesRunId) {
      const invalidRunId = new sfn.Fail(this, 'InvalidRunId', {
        error: 'InvalidRunId',
        cause: `The run id at ${runIdPath} must be a non-empty string without quotes, backslashes, slashes or spaces: it names an S3 prefix inside a SQL literal.`,
      });
      const unsafe = sfn.Condition.or(
        sfn.Condition.not(sfn.Condition.isString(runIdPath)),
        sfn.Condition.stringEquals(runIdPath, ''),
        ...UNSAFE_RUN_ID_PATTERNS.map((pattern) => sfn.Condition.stringMatches(runIdPath, pattern)),
      );
      const check = new sfn.Choice(this, 'RunIdSafe?').when(unsafe, invalidRunId).otherwise(execute);
      this.startState = check;
    } else {
      this.startState = execute;
    }
    this.endStates = [done];
    // State names are unique per machine: '<id>: Execute', so a COPY and an UNLOAD can share one workflow.
    this.prefixStates();
  }
}

/**
 * A Data API call on a statement id (DescribeStatement, CancelStatement).
 * These actions take no resource ARN, so IAM accepts only `*`; the
 * statement-owner condition limits the grant to statements the caller itself
 * started, as AWS's own Data API policies do.
 */
class OwnStatementCall extends tasks.CallAwsService {
  constructor(scope: Construct, id: string, props: Omit<tasks.CallAwsServiceProps, 'iamResources'>) {
    super(scope, id, { ...props, iamResources: ['*'] });
    // aws:userid holds the session name, and Step Functions may check a statement's status from
    // another session of its role than the one that started it: match any session of that role.
    this.taskPolicies![0].addCondition('StringLike', {
      [STATEMENT_OWNER_KEY]: new OwnerOfAnySession(this.taskPolicies![0]),
    });
  }
}

/**
 * `<role id>:*` for the role whose policy holds the statement (found at
 * synthesis, once the state machine has attached its tasks' statements to its
 * role), or the caller's own `aws:userid` when no role of this app holds it.
 */
class OwnerOfAnySession implements IResolvable {
  public readonly creationStack: string[] = [];

  /** Not a property: the statement holds this value, and IAM serializes statements to compare them. */
  private readonly statement: () => iam.PolicyStatement;

  constructor(statement: iam.PolicyStatement) {
    this.statement = () => statement;
  }

  public resolve(context: IResolveContext): string {
    for (const node of context.scope.node.root.node.findAll()) {
      if (!(node instanceof iam.Role)) continue;
      const policy = node.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
      // PolicyDocument keeps the statement objects it was given (not a public API: checked by the tests).
      const statements: unknown[] = (policy?.document as unknown as { statements?: unknown[] } | undefined)?.statements ?? [];
      if (statements.includes(this.statement())) return `${node.roleId}:*`;
    }
    return '${aws:userid}';
  }

  public toString(): string {
    return Token.asString(this);
  }
}

/**
 * `States.Format('…{}…', <runIdPath>, …)` for a text holding RUN_ID. Literal
 * braces are escaped so only the run id placeholders are substituted; CDK
 * escapes quotes and backslashes of the template.
 */
function formatWithRunId(text: string, runIdPath: string): string {
  const parts = text.split(DataApiStatement.RUN_ID).map(escapeBracesOutsideTokens);
  return sfn.JsonPath.format(parts.join('{}'), ...parts.slice(1).map(() => sfn.JsonPath.stringAt(runIdPath)));
}

/** Escapes `{` and `}` for States.Format, leaving CDK token markers (`${Token[…]}`) intact. */
function escapeBracesOutsideTokens(text: string): string {
  return text
    .split(/(\$\{Token\[[^\]]+\]\})/)
    .map((piece, index) => (index % 2 === 1 ? piece : piece.replace(/[{}]/g, (brace) => `\\${brace}`)))
    .join('');
}

function validate(props: DataApiStatementProps): void {
  const problems: string[] = [];
  const connection = props.connection;
  if ((connection.workgroupName === undefined) === (connection.clusterIdentifier === undefined)) {
    problems.push('connection needs exactly one of workgroupName and clusterIdentifier.');
  }
  if (props.sqls.length === 0 || props.sqls.some((sql) => Token.isUnresolved(sql) ? false : sql.trim() === '')) {
    problems.push('sqls is empty or holds an empty statement: give at least one SQL statement.');
  }
  if (props.sqls.length > 40) {
    problems.push(`sqls holds ${props.sqls.length} statements: BatchExecuteStatement takes at most 40.`);
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(props.resultKey)) {
    problems.push(`resultKey '${props.resultKey}' must be a plain JSON key such as 'snapshot' (letters, digits, underscores).`);
  }
  if (props.runIdPath !== undefined && !props.runIdPath.startsWith('$')) {
    problems.push(`runIdPath '${props.runIdPath}' must be a JSONPath such as '$.runId' or '$$.Execution.Name'.`);
  }
  if (props.maxPolls !== undefined && (!Number.isInteger(props.maxPolls) || props.maxPolls < 1)) {
    problems.push(`maxPolls is ${props.maxPolls}: use a whole number of at least 1.`);
  }
  if (props.pollInterval !== undefined && (props.pollInterval.toSeconds() < 1 || props.pollInterval.toSeconds() > 3600)) {
    problems.push('pollInterval must be from 1 second to 1 hour.');
  }
  if (!/^[\w.-]{1,500}$/.test(props.statementName)) {
    problems.push(`statementName '${props.statementName}' must be letters, digits, '.', '_' or '-' (at most 500).`);
  }
  if (problems.length > 0) {
    throw new Error(`Invalid DataApiStatement '${props.statementName}':\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
