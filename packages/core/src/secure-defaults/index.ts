export * from './data-removal-policy';
export * from './secure-key';
export * from './secure-log-group';
export * from './secure-bucket-props';
export * from './secure-bucket';
