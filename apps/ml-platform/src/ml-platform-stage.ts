import { Algorithm } from '@freshet/core';
import { Derivation, GlueEtl } from '@freshet/glue-etl';
import { ModelEndpoint, ModelSource } from '@freshet/model-endpoint';
import { StreamingIngest } from '@freshet/streaming-ingest';
import { Stack, Stage, StageProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { pollutionSchema, stocksSchema } from './datasets';

/**
 * One environment of the platform (Dev): ingest into the lake and curate it
 * (Data), serve predictions (Serving).
 */
export class MlPlatformStage extends Stage {
  /** The data stack: ingest, the lake and the ETL jobs. */
  public readonly dataStack: Stack;
  /** The serving stack: the endpoints and their APIs. */
  public readonly servingStack: Stack;
  /** The stocks ingest (CSV uploads and IoT); it owns the lake bucket. */
  public readonly stocksIngest: StreamingIngest;
  /** The pollution ingest (IoT), into the same lake. */
  public readonly pollutionIngest: StreamingIngest;
  /** Raw stocks ticks to the curated table. */
  public readonly stocksEtl: GlueEtl;
  /** Raw pollution readings to the curated table, with the hour of the reading. */
  public readonly pollutionEtl: GlueEtl;
  /** The stocks price model (AutoGluon) behind its API. */
  public readonly stocksEndpoint: ModelEndpoint;
  /** The ozone forecast model (DeepAR) behind its API. */
  public readonly pollutionEndpoint: ModelEndpoint;

  constructor(scope: Construct, id: string, props: StageProps = {}) {
    super(scope, id, props);
    const stocks = stocksSchema();
    const pollution = pollutionSchema();

    this.dataStack = new Stack(this, 'Data', { description: 'Freshet data: ingest streams, the lake and its ETL jobs' });
    this.stocksIngest = new StreamingIngest(this.dataStack, 'StocksIngest', {
      schema: stocks,
      iotSource: { topicFilter: 'freshet/stocks/+' },
      csvUploadSource: {},
    });
    const lakeBucket = this.stocksIngest.lakeBucket;
    const lakeKey = this.stocksIngest.lakeKey;
    this.pollutionIngest = new StreamingIngest(this.dataStack, 'PollutionIngest', {
      schema: pollution,
      iotSource: { topicFilter: 'freshet/pollution/+' },
      existingLakeBucket: lakeBucket,
      existingLakeBucketKey: lakeKey,
    });
    this.stocksEtl = new GlueEtl(this.dataStack, 'StocksEtl', {
      schema: stocks,
      lakeBucket,
      lakeKey,
      dataQuality: { valueRanges: [{ column: 'price', min: 0 }] },
    });
    this.pollutionEtl = new GlueEtl(this.dataStack, 'PollutionEtl', {
      schema: pollution,
      lakeBucket,
      lakeKey,
      // The IoT example forecasts by hour of day.
      derivedColumns: [{ name: 'hour', derivation: Derivation.HOUR, source: 'timestamp' }],
      dataQuality: { valueRanges: [{ column: 'ozone', min: 0 }] },
    });

    this.servingStack = new Stack(this, 'Serving', { description: 'Freshet serving: SageMaker endpoints behind validated prediction APIs' });
    // The first models come from a seed training run uploaded to models/seed/ (README: Seeding Dev); retraining replaces them.
    this.stocksEndpoint = new ModelEndpoint(this.servingStack, 'StocksEndpoint', {
      schema: stocks,
      model: ModelSource.fromAlgorithm(Algorithm.AUTOGLUON, { bucket: lakeBucket, key: 'models/seed/stocks/model.tar.gz' }),
      lakeBucket,
    });
    this.pollutionEndpoint = new ModelEndpoint(this.servingStack, 'PollutionEndpoint', {
      schema: pollution,
      model: ModelSource.fromAlgorithm(Algorithm.DEEPAR, { bucket: lakeBucket, key: 'models/seed/pollution/model.tar.gz' }),
      lakeBucket,
    });
  }
}
