export * from './alarm-threshold';
export * from './alarm-factory';
export * from './alarm-topic';
