export * from './trigger';
export * from './drift/drift-monitor-props';
export * from './drift/drift-monitor';
export * from './model-monitor/model-monitor-schedule';
export * from './monitor-retrain-trigger-props';
export * from './monitor-retrain-trigger';
