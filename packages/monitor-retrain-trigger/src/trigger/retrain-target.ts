import { RetrainPipeline } from '@freshet/retrain-pipeline';
import { Arn, ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENVIRONMENT, PIPELINE_VARIABLES, TARGET_KINDS } from '../handlers/retrain-trigger/environment-names';
import { RUN_END } from '../handlers/retrain-trigger/trigger-events';

/** What a bound target gives the trigger function. */
export interface RetrainTargetConfig {
  /** `state-machine` or `code-pipeline`. */
  readonly kind: string;
  /** The target's name: the `Target` dimension of the trigger's metrics. */
  readonly name: string;
  /** The function's environment variables that name the target. */
  readonly environment: Record<string, string>;
  /** The events of the target's runs ending: a run's end settles it and retries a pending request. */
  readonly runEndPattern: events.EventPattern;
}

/**
 * The pipeline-level variables a CodePipeline target is started with: the
 * pipeline (V2) must declare them. RetrainTarget declares them itself on a
 * `codepipeline.Pipeline` of the same app.
 */
export class RetrainPipelineVariables {
  /** The name of the alarm that fired. */
  public static readonly ALARM = PIPELINE_VARIABLES.alarm;
  /** `<alarm name>: <the alarm's state reason>`, at most 900 characters. */
  public static readonly REASON = PIPELINE_VARIABLES.reason;

  private constructor() {}
}

/** What the RetrainTrigger starts when an alarm fires. */
export abstract class RetrainTarget {
  /**
   * A Step Functions state machine, such as `RetrainPipeline.stateMachine`:
   * StartExecution with the input `{ "reason": "<alarm name>: <reason>" }`,
   * named `alarm-<alarm name>-<event id>`. The state machine of a
   * RetrainPipeline is started under the pipeline's run lock
   * (`RetrainPipeline.runLockTable`), the lock its schedule and deployment
   * starts take, so two runs never overlap.
   */
  public static stateMachine(stateMachine: sfn.IStateMachine): RetrainTarget {
    return new StateMachineRetrainTarget(stateMachine);
  }

  /**
   * A CodePipeline V2 pipeline, for teams that retrain through their pipeline:
   * StartPipelineExecution with the variables `RetrainAlarm` and
   * `RetrainReason`. On a `codepipeline.Pipeline` of this app they are
   * declared for you; an imported pipeline must declare them.
   */
  public static codePipeline(pipeline: codepipeline.IPipeline): RetrainTarget {
    return new CodePipelineRetrainTarget(pipeline.pipelineName, pipeline);
  }

  /**
   * A CodePipeline V2 pipeline of this account and region, by name. It must
   * declare the variables `RetrainAlarm` and `RetrainReason`.
   */
  public static codePipelineNamed(pipelineName: string): RetrainTarget {
    if (!Token.isUnresolved(pipelineName) && !/^[A-Za-z0-9.@_-]{1,100}$/.test(pipelineName)) {
      throw new Error(`RetrainTarget.codePipelineNamed('${pipelineName}'): a pipeline name is 1-100 letters, digits and . @ - _; give the pipeline's name, not its ARN.`);
    }
    return new CodePipelineRetrainTarget(pipelineName);
  }

  /**
   * Grants the trigger function what it needs on the target (start a run, list
   * the runs in flight, on this target only) and names the target for it.
   * RetrainTrigger calls it; you do not need to.
   */
  public abstract bind(scope: Construct, grantee: iam.IGrantable): RetrainTargetConfig;
}

class StateMachineRetrainTarget extends RetrainTarget {
  constructor(private readonly stateMachine: sfn.IStateMachine) {
    super();
  }

  public bind(scope: Construct, grantee: iam.IGrantable): RetrainTargetConfig {
    const arn = this.stateMachine.stateMachineArn;
    const pipeline = this.stateMachine.node.scope;
    const environment: Record<string, string> = { [ENVIRONMENT.targetKind]: TARGET_KINDS.stateMachine, [ENVIRONMENT.stateMachineArn]: arn };
    if (pipeline instanceof RetrainPipeline && pipeline.stateMachine === this.stateMachine) {
      // The pipeline's own lock: start, list, describe, and the lock item.
      pipeline.grantRunLock(grantee);
      environment[ENVIRONMENT.runLockTableName] = pipeline.runLockTable.tableName;
    } else {
      this.stateMachine.grantStartExecution(grantee);
      iam.Grant.addToPrincipal({ grantee, actions: ['states:ListExecutions'], resourceArns: [arn] });
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['states:DescribeExecution'],
        resourceArns: [Stack.of(scope).formatArn({ service: 'states', resource: 'execution', resourceName: `${Arn.split(arn, ArnFormat.COLON_RESOURCE_NAME).resourceName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      });
    }
    return {
      kind: TARGET_KINDS.stateMachine,
      // arn:<partition>:states:<region>:<account>:stateMachine:<name>: the name, as the function reads it.
      name: Arn.split(arn, ArnFormat.COLON_RESOURCE_NAME).resourceName!,
      environment,
      runEndPattern: {
        source: ['aws.states'],
        detailType: [RUN_END.stateMachine.detailType],
        detail: { stateMachineArn: [arn], status: [...RUN_END.stateMachine.states] },
      },
    };
  }
}

class CodePipelineRetrainTarget extends RetrainTarget {
  constructor(private readonly pipelineName: string, private readonly pipeline?: codepipeline.IPipeline) {
    super();
  }

  public bind(scope: Construct, grantee: iam.IGrantable): RetrainTargetConfig {
    const arn = this.pipeline?.pipelineArn ?? Stack.of(scope).formatArn({ service: 'codepipeline', resource: this.pipelineName });
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['codepipeline:StartPipelineExecution', 'codepipeline:ListPipelineExecutions', 'codepipeline:GetPipelineExecution'],
      resourceArns: [arn],
    });
    if (this.pipeline instanceof codepipeline.Pipeline) {
      declareVariables(this.pipeline);
    }
    return {
      kind: TARGET_KINDS.codePipeline,
      name: this.pipelineName,
      environment: { [ENVIRONMENT.targetKind]: TARGET_KINDS.codePipeline, [ENVIRONMENT.pipelineName]: this.pipelineName },
      runEndPattern: {
        source: ['aws.codepipeline'],
        detailType: [RUN_END.codePipeline.detailType],
        detail: { pipeline: [this.pipelineName], state: [...RUN_END.codePipeline.states] },
      },
    };
  }
}

/** Declares the trigger's variables on a pipeline of this app, unless it already has them. */
function declareVariables(pipeline: codepipeline.Pipeline): void {
  const variables: [string, string, string][] = [
    [RetrainPipelineVariables.ALARM, 'none', 'The alarm that started this execution (set by RetrainTrigger)'],
    [RetrainPipelineVariables.REASON, 'manual', 'Why this execution retrains: <alarm name>: <alarm reason> (set by RetrainTrigger)'],
  ];
  for (const [variableName, defaultValue, description] of variables) {
    try {
      pipeline.addVariable(new codepipeline.Variable({ variableName, defaultValue, description }));
    } catch (error) {
      // Declared already (by the user, or by another trigger of the same pipeline).
      if (!/duplicate name/.test((error as Error).message)) throw error;
    }
  }
}
