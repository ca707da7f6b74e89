export * from './nag';
export * from './cfn-lint';
