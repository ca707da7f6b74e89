export * from './nag-acknowledgement';
export * from './wildcard-permissions';
export * from './nag-v2-suppressions';
export * from './checkov-skip';
export * from './pinned-lambda-runtime';
