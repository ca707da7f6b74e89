/**
 * The drift monitor's last step: publishes the report's metrics.json to
 * CloudWatch (namespace Freshet/ModelMonitor), where the drift alarms read it
 * (see drift-publisher/publish-metrics.ts). Environment: ENDPOINT_NAME.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { S3Client } from '@aws-sdk/client-s3';
import { PublishEvent, publishReport, PublishResult } from './drift-publisher/publish-metrics';

const endpointName = process.env.ENDPOINT_NAME;
if (!endpointName) throw new Error('ENDPOINT_NAME is not set.');
const clients = { s3: new S3Client({}), cloudWatch: new CloudWatchClient({}) };

export async function handler(event: PublishEvent): Promise<PublishResult> {
  const result = await publishReport(clients, endpointName!, event);
  console.log(JSON.stringify({ level: 'info', message: 'Published drift metrics', reportUri: event.reportUri, published: result.published, rejected: result.rejected }));
  return result;
}
