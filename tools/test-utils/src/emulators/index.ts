export * from './kinesis-emulator';
export * from './kinesis-fault-proxy';
export * from './s3-emulator';
export * from './seeded-random';
export * from './redshift-data-emulator';
export * from './sfn-emulator';
export * from './codepipeline-emulator';
export * from './moto-server';
