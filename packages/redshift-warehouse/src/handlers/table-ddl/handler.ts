import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import { createTableDdlHandler } from './table-ddl';

// Created once per container and reused across invocations. Region and
// endpoint come from the standard environment (AWS_REGION,
// AWS_ENDPOINT_URL_REDSHIFT_DATA).
const client = new RedshiftDataClient({});

/** The `onEvent` handler of the table custom resource's Provider. */
export const handler = createTableDdlHandler(client);
