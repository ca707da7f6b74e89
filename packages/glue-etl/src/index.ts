export * from './glue-etl-props';
export * from './glue-job-script';
export * from './data-quality-rules';
export * from './lake-tables';
export * from './glue-etl';
