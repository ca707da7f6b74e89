import { lambdaFunction, restApi, schedulerSchedule, stateMachine } from './compute';
import { batchJobDefinition, glueJob } from './etl';
import { endpoint, monitoringSchedule } from './ml';
import { apiStage } from './observability';
import { cloudWatchAlarm, codeBuildProject, compositeAlarm, dashboard, kmsKey, natGateway, pipeline, secret, vpcEndpoint } from './platform';
import { Pricer } from './pricer';
import { logGroup, queue, s3Bucket, table, topic } from './storage';
import { firehose, iotTopicRule, kinesisStream } from './streaming';
import { provisionedCluster, serverlessNamespace, serverlessWorkgroup } from './warehouse';

/** The resource types with a monthly cost, and their pricers. */
export const PRICERS: Record<string, Pricer> = {
  'AWS::Kinesis::Stream': kinesisStream,
  'AWS::KinesisFirehose::DeliveryStream': firehose,
  'AWS::IoT::TopicRule': iotTopicRule,
  'AWS::Glue::Job': glueJob,
  'AWS::Batch::JobDefinition': batchJobDefinition,
  'AWS::RedshiftServerless::Workgroup': serverlessWorkgroup,
  'AWS::RedshiftServerless::Namespace': serverlessNamespace,
  'AWS::Redshift::Cluster': provisionedCluster,
  'AWS::SageMaker::Endpoint': endpoint,
  'AWS::SageMaker::MonitoringSchedule': monitoringSchedule,
  'AWS::Lambda::Function': lambdaFunction,
  'AWS::StepFunctions::StateMachine': stateMachine,
  'AWS::ApiGateway::RestApi': restApi,
  'AWS::ApiGateway::Stage': apiStage,
  'AWS::Scheduler::Schedule': schedulerSchedule,
  'AWS::S3::Bucket': s3Bucket,
  'AWS::Logs::LogGroup': logGroup,
  'AWS::SNS::Topic': topic,
  'AWS::SQS::Queue': queue,
  'AWS::DynamoDB::Table': table,
  'AWS::KMS::Key': kmsKey,
  'AWS::CloudWatch::Alarm': cloudWatchAlarm,
  'AWS::CloudWatch::CompositeAlarm': compositeAlarm,
  'AWS::CloudWatch::Dashboard': dashboard,
  'AWS::EC2::VPCEndpoint': vpcEndpoint,
  'AWS::EC2::NatGateway': natGateway,
  'AWS::SecretsManager::Secret': secret,
  'AWS::CodeBuild::Project': codeBuildProject,
  'AWS::CodePipeline::Pipeline': pipeline,
};

/** Resource types with no charge of their own, each with why. */
export const FREE: Record<string, string> = {
  'AWS::CDK::Metadata': 'CDK metadata: no AWS resource',
  'AWS::IAM::Role': 'IAM: no charge',
  'AWS::IAM::Policy': 'IAM: no charge',
  'AWS::IAM::ManagedPolicy': 'IAM: no charge',
  'AWS::IAM::InstanceProfile': 'IAM: no charge',
  'AWS::KMS::Alias': 'KMS aliases: no charge',
  'AWS::S3::BucketPolicy': 'bucket policies: no charge',
  'AWS::SQS::QueuePolicy': 'queue policies: no charge',
  'AWS::SNS::TopicPolicy': 'topic policies: no charge',
  'AWS::SNS::TopicInlinePolicy': 'topic policies: no charge',
  'AWS::SQS::QueueInlinePolicy': 'queue policies: no charge',
  'AWS::SNS::Subscription': 'deliveries are priced on the topic',
  'AWS::Lambda::Permission': 'resource policies: no charge',
  'AWS::Lambda::EventInvokeConfig': 'invoke configuration: no charge',
  'AWS::Lambda::EventSourceMapping': 'event source mappings: no charge; the invocations are priced on the function',
  'AWS::Logs::LogStream': 'log streams: ingestion is priced on the log group',
  'AWS::Logs::ResourcePolicy': 'resource policies: no charge',
  'AWS::Logs::MetricFilter': 'metric filters: no charge; their metrics are custom metrics of the alarms that watch them',
  'AWS::Logs::SubscriptionFilter': 'subscription filters: no charge; the destination is priced on its own line',
  'AWS::ApiGateway::Authorizer': 'authorizers: no charge (Cognito user pools bill their own users)',
  'AWS::ApiGateway::UsagePlan': 'usage plans: no charge',
  'AWS::ApiGateway::UsagePlanKey': 'usage plans: no charge',
  'AWS::ApiGateway::ApiKey': 'API keys: no charge',
  'AWS::ApiGateway::Account': 'API Gateway account settings: no charge',
  'AWS::ApiGateway::Deployment': 'requests are priced on the REST API',
  'AWS::ApiGateway::GatewayResponse': 'requests are priced on the REST API',
  'AWS::ApiGateway::Method': 'requests are priced on the REST API',
  'AWS::ApiGateway::Model': 'requests are priced on the REST API',
  'AWS::ApiGateway::RequestValidator': 'requests are priced on the REST API',
  'AWS::ApiGateway::Resource': 'requests are priced on the REST API',
  'AWS::SageMaker::Model': 'models: no charge; hosting is priced on the endpoint',
  'AWS::SageMaker::EndpointConfig': 'configs: no charge; hosting is priced on the endpoint that uses one',
  'AWS::SageMaker::ModelPackageGroup': 'the model registry: no charge',
  'AWS::SageMaker::DataQualityJobDefinition': 'job definitions: no charge; the runs are priced on the monitoring schedule',
  'AWS::SageMaker::ModelQualityJobDefinition': 'job definitions: no charge; the runs are priced on the monitoring schedule',
  'AWS::SageMaker::ModelBiasJobDefinition': 'job definitions: no charge; the runs are priced on the monitoring schedule',
  'AWS::SageMaker::ModelExplainabilityJobDefinition': 'job definitions: no charge; the runs are priced on the monitoring schedule',
  'AWS::Glue::Database': 'Data Catalog: the first million objects and requests are free',
  'AWS::Glue::Table': 'Data Catalog: the first million objects and requests are free',
  'AWS::Glue::SecurityConfiguration': 'security configurations: no charge',
  'AWS::Glue::DataQualityRuleset': 'rulesets are evaluated inside the ETL job: priced in its DPU-hours',
  'AWS::Glue::Trigger': 'triggers: no charge; the runs they start are priced on the job',
  'AWS::Events::Rule': 'scheduled rules and AWS service events: no charge; what they start is priced on the target',
  'AWS::EC2::VPC': 'VPCs: no charge',
  'AWS::EC2::Subnet': 'subnets: no charge',
  'AWS::EC2::RouteTable': 'route tables: no charge',
  'AWS::EC2::Route': 'routes: no charge',
  'AWS::EC2::SubnetRouteTableAssociation': 'route table associations: no charge',
  'AWS::EC2::SecurityGroup': 'security groups: no charge',
  'AWS::EC2::SecurityGroupIngress': 'security group rules: no charge',
  'AWS::EC2::SecurityGroupEgress': 'security group rules: no charge',
  'AWS::EC2::FlowLog': 'flow logs: their ingestion is priced on the destination log group',
  'AWS::IoT::Policy': 'IoT policies: no charge',
  'AWS::SSM::Parameter': 'standard parameters: no charge',
  'AWS::Batch::JobQueue': 'AWS Batch: no charge; the jobs are priced on their job definition',
  'AWS::Batch::ComputeEnvironment': 'Fargate compute environments: no charge; the jobs are priced on their job definition',
};

/** Custom resources run once per deployment; the function behind them is priced on its own line. */
export function freeReason(type: string): string | undefined {
  if (FREE[type]) return FREE[type];
  if (type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource') {
    return 'custom resource: runs at deployment only; its function is priced on its own line';
  }
  return undefined;
}
