export * from './handlers/csv-ingest-function';
