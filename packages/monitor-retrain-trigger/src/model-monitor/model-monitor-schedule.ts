import { WildcardPermissions } from '@freshet/core';
import { Aws, CfnMapping, Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { ModelMonitorOptions } from '../monitor-retrain-trigger-props';

/** The registries of SageMaker's `sagemaker-model-monitor-analyzer` image (the SageMaker Python SDK's image_uri_config/model-monitor.json). */
const ANALYZER_REGISTRY: Record<string, string> = {
  'us-east-1': '156813124566',
  'us-east-2': '777275614652',
  'us-west-1': '890145073186',
  'us-west-2': '159807026194',
  'ca-central-1': '536280801234',
  'eu-west-1': '468650794304',
  'eu-west-2': '749857270468',
  'eu-west-3': '680080141114',
  'eu-central-1': '048819808253',
  'eu-north-1': '895015795356',
  'ap-northeast-1': '574779866223',
  'ap-northeast-2': '709848358524',
  'ap-southeast-1': '245545462676',
  'ap-southeast-2': '563025443158',
  'ap-south-1': '126357580389',
  'sa-east-1': '539772159869',
};

/** Where Model Monitor publishes its data-quality metrics. */
export const MODEL_MONITOR_NAMESPACE = 'aws/sagemaker/Endpoints/data-metrics';

/** Properties of a {@link ModelMonitorSchedule}. */
export interface ModelMonitorScheduleProps {
  /** The monitored endpoint. */
  readonly endpointName: string;
  /** Model Monitor's options. */
  readonly options: ModelMonitorOptions;
  /** The lake bucket: the created schedule reports under `reports/model-monitor/<endpoint>/`. */
  readonly lakeBucket: s3.IBucket;
  /**
   * The lake's key: encrypts the created schedule's reports and volume.
   * @default - the bucket's encryptionKey
   */
  readonly lakeKey?: kms.IKey;
}

/**
 * SageMaker Model Monitor, opt-in for accounts that have it: creates an
 * hourly data-quality monitoring schedule (or adopts an existing one) whose
 * `feature_baseline_drift_<feature>` metrics the trigger can alarm on.
 * Nothing else in MonitorRetrainTrigger depends on it.
 */
export class ModelMonitorSchedule extends Construct {
  /** The schedule's name (created or adopted). */
  public readonly scheduleName: string;
  /** The created schedule (undefined when an existing one is adopted). */
  public readonly schedule?: sagemaker.CfnMonitoringSchedule;
  /** The created schedule's role (undefined when adopted). */
  public readonly role?: iam.Role;
  private readonly endpointName: string;

  constructor(scope: Construct, id: string, props: ModelMonitorScheduleProps) {
    super(scope, id);
    const { options } = props;
    this.endpointName = props.endpointName;
    if (options.features.length === 0) {
      throw new Error('modelMonitor.features is empty: name the features whose feature_baseline_drift_<feature> metric should alarm.');
    }
    if (options.existingScheduleName) {
      if (options.baselineConstraintsUri || options.baselineStatisticsUri) {
        throw new Error('modelMonitor: an adopted schedule (existingScheduleName) has its own baseline; drop baselineConstraintsUri and baselineStatisticsUri.');
      }
      this.scheduleName = options.existingScheduleName;
      return;
    }
    if (!options.baselineConstraintsUri || !options.baselineStatisticsUri) {
      throw new Error('modelMonitor: give baselineConstraintsUri and baselineStatisticsUri (a Model Monitor baselining job writes them), or existingScheduleName to adopt a schedule.');
    }
    const lakeKey = props.lakeKey ?? props.lakeBucket.encryptionKey;
    const reportPrefix = `reports/model-monitor/${this.endpointName}/`;
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Runs Model Monitor's data-quality jobs of ${this.endpointName}`,
    });
    this.role.addToPolicy(new iam.PolicyStatement({
      sid: 'ReadBaselineAndCapture',
      actions: ['s3:GetObject'],
      resources: [props.lakeBucket.arnForObjects('baselines/*'), props.lakeBucket.arnForObjects(`capture/${this.endpointName}/*`), props.lakeBucket.arnForObjects(`${reportPrefix}*`)],
    }));
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteReports', actions: ['s3:PutObject'], resources: [props.lakeBucket.arnForObjects(`${reportPrefix}*`)] }));
    this.role.addToPolicy(new iam.PolicyStatement({
      sid: 'ListInputs',
      actions: ['s3:ListBucket'],
      resources: [props.lakeBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': ['baselines/*', `capture/${this.endpointName}/*`, `${reportPrefix}*`] } },
    }));
    if (lakeKey) {
      this.role.addToPolicy(new iam.PolicyStatement({ sid: 'UseLakeKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'], resources: [lakeKey.keyArn] }));
    }
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'EcrAuthorization', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    this.role.addToPolicy(new iam.PolicyStatement({
      sid: 'PullAnalyzerImage',
      actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
      resources: [Stack.of(this).formatArn({ service: 'ecr', account: '*', resource: 'repository', resourceName: 'sagemaker-model-monitor-analyzer' })],
    }));
    this.role.addToPolicy(new iam.PolicyStatement({
      sid: 'JobLogsAndMetrics',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'cloudwatch:PutMetricData'],
      resources: ['*'],
    }));
    this.scheduleName = `${this.endpointName}-data-quality`;
    this.schedule = new sagemaker.CfnMonitoringSchedule(this, 'Schedule', {
      monitoringScheduleName: this.scheduleName,
      monitoringScheduleConfig: {
        monitoringType: 'DataQuality',
        scheduleConfig: { scheduleExpression: 'cron(0 * ? * * *)' },
        monitoringJobDefinition: {
          baselineConfig: {
            constraintsResource: { s3Uri: options.baselineConstraintsUri },
            statisticsResource: { s3Uri: options.baselineStatisticsUri },
          },
          monitoringAppSpecification: { imageUri: this.analyzerImageUri() },
          monitoringInputs: [{ endpointInput: { endpointName: this.endpointName, localPath: '/opt/ml/processing/input/endpoint' } }],
          monitoringOutputConfig: {
            kmsKeyId: lakeKey?.keyArn,
            monitoringOutputs: [{ s3Output: { localPath: '/opt/ml/processing/output', s3Uri: `s3://${props.lakeBucket.bucketName}/${reportPrefix}`, s3UploadMode: 'EndOfJob' } }],
          },
          monitoringResources: {
            clusterConfig: { instanceCount: 1, instanceType: options.instanceType ?? 'ml.m5.large', volumeSizeInGb: 30, volumeKmsKeyId: lakeKey?.keyArn },
          },
          networkConfig: { enableNetworkIsolation: true, enableInterContainerTrafficEncryption: true },
          roleArn: this.role.roleArn,
          stoppingCondition: { maxRuntimeInSeconds: 3600 },
        },
      },
    });
    this.schedule.node.addDependency(this.role);
    WildcardPermissions.acknowledgeRolePolicy(this.role, {
      reason: 'Model Monitor reads per-hour capture and writes per-run reports under fixed lake prefixes, pulls its AWS-owned analyzer image '
        + '(registry account per region), and logs and publishes metrics to names the service chooses. Compensating control: every action is named, '
        + 'S3 is limited to this endpoint\'s prefixes and baselines/, and only SageMaker can assume the role.',
      allowedFindings: ['Resource::*', 'Resource::*/baselines/*', `Resource::*/capture/${this.endpointName}/*`, `Resource::*/${reportPrefix}*`,
        'Resource::arn:<AWS::Partition>:ecr:*:*:repository/sagemaker-model-monitor-analyzer'],
    });
  }

  /** One feature's drift distance as Model Monitor publishes it. */
  public metricFeatureDrift(feature: string, period: Duration = Duration.hours(1)): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: MODEL_MONITOR_NAMESPACE,
      metricName: `feature_baseline_drift_${feature}`,
      dimensionsMap: { Endpoint: this.endpointName, MonitoringSchedule: this.scheduleName },
      statistic: 'Maximum',
      period,
    });
  }

  private analyzerImageUri(): string {
    const stack = Stack.of(this);
    if (!Token.isUnresolved(stack.region)) {
      const account = ANALYZER_REGISTRY[stack.region];
      if (!account) {
        throw new Error(`No Model Monitor analyzer image is known for region ${stack.region}: deploy to one of ${Object.keys(ANALYZER_REGISTRY).sort().join(', ')}, or leave modelMonitor out (Freshet's drift job needs no Model Monitor).`);
      }
      return `${account}.dkr.ecr.${stack.region}.amazonaws.com/sagemaker-model-monitor-analyzer`;
    }
    const id = 'FreshetModelMonitorRegistry';
    const mapping = (stack.node.tryFindChild(id) as CfnMapping | undefined) ?? new CfnMapping(stack, id, {
      mapping: Object.fromEntries(Object.entries(ANALYZER_REGISTRY).map(([region, account]) => [region, { account }])),
    });
    return `${mapping.findInMap(Aws.REGION, 'account')}.dkr.ecr.${Aws.REGION}.${Aws.URL_SUFFIX}/sagemaker-model-monitor-analyzer`;
  }
}
