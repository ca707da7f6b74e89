export * from './workflow-graph';
export * from './svg-renderer';
export * from './architecture-graph';
export * from './architecture-svg';
