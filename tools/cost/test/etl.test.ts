import { item, run } from './helpers';

const DAYS = 730 / 24;

describe('Glue jobs', () => {
  const resources = {
    Job: { Type: 'AWS::Glue::Job', Properties: { Command: { Name: 'glueetl' }, WorkerType: 'G.2X', NumberOfWorkers: 3 } },
    Trigger: { Type: 'AWS::Glue::Trigger', Properties: { Type: 'SCHEDULED', Schedule: 'cron(0 */2 * * ? *)', Actions: [{ JobName: { Ref: 'Job' } }] } },
  };

  test('DPU-hours per scheduled run from the worker type and count', () => {
    const result = run(resources, { 'glue.dpuHour': 0.5 }, { glueRunMinutes: 10 });
    // 12 runs a day x 30.42 days = 365 runs x 6 DPU x 10 min = 365 DPU-hours.
    expect(item(result, 'Job').load).toBeCloseTo(12 * DAYS * 6 * (10 / 60) * 0.5, 6);
    // Idle runs still start, and bill the one-minute minimum.
    expect(item(result, 'Job').idle).toBeCloseTo(12 * DAYS * 6 * (1 / 60) * 0.5, 6);
    expect(item(result, 'Trigger').status).toBe('free');
  });

  test('a run shorter than a minute bills the minute', () => {
    const result = run(resources, { 'glue.dpuHour': 0.5 }, { glueRunMinutes: 0.25 });
    expect(item(result, 'Job').load).toBeCloseTo(12 * DAYS * 6 * (1 / 60) * 0.5, 6);
  });

  test('an unknown worker type is unpriced with the reason', () => {
    const result = run({ Job: { Type: 'AWS::Glue::Job', Properties: { WorkerType: 'G.16X', NumberOfWorkers: 2 } } }, { 'glue.dpuHour': 0.5 });
    expect(item(result, 'Job').status).toBe('unpriced');
    expect(item(result, 'Job').detail).toContain('G.16X');
  });
});

describe('AWS Batch on Fargate', () => {
  test('vCPU- and GB-hours of the jobs a schedule submits', () => {
    const result = run(
      {
        Definition: {
          Type: 'AWS::Batch::JobDefinition',
          Properties: { PlatformCapabilities: ['FARGATE'], ContainerProperties: { ResourceRequirements: [{ Type: 'VCPU', Value: '2' }, { Type: 'MEMORY', Value: '4096' }] } },
        },
        Hourly: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(1 hour)', Targets: [{ Id: 'T', Arn: 'queue', BatchParameters: { JobDefinition: { Ref: 'Definition' } } }] } },
      },
      { 'fargate.vcpuHour': 0.04, 'fargate.gbHour': 0.005 },
      { batchJobMinutes: 6 },
    );
    // 730 jobs x 0.1 h = 73 h: 146 vCPU-hours and 292 GB-hours.
    expect(item(result, 'Definition').load).toBeCloseTo(146 * 0.04 + 292 * 0.005, 6);
  });
});
