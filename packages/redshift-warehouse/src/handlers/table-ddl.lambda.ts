/**
 * The `onEvent` handler of the warehouse's custom resources: the dataset
 * table (created through the Redshift Data API, columns added on update, kept
 * on delete) and statements resources such as the streaming view. The logic
 * lives in ./table-ddl so tests can drive it with their own client; this file
 * only exports the handler built on the module-scope client.
 */
export { handler } from './table-ddl/handler';
