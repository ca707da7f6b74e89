import { AlarmOptions, AlarmTopic, Algorithm } from '@freshet/core';
import { pollutionSchema, stocksSchema } from '@freshet/examples';
import { Derivation, GlueEtl } from '@freshet/glue-etl';
import { EndpointCompute, ModelEndpoint, ModelSource } from '@freshet/model-endpoint';
import { ModelQualityMonitoring, MonitorRetrainTrigger, RetrainTarget } from '@freshet/monitor-retrain-trigger';
import { RedshiftWarehouse, WarehouseCompute } from '@freshet/redshift-warehouse';
import { ApprovalMode, DataExtract, RetrainPipeline, TaskType, TrainingAlgorithm } from '@freshet/retrain-pipeline';
import { StreamingIngest } from '@freshet/streaming-ingest';
import { CfnOutput, Duration, Stack, Stage } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { MlPlatformStageProps, StageOutputs, StageSettings } from './ml-platform-stage-props';
import { SmokeTestRole } from './smoke-test-role';

/** The curating jobs' schedule: daily at 02:15 UTC, after Firehose has flushed the night's hours. */
const DAILY_ETL = 'cron(15 2 * * ? *)';
/** The retraining floor: Sundays at 03:00 UTC, after that day's 02:45 COPY; drift alarms retrain in between. */
const WEEKLY_RETRAIN = 'cron(0 3 ? * SUN *)';
/** A serverless endpoint's memory: AutoGluon's and DeepAR's inference containers with their models fit in 4 GB. */
const SERVERLESS_MEMORY_MB = 4096;
/** A serverless endpoint's concurrency: half the proxy's reserved concurrency (10), which bounds what reaches it. */
const SERVERLESS_MAX_CONCURRENCY = 5;

/**
 * One environment of the platform (Dev or Prod): ingest into the lake and curate it
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
  /** The drift monitors (stages with `monitorEndpoints`). */
  public readonly monitoringStack?: Stack;
  /** Watches the stocks endpoint: its drift and quality alarms retrain through the stocks workflow's state machine. */
  public readonly stocksMonitor?: MonitorRetrainTrigger;
  /** Watches the pollution endpoint, with the same trigger into the pollution workflow. */
  public readonly pollutionMonitor?: MonitorRetrainTrigger;
  /** Every alarm of the stage notifies this topic (email subscription from the config). */
  public readonly alarmTopic: AlarmTopic;
  /**
   * One dashboard per dataset, in the stage's last stack (Monitoring, else Training):
   * each construct of the dataset draws its section on it (CloudWatch's first three
   * dashboards of an account are free, and each further one is $3 a month).
   */
  public readonly stocksDashboard: cloudwatch.Dashboard;
  /** The pollution dataset's dashboard, beside the stocks one. */
  public readonly pollutionDashboard: cloudwatch.Dashboard;
  /** The prefix of every alarm name: `freshet-<stage>`. */
  public readonly alarmNamePrefix: string;
  /** What the smoke tests call, with their permissions, when the stage has a smoke-test runner. */
  public readonly smokeTestRole?: SmokeTestRole;
  /** The outputs the smoke tests read. */
  public readonly outputs: StageOutputs;
  public readonly settings: StageSettings;

  constructor(scope: Construct, id: string, props: MlPlatformStageProps) {
    super(scope, id, props);
    this.settings = props.settings;
    const stocks = stocksSchema();
    const pollution = pollutionSchema();

    this.dataStack = new Stack(this, 'Data', { description: 'Freshet data: ingest streams, the lake and its ETL jobs' });
    this.warehouseStack = new Stack(this, 'Warehouse', { description: 'Freshet warehouse: Redshift Serverless loaded from the curated lake' });
    this.servingStack = new Stack(this, 'Serving', { description: 'Freshet serving: SageMaker endpoints behind validated prediction APIs' });
    this.trainingStack = new Stack(this, 'Training', { description: 'Freshet training: the retraining workflows, gated, deploying to the endpoints' });
    if (props.settings.monitorEndpoints) {
      this.monitoringStack = new Stack(this, 'Monitoring', { description: 'Freshet monitoring: drift and quality of the served models, whose alarms retrain them' });
    }
    // One topic per stage, in the stack every other stack already depends on.
    this.alarmTopic = new AlarmTopic(this.dataStack, 'AlarmTopic');
    this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.settings.alarmEmail));
    this.alarmNamePrefix = `freshet-${props.settings.name}`;
    // The dashboards draw on every other stack, so they live in the one deployed last.
    const dashboardStack = this.monitoringStack ?? this.trainingStack;
    this.stocksDashboard = new cloudwatch.Dashboard(dashboardStack, 'StocksDashboard', { dashboardName: `${this.alarmNamePrefix}-stocks`, defaultInterval: Duration.hours(3) });
    this.pollutionDashboard = new cloudwatch.Dashboard(dashboardStack, 'PollutionDashboard', { dashboardName: `${this.alarmNamePrefix}-pollution`, defaultInterval: Duration.hours(3) });
    const stocksAlarms = this.alarmOptions(this.stocksDashboard);
    const pollutionAlarms = this.alarmOptions(this.pollutionDashboard);
    this.stocksIngest = new StreamingIngest(this.dataStack, 'StocksIngest', {
      schema: stocks,
      iotSource: { topicFilter: 'freshet/stocks/+' },
      csvUploadSource: {},
      alarms: stocksAlarms,
    });
    const lakeBucket = this.stocksIngest.lakeBucket;
    const lakeKey = this.stocksIngest.lakeKey;
    this.pollutionIngest = new StreamingIngest(this.dataStack, 'PollutionIngest', {
      schema: pollution,
      iotSource: { topicFilter: 'freshet/pollution/+' },
      existingLakeBucket: lakeBucket,
      existingLakeBucketKey: lakeKey,
      alarms: pollutionAlarms,
    });
    this.stocksEtl = new GlueEtl(this.dataStack, 'StocksEtl', {
      schema: stocks,
      lakeBucket,
      lakeKey,
      dataQuality: { valueRanges: [{ column: 'price', min: 0 }] },
      // Daily, before the 02:45 COPY and the 03:00 retrain: nothing reads curated data more often,
      // and hourly runs cost about $10 a month more per dataset (tools/cost).
      schedule: DAILY_ETL,
      alarms: stocksAlarms,
    });
    this.pollutionEtl = new GlueEtl(this.dataStack, 'PollutionEtl', {
      schema: pollution,
      lakeBucket,
      lakeKey,
      // The IoT example forecasts by hour of day.
      derivedColumns: [{ name: 'hour', derivation: Derivation.HOUR, source: 'timestamp' }],
      dataQuality: { valueRanges: [{ column: 'ozone', min: 0 }] },
      schedule: DAILY_ETL,
      alarms: pollutionAlarms,
    });

    this.stocksWarehouse = new RedshiftWarehouse(this.warehouseStack, 'StocksWarehouse', {
      schema: stocks,
      lakeBucket,
      lakeKey,
      curatedPrefix: this.stocksEtl.curatedPrefix,
      // Once a day, half an hour after the ETL job starts and before the 03:00 retrain that unloads it:
      // an hourly COPY wakes Redshift Serverless 730 times a month, about $37 for a few thousand rows an hour.
      copySchedule: events.Schedule.cron({ hour: '2', minute: '45' }),
      compute: WarehouseCompute.serverless({ baseCapacityRpu: props.settings.warehouseBaseCapacityRpu }),
      alarms: stocksAlarms,
    });

    // No seed model: each endpoint appears when its first retraining run passes the gate (README: The first model).
    // Dev: serverless, captured at the API (the only capture serverless has). Prod: instances with isolation and guardrails,
    // captured by SageMaker, which also records callers that bypass the API (model-endpoint README: Capture).
    const compute = props.settings.serverlessEndpoints
      ? EndpointCompute.serverless({ memorySizeMb: SERVERLESS_MEMORY_MB, maxConcurrency: SERVERLESS_MAX_CONCURRENCY })
      : EndpointCompute.realTime({ instanceType: 'ml.m5.large', initialInstanceCount: props.settings.endpointInstanceCount ?? 1 });
    this.stocksEndpoint = new ModelEndpoint(this.servingStack, 'StocksEndpoint', {
      schema: stocks,
      model: ModelSource.fromFirstTraining(Algorithm.AUTOGLUON, { bucket: lakeBucket }),
      lakeBucket,
      compute,
      alarmOptions: stocksAlarms,
    });
    this.pollutionEndpoint = new ModelEndpoint(this.servingStack, 'PollutionEndpoint', {
      schema: pollution,
      model: ModelSource.fromFirstTraining(Algorithm.DEEPAR, { bucket: lakeBucket }),
      lakeBucket,
      compute,
      alarmOptions: pollutionAlarms,
    });

    // Prod: a person approves each model that passed the gate before it serves.
    const approval = props.settings.manualModelApproval ? ApprovalMode.MANUAL : ApprovalMode.AUTOMATIC;
    this.stocksRetrain = new RetrainPipeline(this.trainingStack, 'StocksRetrain', {
      schema: stocks,
      lakeBucket,
      lakeKey,
      extract: DataExtract.redshiftSnapshot(this.stocksWarehouse),
      algorithm: TrainingAlgorithm.autogluon({ taskType: TaskType.REGRESSION, timeLimit: Duration.minutes(30) }),
      // RMSE of the price at most 5, and at least 0.05 better than the approved champion.
      gate: { threshold: 5, minImprovement: 0.05 },
      // Weekly, after Sunday's COPY: the drift monitor's alarms retrain in between when the data drifts,
      // so a daily run mostly retrains an unchanged model (tools/cost: a daily retrain is about $5 a month
      // of SageMaker jobs per dataset, each run in Prod also waiting for an approver).
      schedule: WEEKLY_RETRAIN,
      deployTo: this.stocksEndpoint.deploymentTarget(),
      approval,
      alarms: stocksAlarms,
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
      schedule: WEEKLY_RETRAIN,
      deployTo: this.pollutionEndpoint.deploymentTarget(),
      approval,
      alarms: pollutionAlarms,
    });
    // A push that changes how data is curated or how models train retrains them once it is deployed.
    this.stocksRetrain.startOnDeploymentOf('RetrainOnDeployment', [this.dataStack, this.warehouseStack, this.trainingStack]);
    this.pollutionRetrain.startOnDeploymentOf('RetrainOnDeployment', [this.dataStack, this.trainingStack]);

    if (this.monitoringStack) {
      // The quality bars are the gates' thresholds: RMSE of the price, wQL of the ozone forecast.
      this.stocksMonitor = this.monitor('StocksMonitor', this.stocksEndpoint, Algorithm.AUTOGLUON, this.stocksRetrain, 'dm-stocks', { metric: 'rmse', threshold: 5 }, stocksAlarms);
      this.pollutionMonitor = this.monitor('PollutionMonitor', this.pollutionEndpoint, Algorithm.DEEPAR, this.pollutionRetrain, 'dm-pollution', { metric: 'wql', threshold: 0.3 }, pollutionAlarms);
    }

    if (props.settings.smokeTestRunner) {
      this.smokeTestRole = new SmokeTestRole(this.servingStack, 'SmokeTestRole', {
        roleName: `freshet-${props.settings.name}-smoke-tests`,
        runner: props.settings.smokeTestRunner,
        endpoints: [this.stocksEndpoint, this.pollutionEndpoint],
        uploads: this.stocksIngest.csvUploadSource!,
        stream: this.stocksIngest.stream,
        alarmNamePrefixes: this.smokeAlarmPrefixes(),
      });
    }
    this.outputs = this.createOutputs();
  }

  /** The alarms the smoke tests require out of ALARM: ingest, ETL and retraining (`<prefix>-<construct id>-`). */
  public smokeAlarmPrefixes(): string[] {
    return [this.stocksIngest, this.pollutionIngest, this.stocksEtl, this.pollutionEtl, this.stocksRetrain, this.pollutionRetrain]
      .map((construct) => `${this.alarmNamePrefix}-${construct.node.id}-`);
  }

  /** Freshet's drift job on one endpoint; its alarms start that endpoint's retraining workflow (single-flight, cooldown, daily cap). */
  private monitor(
    id: string, endpoint: ModelEndpoint, algorithm: Algorithm, retrain: RetrainPipeline, namePrefix: string,
    modelQuality: ModelQualityMonitoring, alarmOptions: AlarmOptions,
  ): MonitorRetrainTrigger {
    return new MonitorRetrainTrigger(this.monitoringStack!, id, {
      endpoint: endpoint.deploymentTarget(),
      schema: retrain.schema,
      algorithm,
      lakeBucket: this.stocksIngest.lakeBucket,
      lakeKey: this.stocksIngest.lakeKey,
      target: RetrainTarget.stateMachine(retrain.stateMachine),
      modelQuality,
      jobResources: this.settings.driftJobInstanceType ? { instanceType: this.settings.driftJobInstanceType } : undefined,
      namePrefix,
      alarmOptions,
    });
  }

  /** The stage's topic and name prefix; with a dataset's dashboard, the construct draws its section there. */
  private alarmOptions(dashboard?: cloudwatch.Dashboard): AlarmOptions {
    return { alarmTopicArn: this.alarmTopic.topicArn, alarmNamePrefix: this.alarmNamePrefix, dashboard };
  }

  private createOutputs(): StageOutputs {
    const uploads = this.stocksIngest.csvUploadSource!;
    return {
      stocksApiUrl: new CfnOutput(this.servingStack, 'StocksApiUrl', { value: this.stocksEndpoint.api.restApi.url, description: 'The stocks prediction API' }),
      pollutionApiUrl: new CfnOutput(this.servingStack, 'PollutionApiUrl', { value: this.pollutionEndpoint.api.restApi.url, description: 'The ozone forecast API' }),
      landingBucketName: new CfnOutput(this.dataStack, 'LandingBucketName', { value: uploads.landingBucket.bucketName, description: 'Where stocks CSV uploads land' }),
      uploadPrefix: new CfnOutput(this.dataStack, 'UploadPrefix', { value: uploads.prefix, description: 'The key prefix CSV uploads go under' }),
      stocksStreamName: new CfnOutput(this.dataStack, 'StocksStreamName', { value: this.stocksIngest.stream.streamName, description: 'The stocks stream' }),
      smokeTestRoleArn: this.smokeTestRole
        ? new CfnOutput(this.servingStack, 'SmokeTestRoleArn', { value: this.smokeTestRole.role.roleArn, description: 'The role the smoke tests assume' })
        : undefined,
    };
  }
}
