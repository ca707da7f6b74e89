export * from './retrain-target';
export * from './retrain-trigger-props';
export * from './retrain-trigger';
