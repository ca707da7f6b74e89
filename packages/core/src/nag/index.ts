export * from './nag-acknowledgement';
export * from './wildcard-permissions';
