/**
 * The environment variables RetrainPipeline sets on the start guard. No SDK
 * imports here: the construct's library code imports this file.
 */
export const START_GUARD_ENVIRONMENT = { stateMachineArn: 'STATE_MACHINE_ARN', lockTableName: 'RUN_LOCK_TABLE_NAME' } as const;
