import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, DescribeEndpointCommand, ListModelPackagesCommand, ListTagsCommand,
  SageMakerClient, UpdateEndpointCommand, UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { ENDPOINT_DEPLOY_MS, SageMakerEmulator } from '../src/emulators/sagemaker';

const T0 = Date.parse('2026-01-05T00:00:00Z');
const IMAGE = '763104351884.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1';

describe('the SageMaker control-plane emulator', () => {
  let now = T0;
  let sm: SageMakerEmulator;
  let client: SageMakerClient;
  const dirs: Record<string, string> = {};

  beforeEach(async () => {
    now = T0;
    sm = new SageMakerEmulator(() => now);
    await sm.start();
    client = new SageMakerClient({ endpoint: sm.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 });
    for (const name of ['one', 'two']) {
      dirs[name] = fs.mkdtempSync(path.join(os.tmpdir(), `runs-sm-${name}-`));
      sm.registerArtifact(`s3://lake/models/${name}/model.tar.gz`, dirs[name]);
      await client.send(new CreateModelCommand({
        ModelName: `model-${name}`,
        ExecutionRoleArn: 'arn:aws:iam::123456789012:role/r',
        PrimaryContainer: { Image: IMAGE, ModelDataUrl: `s3://lake/models/${name}/model.tar.gz`, Environment: { SAGEMAKER_PROGRAM: 'inference.py' } },
      }));
      await client.send(new CreateEndpointConfigCommand({
        EndpointConfigName: `config-${name}`,
        ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: `model-${name}`, InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 }],
        ShadowProductionVariants: name === 'two' ? [{ VariantName: 'Shadow', ModelName: 'model-one', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }] : undefined,
        DataCaptureConfig: {
          EnableCapture: true,
          InitialSamplingPercentage: 50,
          DestinationS3Uri: 's3://lake/capture/',
          KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k',
          CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        },
        Tags: [{ Key: 'freshet:baseline-uri', Value: `s3://lake/baselines/${name}/` }],
      }));
    }
  });

  afterEach(async () => {
    client.destroy();
    await sm.stop();
  });

  test('an endpoint is Creating for the deployment time, then InService; its config\'s tag and capture are read through the SDK', async () => {
    await client.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'config-one' }));
    now += ENDPOINT_DEPLOY_MS - 1;
    expect((await client.send(new DescribeEndpointCommand({ EndpointName: 'ep' }))).EndpointStatus).toBe('Creating');
    expect(sm.servingModels('ep')).toEqual([]);
    now += 1;
    const described = await client.send(new DescribeEndpointCommand({ EndpointName: 'ep' }));
    expect(described.EndpointStatus).toBe('InService');
    expect(described.LastModifiedTime!.getTime()).toBe(T0 + ENDPOINT_DEPLOY_MS);
    expect(described.DataCaptureConfig).toMatchObject({ CaptureStatus: 'Started', CurrentSamplingPercentage: 50, DestinationS3Uri: 's3://lake/capture/' });
    // The drift planner reads the baseline tag of the serving config by its ARN (lowercase name).
    const configArn = described.EndpointArn!.replace(/:endpoint\/.*$/, ':endpoint-config/config-one');
    expect((await client.send(new ListTagsCommand({ ResourceArn: configArn }))).Tags).toEqual([{ Key: 'freshet:baseline-uri', Value: 's3://lake/baselines/one/' }]);
    expect(sm.servingModels('ep')).toEqual([expect.objectContaining({
      endpointName: 'ep',
      variantName: 'AllTraffic',
      role: 'production',
      modelName: 'model-one',
      modelDir: dirs.one,
      algorithm: 'xgboost',
      environment: { SAGEMAKER_PROGRAM: 'inference.py' },
      deployedAt: T0 + ENDPOINT_DEPLOY_MS,
      dataCapture: { destinationS3Uri: 's3://lake/capture/', samplingPercentage: 50, kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k' },
    })]);
  });

  test('an update serves the new config (with its shadow variant) once done; an ordered rollback leaves the previous one, as SageMaker reports it', async () => {
    await client.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'config-one' }));
    now += ENDPOINT_DEPLOY_MS;
    sm.orderRollback('ep');
    await client.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'config-two' }));
    expect((await client.send(new DescribeEndpointCommand({ EndpointName: 'ep' }))).EndpointStatus).toBe('Updating');
    now += ENDPOINT_DEPLOY_MS;
    const rolledBack = await client.send(new DescribeEndpointCommand({ EndpointName: 'ep' }));
    expect(rolledBack).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'config-one' });
    expect(rolledBack.FailureReason).toMatch(/config-two was rolled back/);
    expect(sm.servingModels('ep').map((m) => m.modelName)).toEqual(['model-one']);

    // The order is spent: the next update goes through.
    await client.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'config-two' }));
    now += ENDPOINT_DEPLOY_MS;
    const updated = await client.send(new DescribeEndpointCommand({ EndpointName: 'ep' }));
    expect(updated).toMatchObject({ EndpointStatus: 'InService', EndpointConfigName: 'config-two' });
    expect(updated.FailureReason).toBeUndefined();
    expect(updated.LastModifiedTime!.getTime()).toBe(now);
    expect(sm.servingModels('ep').map((m) => [m.role, m.variantName, m.modelName])).toEqual([['production', 'AllTraffic', 'model-two'], ['shadow', 'Shadow', 'model-one']]);
  });

  test('wrong requests fail as SageMaker fails them: a config of a missing model, an update while updating, a missing endpoint', async () => {
    await expect(client.send(new CreateEndpointConfigCommand({
      EndpointConfigName: 'bad', ProductionVariants: [{ VariantName: 'v', ModelName: 'nope', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
    }))).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/Could not find model .*nope/) });
    await client.send(new CreateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'config-one' }));
    await expect(client.send(new UpdateEndpointCommand({ EndpointName: 'ep', EndpointConfigName: 'config-two' })))
      .rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/in-progress/) });
    await expect(client.send(new DescribeEndpointCommand({ EndpointName: 'other' })))
      .rejects.toMatchObject({ name: 'ValidationException', message: expect.stringMatching(/Could not find endpoint/) });
  });

  test('model packages: the newest Approved first; a package marked Rejected is no longer listed as Approved', async () => {
    sm.createModelPackageGroup('stocks');
    const arns: string[] = [];
    for (let i = 0; i < 3; i++) {
      now += 60_000;
      arns.push(sm.call('CreateModelPackage', { ModelPackageGroupName: 'stocks', ModelApprovalStatus: i === 1 ? 'PendingManualApproval' : 'Approved', ClientToken: `t${i}` }).ModelPackageArn);
    }
    // ClientToken makes a retried registration idempotent.
    expect(sm.call('CreateModelPackage', { ModelPackageGroupName: 'stocks', ModelApprovalStatus: 'Approved', ClientToken: 't2' }).ModelPackageArn).toBe(arns[2]);
    const approved = async () => (await client.send(new ListModelPackagesCommand({
      ModelPackageGroupName: 'stocks', ModelApprovalStatus: 'Approved', SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 1,
    }))).ModelPackageSummaryList!.map((p) => p.ModelPackageArn);
    expect(await approved()).toEqual([arns[2]]);
    await client.send(new UpdateModelPackageCommand({ ModelPackageArn: arns[2], ModelApprovalStatus: 'Rejected', ApprovalDescription: 'rolled back' }));
    expect(await approved()).toEqual([arns[0]]);
    expect(sm.modelPackage(arns[2])).toMatchObject({ status: 'Rejected', approvalDescription: 'rolled back' });
    expect(arns[0]).toBe('arn:aws:sagemaker:us-east-1:123456789012:model-package/stocks/1');
  });
});
