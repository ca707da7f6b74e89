export * from './nag';
