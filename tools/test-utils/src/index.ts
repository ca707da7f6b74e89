export * from './nag';
export * from './cfn-lint';
export * from './emulators';
export * from './emulators/sagemaker-runtime-emulator';
export * from './asl';
export * from './iam';
export * from './nag-v2';
