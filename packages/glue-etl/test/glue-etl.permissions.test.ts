import { ColumnType, DatasetSchema, SecureBucket } from '@freshet/core';
import { formatDenials, PermissionLedger, PermissionModel, runStateMachine, serviceSideCalls, testStack } from '@freshet/test-utils';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { GlueEtl } from '../src';

/**
 * Issue 14 for the ETL: the run task (glue:startJobRun.sync) executed in the
 * ASL engine and its recorded call evaluated against the state machine's role;
 * the job role's own access (script, raw/, curated/, rejected/etl/, the
 * catalog table) declared by the synthesized job; and what it must not do.
 */

const schema = new DatasetSchema({
  name: 'stocks',
  columns: [
    { name: 'ticker_symbol', type: ColumnType.STRING },
    { name: 'sector', type: ColumnType.STRING },
    { name: 'change', type: ColumnType.DOUBLE },
    { name: 'price', type: ColumnType.DOUBLE },
  ],
  targetColumn: 'price',
});
const stack = testStack('EtlPermissions');
const lake = new SecureBucket(stack, 'Lake');
const etl = new GlueEtl(stack, 'Etl', { schema, lakeBucket: lake.bucket });
const machine = new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(etl.startJobRunTask(stack, 'Run ETL')) });
const model = PermissionModel.fromStack(stack);
const ledger = new PermissionLedger('glue-etl (run task, job role)');
const lakeBucket = String(model.resources.find((r) => r.type === 'AWS::S3::Bucket' && r.path === `${lake.bucket.node.path}/Resource`)!.ref);

afterAll(() => {
  console.log(ledger.summary());
});

test('the run task starts the job, polls it and may stop it: every call allowed on this job', async () => {
  const definition = model.stateMachineDefinition(machine.node.path);
  const run = await runStateMachine(definition, { executionName: 'hourly-1', taskResponses: { 'Run ETL': (p: any) => ({ JobName: p.JobName, JobRunState: 'SUCCEEDED', Id: 'jr_1' }) } });
  expect(run.calls[0].parameters.JobName).toBe(model.resources.find((r) => r.type === 'AWS::Glue::Job')!.ref);
  const decisions = await ledger.evaluateRun(model, run, machine.role.node.path);
  expect(decisions.map((d) => d.call.action).sort()).toEqual(['glue:BatchStopJobRun', 'glue:GetJobRun', 'glue:GetJobRuns', 'glue:StartJobRun']);
  expect(formatDenials(decisions)).toBe('');
  expect(ledger.unmapped).toEqual([]);
});

test('the job role may read its script and raw/, write curated/ and rejected/etl/, and update its table', async () => {
  const calls = serviceSideCalls(model).filter((c) => String(c.source).startsWith('AWS::Glue::Job'));
  const actions = new Set(calls.map((c) => c.action));
  for (const action of ['s3:GetObject', 's3:ListBucket', 's3:PutObject', 'glue:GetTable']) expect(actions).toContain(action);
  const decisions = await ledger.evaluate(model, calls);
  expect(formatDenials(decisions)).toBe('');
});

test('the job role cannot write models/ or read the landing of other datasets, nor start other jobs', async () => {
  const role = etl.jobRole.node.path;
  expect((await model.evaluate({ principal: role, action: 's3:PutObject', resource: `arn:aws:s3:::${lakeBucket}/models/run/model.tar.gz` })).allowed).toBe(false);
  expect((await model.evaluate({ principal: role, action: 's3:GetObject', resource: `arn:aws:s3:::${lakeBucket}/raw/pollution/x.jsonl.gz` })).allowed).toBe(false);
  expect((await model.evaluate({ principal: machine.role.node.path, action: 'glue:StartJobRun', resource: 'arn:aws:glue:us-east-1:123456789012:job/another-job' })).allowed).toBe(false);
});
