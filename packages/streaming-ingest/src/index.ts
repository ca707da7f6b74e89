export * from './streaming-ingest-props';
export * from './streaming-ingest';
export * from './lake-delivery';
export * from './iot-source';
export * from './csv-upload-source';
export * from './handlers/csv-ingest-function';
