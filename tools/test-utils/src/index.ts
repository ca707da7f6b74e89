export * from './nag';
export * from './cfn-lint';
export * from './emulators';
