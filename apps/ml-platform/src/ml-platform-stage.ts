import { StreamingIngest } from '@freshet/streaming-ingest';
import { Stack, Stage, StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { stocksSchema } from './datasets';

/**
 * One environment of the platform (Dev for now): ingest into the lake, and
 * later the ETL, the warehouse, retraining and the endpoints.
 */
export class MlPlatformStage extends Stage {
  /** The data stack: ingest and the lake. */
  public readonly dataStack: Stack;
  /** The stocks ingest (CSV uploads and IoT). */
  public readonly stocksIngest: StreamingIngest;

  constructor(scope: Construct, id: string, props: StageProps = {}) {
    super(scope, id, props);
    this.dataStack = new Stack(this, 'Data', { description: 'Freshet data: ingest streams and the lake' });
    this.stocksIngest = new StreamingIngest(this.dataStack, 'StocksIngest', {
      schema: stocksSchema(),
      iotSource: { topicFilter: 'freshet/stocks/+' },
      csvUploadSource: {},
    });
  }
}
