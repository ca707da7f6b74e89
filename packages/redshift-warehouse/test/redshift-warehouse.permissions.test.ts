import { RedshiftDataClient } from '@aws-sdk/client-redshift-data';
import {
  AwsRequestRecorder, collectStates, formatDenials, PermissionLedger, PermissionModel, RedshiftDataEmulator, runStateMachine,
  startAwsRequestRecorder, startRedshiftDataEmulator, TaskFake,
} from '@freshet/test-utils';
import { Duration } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { buildWarehouse } from './fixtures/stocks';
import { createTableDdlHandler } from '../src/handlers/table-ddl/table-ddl';

/**
 * Issue 14 for the warehouse: the COPY and UNLOAD fragments run in the ASL
 * engine, their recorded Data API calls (and the S3 access of the role each
 * COPY/UNLOAD names) evaluated against the synthesized roles; and every
 * request the table DDL handler sends to the Data API fake, recorded on the
 * wire, evaluated against its function's role.
 */

const { stack, warehouse } = buildWarehouse();
const copyMachine = new sfn.StateMachine(stack, 'CopyMachine', {
  definitionBody: sfn.DefinitionBody.fromChainable(warehouse.copyTask(stack, 'Load', { pollInterval: Duration.seconds(5) })),
});
const unloadMachine = new sfn.StateMachine(stack, 'UnloadMachine', {
  definitionBody: sfn.DefinitionBody.fromChainable(warehouse.unloadSnapshotTask(stack, 'Snapshot', { pollInterval: Duration.seconds(5) })),
});
const model = PermissionModel.fromStack(stack);
const ledger = new PermissionLedger('redshift-warehouse (COPY/UNLOAD fragments, table DDL handler)');

afterAll(() => {
  console.log(ledger.summary());
});

/** The Data API answering: the statement runs once, then FINISHED (or FAILED, then the failure is described). */
function dataApi(definition: any, finalStatus: string): Record<string, TaskFake> {
  const fakes: Record<string, TaskFake> = {};
  for (const [name, state] of collectStates(definition)) {
    if (state.Type !== 'Task') continue;
    const operation = String(state.Resource).split(':').pop();
    fakes[name] = (p: any) => {
      switch (operation) {
        case 'executeStatement': case 'batchExecuteStatement': return { Id: 'statement-1', Database: p.Database };
        case 'describeStatement': return { Id: p.Id, Status: finalStatus, Error: finalStatus === 'FAILED' ? 'ERROR: permission denied' : undefined };
        case 'cancelStatement': return { Status: true };
        default: throw new Error(`No fake for ${operation} (state ${name}).`);
      }
    };
  }
  return fakes;
}

describe.each([
  ['COPY', () => copyMachine],
  ['UNLOAD', () => unloadMachine],
])('the %s fragment', (_kind, machine) => {
  test.each(['FINISHED', 'FAILED'])('a statement that ends %s: every call, and the S3 access of the role it names, is allowed', async (status) => {
    const definition = model.stateMachineDefinition(machine().node.path);
    const run = await runStateMachine(definition, { executionName: 'hourly-2026-11-23T03', input: { model: 'stocks-xgb' }, taskResponses: dataApi(definition, status) });
    const decisions = await ledger.evaluateRun(model, run, machine().role.node.path);
    // The lake role reads curated/ (COPY) or writes snapshots/ (UNLOAD): the statement's own S3 access is proven too.
    expect(decisions.some((d) => d.principalArn === model.role(warehouse.lakeRole.node.path).arn && d.call.action.startsWith('s3:'))).toBe(true);
    expect(formatDenials(decisions)).toBe('');
  });
});

test('the fragments may describe and cancel only their own statements', async () => {
  const role = copyMachine.role.node.path;
  for (const action of ['redshift-data:DescribeStatement', 'redshift-data:CancelStatement']) {
    const someoneElses = await model.evaluate({ principal: role, action, resource: '*', context: { 'redshift-data:statement-owner-iam-userid': 'AROAOTHERROLE:someone' } });
    expect({ action, allowed: someoneElses.allowed }).toEqual({ action, allowed: false });
  }
});

describe('the table DDL handler against the Data API fake', () => {
  let emulator: RedshiftDataEmulator;
  let recorder: AwsRequestRecorder;
  let sdk: RedshiftDataClient;
  let logSpy: jest.SpyInstance;

  beforeAll(async () => {
    logSpy = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    emulator = await startRedshiftDataEmulator({ resultPageSize: 3 });
    recorder = await startAwsRequestRecorder(emulator.endpoint);
    sdk = new RedshiftDataClient({ endpoint: recorder.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIAFAKE', secretAccessKey: 'fake' }, maxAttempts: 1 });
  });

  afterAll(async () => {
    logSpy.mockRestore();
    sdk.destroy();
    await recorder.stop();
    await emulator.stop();
  });

  test('create, update and delete of the table resource, with the properties as synthesized: every call is allowed', async () => {
    const table = model.resources.find((r) => r.type === 'Custom::FreshetRedshiftTable')!;
    const { ServiceToken: serviceToken, ...properties } = table.properties;
    const handler = createTableDdlHandler(sdk, { firstPollMs: 1, maxPollMs: 5, firstRetryMs: 1, maxRetryMs: 5, reserveMs: 1_000 });
    const base = { ServiceToken: serviceToken, ResponseURL: 'https://example.invalid', StackId: 'stack', RequestId: 'r', LogicalResourceId: table.logicalId, ResourceType: table.type };
    const context = { getRemainingTimeInMillis: () => 600_000 };
    const created = await handler({ ...base, RequestType: 'Create', ResourceProperties: { ServiceToken: serviceToken, ...properties } } as CloudFormationCustomResourceEvent, context);
    const columns = JSON.parse(properties.Columns);
    const updated = { ...properties, Columns: JSON.stringify([...columns, { name: 'volume', type: 'double', nullable: true }]) };
    await handler({
      ...base, RequestType: 'Update', PhysicalResourceId: created.PhysicalResourceId, ResourceProperties: { ServiceToken: serviceToken, ...updated }, OldResourceProperties: { ServiceToken: serviceToken, ...properties },
    } as CloudFormationCustomResourceEvent, context);
    await handler({ ...base, RequestType: 'Delete', PhysicalResourceId: created.PhysicalResourceId, ResourceProperties: { ServiceToken: serviceToken, ...updated } } as CloudFormationCustomResourceEvent, context);
    expect(recorder.requests.length).toBeGreaterThan(2);
    const decisions = await ledger.evaluateRequests(model, recorder.requests, warehouse.tableDdlFunction.node.path);
    expect(formatDenials(decisions)).toBe('');
    expect([...new Set(ledger.unmapped)]).toEqual([]);
  });
});
