/**
 * The custom resource that owns the endpoint RetrainPipeline creates (a
 * ModelEndpoint with ModelSource.fromFirstTraining): CloudFormation never
 * creates that endpoint, so without this it would outlive the stack and keep
 * billing. Create and Update only record the endpoint name; Delete deletes the
 * endpoint and, when their names carry the workflow's prefix, the endpoint
 * config it runs and that config's models.
 *
 * CloudFormation invokes the function directly (no provider framework), so the
 * handler answers the pre-signed ResponseURL itself, on every path.
 *
 * Resource properties: EndpointName, WorkflowNamePrefix ('' = delete the endpoint only).
 * Environment: AWS_ENDPOINT_URL_SAGEMAKER (the SDK's own override), for local tests.
 */
import {
  DeleteEndpointCommand, DeleteEndpointConfigCommand, DeleteModelCommand, DescribeEndpointCommand, DescribeEndpointConfigCommand, SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

const client = new SageMakerClient({});

/** What the teardown found and deleted, for the log and the response's Data. */
export interface TeardownResult {
  readonly endpointDeleted: boolean;
  readonly endpointConfigDeleted?: string;
  readonly modelsDeleted: string[];
}

/** SageMaker answers a missing endpoint, config or model with a ValidationException saying "Could not find". */
function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; message?: string };
  return (e?.name === 'ValidationException' || e?.name === 'ResourceNotFound') && /could not find|not found|does not exist/i.test(String(e?.message ?? ''));
}

async function ignoreNotFound<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Deletes the endpoint, then the workflow's config it ran and that config's workflow models. */
export async function teardown(endpointName: string, workflowNamePrefix: string): Promise<TeardownResult> {
  const endpoint = await ignoreNotFound(() => client.send(new DescribeEndpointCommand({ EndpointName: endpointName })));
  if (!endpoint) return { endpointDeleted: false, modelsDeleted: [] };
  const configName = endpoint.EndpointConfigName ?? '';
  const ours = workflowNamePrefix !== '' && configName.startsWith(`${workflowNamePrefix}-config-`);
  let models: string[] = [];
  if (ours) {
    const config = await ignoreNotFound(() => client.send(new DescribeEndpointConfigCommand({ EndpointConfigName: configName })));
    models = [...(config?.ProductionVariants ?? []), ...(config?.ShadowProductionVariants ?? [])]
      .map((v) => v.ModelName ?? '')
      .filter((name) => name.startsWith(`${workflowNamePrefix}-model-`));
  }
  // The endpoint first: it is what bills. A config or model in use may be deleted once it is going.
  await ignoreNotFound(() => client.send(new DeleteEndpointCommand({ EndpointName: endpointName })));
  if (!ours) return { endpointDeleted: true, modelsDeleted: [] };
  await ignoreNotFound(() => client.send(new DeleteEndpointConfigCommand({ EndpointConfigName: configName })));
  const modelsDeleted = [...new Set(models)];
  for (const model of modelsDeleted) await ignoreNotFound(() => client.send(new DeleteModelCommand({ ModelName: model })));
  return { endpointDeleted: true, endpointConfigDeleted: configName, modelsDeleted };
}

async function respond(event: CloudFormationCustomResourceEvent, status: 'SUCCESS' | 'FAILED', physicalResourceId: string, reason: string, data?: Record<string, unknown>): Promise<void> {
  const body = JSON.stringify({
    Status: status,
    Reason: reason.slice(0, 1000),
    PhysicalResourceId: physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: data,
  });
  // The pre-signed URL was signed without a content type, so none may be sent.
  const response = await fetch(event.ResponseURL, { method: 'PUT', body, headers: { 'content-type': '' } });
  if (!response.ok) throw new Error(`CloudFormation refused the response: HTTP ${response.status}`);
}

export async function handler(event: CloudFormationCustomResourceEvent): Promise<void> {
  const props = event.ResourceProperties as unknown as { EndpointName?: string; WorkflowNamePrefix?: string };
  const endpointName = String(props.EndpointName ?? '');
  // The endpoint name is the physical id: a renamed endpoint is a replacement, so CloudFormation deletes the old one.
  const physicalResourceId = endpointName || (event.RequestType === 'Create' ? event.RequestId : event.PhysicalResourceId);
  try {
    if (!endpointName) throw new Error('EndpointName is not set.');
    if (event.RequestType !== 'Delete') {
      await respond(event, 'SUCCESS', physicalResourceId, `Tracking endpoint ${endpointName}`, { EndpointName: endpointName });
      return;
    }
    const result = await teardown(endpointName, String(props.WorkflowNamePrefix ?? ''));
    console.log(JSON.stringify({ level: 'info', message: 'Endpoint teardown', endpointName, ...result }));
    const reason = result.endpointDeleted ? `Deleted endpoint ${endpointName}` : `No endpoint ${endpointName} to delete`;
    await respond(event, 'SUCCESS', physicalResourceId, reason);
  } catch (error) {
    const message = `${(error as Error).name ?? 'Error'}: ${(error as Error).message}`;
    console.error(JSON.stringify({ level: 'error', message: 'Endpoint teardown failed', endpointName, error: message }));
    await respond(event, 'FAILED', physicalResourceId, `Could not tear down endpoint ${endpointName} (${message}); delete it by hand if it remains.`);
  }
}
