import { Algorithm } from '@freshet/core';
import { pollutionSchema, stocksSchema } from '@freshet/examples';
import { Derivation, GlueEtl } from '@freshet/glue-etl';
import { ModelEndpoint, ModelSource } from '@freshet/model-endpoint';
import { RedshiftWarehouse } from '@freshet/redshift-warehouse';
import { DataExtract, RetrainPipeline, TaskType, TrainingAlgorithm } from '@freshet/retrain-pipeline';
import { StreamingIngest } from '@freshet/streaming-ingest';
import { Duration, Stack, Stage, StageProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';

/**
 * One environment of the platform (Dev): ingest into the lake and curate it
 * (Data), load the warehouse (Warehouse), serve predictions (Serving), and
 * retrain the models into their endpoints (Training).
 */
export class MlPlatformStage extends Stage {
  /** The data stack: ingest, the lake and the ETL jobs. */
  public readonly dataStack: Stack;
  /** The warehouse stack: Redshift Serverless with the stocks table. */
  public readonly warehouseStack: Stack;
  /** The serving stack: the endpoints and their APIs. */
  public readonly servingStack: Stack;
  /** The training stack: the retraining workflows. */
  public readonly trainingStack: Stack;
  /** The stocks ingest (CSV uploads and IoT); it owns the lake bucket. */
  public readonly stocksIngest: StreamingIngest;
  /** The pollution ingest (IoT), into the same lake. */
  public readonly pollutionIngest: StreamingIngest;
  /** Raw stocks ticks to the curated table. */
  public readonly stocksEtl: GlueEtl;
  /** Raw pollution readings to the curated table, with the hour of the reading. */
  public readonly pollutionEtl: GlueEtl;
  /** The stocks warehouse: hourly COPY of the curated table, UNLOAD of training snapshots. */
  public readonly stocksWarehouse: RedshiftWarehouse;
  /** The stocks price model (AutoGluon) behind its API. */
  public readonly stocksEndpoint: ModelEndpoint;
  /** The ozone forecast model (DeepAR) behind its API. */
  public readonly pollutionEndpoint: ModelEndpoint;
  /** Retrains the stocks model (AutoGluon) from a warehouse snapshot into the stocks endpoint. */
  public readonly stocksRetrain: RetrainPipeline;
  /** Retrains the ozone forecast (DeepAR) from the raw readings into the pollution endpoint. */
  public readonly pollutionRetrain: RetrainPipeline;

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
      // Hourly, after Firehose has flushed the hour.
      schedule: 'cron(15 * * * ? *)',
    });
    this.pollutionEtl = new GlueEtl(this.dataStack, 'PollutionEtl', {
      schema: pollution,
      lakeBucket,
      lakeKey,
      // The IoT example forecasts by hour of day.
      derivedColumns: [{ name: 'hour', derivation: Derivation.HOUR, source: 'timestamp' }],
      dataQuality: { valueRanges: [{ column: 'ozone', min: 0 }] },
      schedule: 'cron(15 * * * ? *)',
    });

    this.warehouseStack = new Stack(this, 'Warehouse', { description: 'Freshet warehouse: Redshift Serverless loaded from the curated lake' });
    this.stocksWarehouse = new RedshiftWarehouse(this.warehouseStack, 'StocksWarehouse', {
      schema: stocks,
      lakeBucket,
      lakeKey,
      curatedPrefix: this.stocksEtl.curatedPrefix,
      // Half an hour after the ETL job starts, so the hour's curated partitions are in.
      copySchedule: events.Schedule.cron({ minute: '45' }),
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

    this.trainingStack = new Stack(this, 'Training', { description: 'Freshet training: the retraining workflows, gated, deploying to the endpoints' });
    this.stocksRetrain = new RetrainPipeline(this.trainingStack, 'StocksRetrain', {
      schema: stocks,
      lakeBucket,
      lakeKey,
      extract: DataExtract.redshiftSnapshot(this.stocksWarehouse),
      algorithm: TrainingAlgorithm.autogluon({ taskType: TaskType.REGRESSION, timeLimit: Duration.minutes(30) }),
      // RMSE of the price at most 5, and at least 0.05 better than the approved champion.
      gate: { threshold: 5, minImprovement: 0.05 },
      deployTo: this.stocksEndpoint.deploymentTarget(),
    });
    this.pollutionRetrain = new RetrainPipeline(this.trainingStack, 'PollutionRetrain', {
      schema: pollution,
      lakeBucket,
      lakeKey,
      // DeepAR trains on whole series per device: the raw JSON lines of every hour so far (preprocess types and rejects bad rows).
      extract: DataExtract.s3Prefix(this.pollutionIngest.rawPrefix),
      // The IoT example: hourly readings, three days of context, a day ahead.
      algorithm: TrainingAlgorithm.deepar({ frequency: 'H', contextLength: 72, predictionLength: 24, seriesIdColumn: 'device_id' }),
      gate: { threshold: 0.3, minImprovement: 0.01 },
      deployTo: this.pollutionEndpoint.deploymentTarget(),
    });
    // A push that changes how data is curated or how models train retrains them once it is deployed.
    this.stocksRetrain.startOnDeploymentOf('RetrainOnDeployment', [this.dataStack, this.warehouseStack, this.trainingStack]);
    this.pollutionRetrain.startOnDeploymentOf('RetrainOnDeployment', [this.dataStack, this.trainingStack]);
  }
}
