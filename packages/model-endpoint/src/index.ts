export * from './model-source';
export * from './endpoint-compute';
export * from './endpoint-teardown';
export * from './model-endpoint-props';
export * from './model-endpoint';
export * from './predict-api';
export * from './handlers/predict-proxy-function';
