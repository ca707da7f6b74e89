export * from './nag-acknowledgement';
