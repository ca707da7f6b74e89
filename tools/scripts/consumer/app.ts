// A team's own app, as it would write it after `npm install @freshet/...`:
// machine-sensor readings (neither stocks nor pollution), ingested, curated,
// loaded into the warehouse, retrained with XGBoost, served by a serverless endpoint behind an
// API that captures every request, and monitored from that capture: drift or worse accuracy
// retrains it through its RetrainPipeline.
// The monitor is written from @freshet/monitor-retrain-trigger's README alone.
import { Algorithm, ColumnType, DatasetSchema } from '@freshet/core';
import { GlueEtl } from '@freshet/glue-etl';
import { CaptureSource, EndpointCompute, ModelEndpoint, ModelSource } from '@freshet/model-endpoint';
import { MonitorRetrainTrigger, RetrainTarget } from '@freshet/monitor-retrain-trigger';
import { RedshiftWarehouse } from '@freshet/redshift-warehouse';
import { DataExtract, RetrainPipeline, TaskType, TrainingAlgorithm } from '@freshet/retrain-pipeline';
import { StreamingIngest } from '@freshet/streaming-ingest';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
// The matrix row's cdk-nag major: nag-v3.ts (Validations) or nag-v2.ts (Aspects), copied as nag.ts.
import { applyNagPacks } from './nag';

const app = new App();
// A fixed account and region, as a team deploys: synth must still need no AWS call.
const stack = new Stack(app, 'SensorPlatform', { env: { account: '210987654321', region: 'eu-central-1' } });

const schema = new DatasetSchema({
  name: 'sensors',
  description: 'Vibration readings of pumps, published over MQTT',
  columns: [
    { name: 'reading_id', type: ColumnType.STRING, description: 'Unique id of the reading' },
    { name: 'machine_id', type: ColumnType.STRING, description: 'The pump that was measured' },
    { name: 'temperature', type: ColumnType.DOUBLE, description: 'Bearing temperature in °C' },
    { name: 'rpm', type: ColumnType.INT, description: 'Shaft speed' },
    { name: 'vibration', type: ColumnType.DOUBLE, description: 'RMS vibration, the target' },
    { name: 'read_at', type: ColumnType.TIMESTAMP, description: 'When it was read (UTC)' },
  ],
  targetColumn: 'vibration',
  eventTimeColumn: 'read_at',
  idColumn: 'reading_id',
});

const ingest = new StreamingIngest(stack, 'Ingest', { schema, iotSource: { topicFilter: 'plant/+/sensors' }, csvUploadSource: {} });
const etl = new GlueEtl(stack, 'Etl', { schema, lakeBucket: ingest.lakeBucket, lakeKey: ingest.lakeKey, schedule: 'cron(10 * * * ? *)' });
const warehouse = new RedshiftWarehouse(stack, 'Warehouse', {
  schema,
  lakeBucket: ingest.lakeBucket,
  lakeKey: ingest.lakeKey,
  curatedPrefix: etl.curatedPrefix,
  copySchedule: events.Schedule.cron({ minute: '40' }),
});
const endpoint = new ModelEndpoint(stack, 'Endpoint', {
  schema,
  // No seed model: the first retraining run creates the endpoint.
  model: ModelSource.fromFirstTraining(Algorithm.XGBOOST, { bucket: ingest.lakeBucket }),
  lakeBucket: ingest.lakeBucket,
  // Pumps report a few times an hour: no instance idling between them.
  compute: EndpointCompute.serverless({ memorySizeMb: 2048, maxConcurrency: 5 }),
  // Serverless has no SageMaker capture: the API captures (the default on serverless, spelled out).
  dataCapture: { source: CaptureSource.API },
});
const retrain = new RetrainPipeline(stack, 'Retrain', {
  schema,
  lakeBucket: ingest.lakeBucket,
  lakeKey: ingest.lakeKey,
  extract: DataExtract.redshiftSnapshot(warehouse),
  algorithm: TrainingAlgorithm.xgboost({ taskType: TaskType.REGRESSION }),
  gate: { threshold: 0.5 },
  deployTo: endpoint.deploymentTarget(),
});
new MonitorRetrainTrigger(stack, 'SensorsMonitor', {
  endpoint: endpoint.deploymentTarget(),
  schema,
  algorithm: Algorithm.XGBOOST, // how the proxy encoded the requests
  lakeBucket: ingest.lakeBucket,
  target: RetrainTarget.stateMachine(retrain.stateMachine),
  interval: Duration.hours(2),
  window: Duration.hours(12),
  // Readings drift slowly: a stricter PSI, on enough requests to mean something.
  drift: { psiThreshold: 0.15, minSamples: 500 },
  // Maintenance logs label the vibration a day later: the gate's metric on them.
  modelQuality: { metric: 'rmse', threshold: 0.5 },
  alarmOptions: { maxFeatureDrift: { evaluationPeriods: 4, datapointsToAlarm: 3 } },
});

applyNagPacks(app);
app.synth();
