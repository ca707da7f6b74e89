export * from './sql';
export * from './handlers/table-ddl-function';
export * from './warehouse-compute';
export * from './data-api-statement';
export * from './serverless-usage-limit';
export * from './namespace-admin-secret';
export * from './redshift-warehouse-props';
export * from './redshift-warehouse';
