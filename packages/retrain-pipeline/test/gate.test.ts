import { decide, GateEvent } from '../src/handlers/gate.lambda';

const base: GateEvent = { metricName: 'rmse', metricValue: 1.7, higherIsBetter: false, threshold: 2, minImprovement: 0.05 };
const champion = (value: string, name = 'rmse') => ({
  packages: [{ ModelPackageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/stocks-models/3' }],
  champion: { ModelPackageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/stocks-models/3', CustomerMetadataProperties: { gateMetricName: name, gateMetricValue: value } },
});

test('without a champion, the threshold alone decides', () => {
  expect(decide({ ...base, search: { packages: [] } })).toMatchObject({ passed: true, championArn: null, championValue: null });
  expect(decide({ ...base, metricValue: 2.5, search: { packages: [] } })).toMatchObject({ passed: false, reason: 'rmse 2.5 misses the threshold 2 (lower is better)' });
});

test('lower-is-better metrics must beat the champion by the margin', () => {
  expect(decide({ ...base, search: champion('1.8') })).toMatchObject({ passed: true, championValue: 1.8 });
  const rejected = decide({ ...base, search: champion('1.74') });
  expect(rejected.passed).toBe(false);
  expect(rejected.reason).toContain("does not beat the champion's 1.74 by 0.05");
});

test('higher-is-better metrics compare the other way', () => {
  const auc = { metricName: 'auc', higherIsBetter: true, threshold: 0.8, minImprovement: 0.01 };
  expect(decide({ ...auc, metricValue: 0.9, search: champion('0.88', 'auc') }).passed).toBe(true);
  expect(decide({ ...auc, metricValue: 0.885, search: champion('0.88', 'auc') }).passed).toBe(false);
  expect(decide({ ...auc, metricValue: 0.79, search: { packages: [] } }).passed).toBe(false);
});

test('a champion gated on another metric, or without metadata, counts as no champion', () => {
  expect(decide({ ...base, search: champion('0.1', 'mae') })).toMatchObject({ passed: true, championValue: null });
  expect(decide({ ...base, search: { champion: { ModelPackageArn: 'arn:x' } } }).reason).toContain('the champion arn:x records no rmse');
});

test('a missing metric fails the gate', () => {
  expect(decide({ ...base, metricValue: null })).toMatchObject({ passed: false, reason: 'evaluation.json has no numeric rmse' });
});

test('a champion described as no longer Approved (rejected since it was listed) is no champion, and the reason says so', () => {
  const arn = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/stocks-models/8';
  const rejected = { champion: { ModelPackageArn: arn, ModelApprovalStatus: 'Rejected', CustomerMetadataProperties: { gateMetricName: 'rmse', gateMetricValue: '1.6' } } };
  // Against its 1.6 the candidate's 1.7 would fail; it is not the champion, so the threshold alone decides.
  expect(decide({ ...base, search: rejected })).toMatchObject({
    passed: true,
    championArn: null,
    championValue: null,
    reason: `rmse 1.7 passes the threshold 2; there is no approved champion (${arn} is Rejected now)`,
  });
  const approved = { champion: { ...rejected.champion, ModelApprovalStatus: 'Approved' } };
  expect(decide({ ...base, search: approved })).toMatchObject({ passed: false, championArn: arn, championValue: 1.6 });
});
