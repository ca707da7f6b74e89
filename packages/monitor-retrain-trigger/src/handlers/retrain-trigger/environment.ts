import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { RunLock } from '@freshet/retrain-pipeline/lib/handlers/start-guard/run-lock';
import { AlarmStates } from './alarm-states';
import { ENVIRONMENT, TARGET_KINDS } from './environment-names';
import { CodePipelineTarget, RetrainTargetApi, StateMachineTarget } from './retrain-targets';
import { RetrainTriggerDependencies } from './retrain-trigger';
import { StormControlTable } from './storm-control';

/**
 * SDK attempts per call: throttling and transient errors are retried with
 * the SDK's exponential backoff before the invocation fails (and Lambda's
 * async retries start).
 */
export const SDK_MAX_ATTEMPTS = 5;

/** A claim left `starting` this long belongs to a dead attempt (the function times out long before). */
const STALE_START_SECONDS = 15 * 60;

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`The retrain trigger needs the environment variable ${name}.`);
  return value;
}

/** The trigger's collaborators from the function's environment (clients honour `AWS_ENDPOINT_URL_*`); `now` is the run lock's clock too. */
export function dependenciesFromEnvironment(env: NodeJS.ProcessEnv = process.env, now: () => Date = () => new Date()): RetrainTriggerDependencies {
  const kind = required(env, ENVIRONMENT.targetKind);
  let target: RetrainTargetApi;
  const dynamodb = new DynamoDBClient({ maxAttempts: SDK_MAX_ATTEMPTS });
  if (kind === TARGET_KINDS.stateMachine) {
    const sfn = new SFNClient({ maxAttempts: SDK_MAX_ATTEMPTS });
    const arn = required(env, ENVIRONMENT.stateMachineArn);
    const lockTable = env[ENVIRONMENT.runLockTableName];
    target = new StateMachineTarget(sfn, arn, lockTable ? new RunLock(dynamodb, sfn, lockTable, arn, now) : undefined);
  } else if (kind === TARGET_KINDS.codePipeline) {
    target = new CodePipelineTarget(new CodePipelineClient({ maxAttempts: SDK_MAX_ATTEMPTS }), required(env, ENVIRONMENT.pipelineName));
  } else {
    throw new Error(`${ENVIRONMENT.targetKind} is '${kind}'; expected '${TARGET_KINDS.stateMachine}' or '${TARGET_KINDS.codePipeline}'.`);
  }
  const cooldownSeconds = Number(required(env, ENVIRONMENT.cooldownSeconds));
  const dailyCap = Number(required(env, ENVIRONMENT.dailyCap));
  if (!Number.isInteger(cooldownSeconds) || cooldownSeconds < 0 || !Number.isInteger(dailyCap) || dailyCap < 1) {
    throw new Error(`${ENVIRONMENT.cooldownSeconds} (${cooldownSeconds}) and ${ENVIRONMENT.dailyCap} (${dailyCap}) must be whole numbers, the cap at least 1.`);
  }
  return {
    target,
    table: new StormControlTable(dynamodb, required(env, ENVIRONMENT.tableName)),
    alarms: new AlarmStates(new CloudWatchClient({ maxAttempts: SDK_MAX_ATTEMPTS })),
    limits: { cooldownSeconds, dailyCap, staleStartSeconds: STALE_START_SECONDS },
  };
}
