export * from './workflow-graph';
export * from './svg-renderer';
