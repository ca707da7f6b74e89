export * from './schema';
export * from './secure-defaults';
export * from './alarms';
export * from './nag';
export * from './algorithms';
export * from './deployment';
