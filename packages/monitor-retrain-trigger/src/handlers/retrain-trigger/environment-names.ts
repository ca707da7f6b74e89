/**
 * The names the RetrainTrigger construct and its function share. No SDK
 * imports here: the construct's library code imports this file.
 */

/** The environment variables the construct sets on the function. */
export const ENVIRONMENT = {
  tableName: 'STORM_TABLE_NAME',
  targetKind: 'TARGET_KIND',
  stateMachineArn: 'STATE_MACHINE_ARN',
  pipelineName: 'PIPELINE_NAME',
  cooldownSeconds: 'COOLDOWN_SECONDS',
  dailyCap: 'DAILY_CAP',
  /** The RetrainPipeline's run lock table (a state machine target that is a RetrainPipeline's only). */
  runLockTableName: 'RUN_LOCK_TABLE_NAME',
} as const;

/** The values of `TARGET_KIND`. */
export const TARGET_KINDS = { stateMachine: 'state-machine', codePipeline: 'code-pipeline' } as const;

/** The pipeline variables a CodePipeline target is started with (the pipeline must declare them). */
export const PIPELINE_VARIABLES = { alarm: 'RetrainAlarm', reason: 'RetrainReason' } as const;
