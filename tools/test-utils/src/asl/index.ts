export * from './synthesized-definition';
export * from './run-state-machine';
