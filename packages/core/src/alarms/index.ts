export * from './alarm-threshold';
export * from './alarm-factory';
