import { PermissionModel } from '@freshet/test-utils';
import { buildLightMonitor, ENDPOINT } from './fixtures/monitors';

/**
 * The drift job's least privilege, decided by the IAM harness on the synthesized policies (the role's
 * identity policies, the lake's bucket policy and the key policies): what the job needs is allowed;
 * writing models, other prefixes or the endpoint is denied.
 */
describe('the drift job role', () => {
  const { stack } = buildLightMonitor({ modelQuality: { metric: 'rmse', threshold: 5 } });
  const model = PermissionModel.fromStack(stack);
  const role = model.resourcesOfType('AWS::IAM::Role').find((r) => r.path?.endsWith('/Monitor/Drift/JobRole/Resource'))!;
  const lake = model.resourcesOfType('AWS::S3::Bucket').find((r) => r.path?.endsWith('/Lake/Bucket/Resource'))!;
  const object = (key: string) => `${lake.arn}/${key}`;
  const decide = (action: string, resource: string) => model.evaluate({ principal: role.logicalId, action, resource, source: 'drift job' });

  test.each([
    ['s3:GetObject', `capture/${ENDPOINT}/AllTraffic/2026/12/01/00/capture.jsonl`],
    ['s3:GetObject', 'baselines/nightly-2026-11-30/baseline.json'],
    ['s3:GetObject', 'evaluation/nightly-2026-11-30/prediction-baseline.json'],
    ['s3:GetObject', `ground-truth/${ENDPOINT}/2026/12/01/00/labels.jsonl`],
    ['s3:GetObject', `reports/drift/${ENDPOINT}/2026-12-02T00-00-00Z/manifests/capture.manifest`],
    ['s3:PutObject', `reports/drift/${ENDPOINT}/2026-12-02T00-00-00Z/report.html`],
    // A sharded window: each instance writes its counts, the summing job reads them back.
    ['s3:PutObject', `reports/drift/${ENDPOINT}/2026-12-02T00-00-00Z/counts/counts-algo-1.json`],
    ['s3:GetObject', `reports/drift/${ENDPOINT}/2026-12-02T00-00-00Z/counts/counts-algo-3.json`],
  ])('may %s %s', async (action, key) => {
    const decision = await decide(action, object(key));
    expect([decision.result, decision.reason]).toEqual(['Allowed', expect.any(String)]);
    // The KMS calls S3 makes for the role (the lake key) are allowed too.
    expect(decision.implied.filter((d) => !d.allowed).map((d) => `${d.call.action} ${d.call.resource}: ${d.reason}`)).toEqual([]);
  });

  test.each([
    ['s3:PutObject', 'models/nightly-2026-11-30/model.tar.gz'],
    ['s3:PutObject', 'baselines/nightly-2026-11-30/baseline.json'],
    ['s3:PutObject', `capture/${ENDPOINT}/AllTraffic/2026/12/01/00/capture.jsonl`],
    ['s3:PutObject', 'reports/drift/pollution-endpoint/2026-12-02T00-00-00Z/report.json'],
    ['s3:GetObject', 'capture/pollution-endpoint/AllTraffic/2026/12/01/00/capture.jsonl'],
    ['s3:GetObject', 'evaluation/nightly-2026-11-30/evaluation.json'],
    ['s3:GetObject', 'curated/stocks/part-0.parquet'],
  ])('may not %s %s', async (action, key) => {
    expect((await decide(action, object(key))).allowed).toBe(false);
  });

  test('may not update the endpoint or create models', async () => {
    for (const [action, resource] of [
      ['sagemaker:UpdateEndpoint', `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${ENDPOINT}`],
      ['sagemaker:CreateModel', 'arn:aws:sagemaker:us-east-1:123456789012:model/anything'],
      ['sagemaker:CreateEndpointConfig', 'arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/anything'],
    ]) {
      expect((await decide(action, resource)).allowed).toBe(false);
    }
  });
});
