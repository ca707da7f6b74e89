// The replay of a synthesized app's continuous-training loop over simulated time.
export * from './app/app-model';
export * from './app/capabilities';
export * from './cloudwatch/alarm-evaluator';
export * from './cloudwatch/metric-store';
export * from './clock/schedule-expression';
export * from './clock/simulated-clock';
export * from './events/event-pattern';
export * from './scenario/scenario';
export { main } from './cli';
// The retrain run executor (issue 20's retrain side).
export * from './runs/types';
export * from './runs/retrain-runner';
export * from './emulators/sagemaker';
export * from './jobs/local-jobs';
export * from './warehouse/unload';
