export * from './data-extract';
export * from './training-algorithm';
export * from './retrain-pipeline-props';
export * from './retrain-pipeline';
export * from './run-names';
