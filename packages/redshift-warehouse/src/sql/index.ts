export * from './redshift-sql-props';
export * from './redshift-sql';
