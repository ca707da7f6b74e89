import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import { ServingModel } from '../runs/types';


/** How long SageMaker takes to create or update an endpoint, in simulated time (a documented estimate: README "Simulated durations"). */
export const ENDPOINT_DEPLOY_MS = 8 * 60_000;

/** An error as SageMaker answers it: `name` is the error type (`ValidationException`, `ResourceNotFound`, ...). */
export class SageMakerError extends Error {
  constructor(readonly type: string, message: string) {
    super(message);
    this.name = type;
  }
}

interface Model {
  readonly name: string;
  readonly arn: string;
  readonly container: { Image?: string; ModelDataUrl?: string; Environment?: Record<string, string> };
  readonly executionRoleArn?: string;
  readonly creationTime: number;
}

interface Variant {
  readonly VariantName: string;
  readonly ModelName: string;
  readonly InitialVariantWeight?: number;
  readonly InstanceType?: string;
  readonly InitialInstanceCount?: number;
  readonly ServerlessConfig?: { MemorySizeInMB: number; MaxConcurrency: number; ProvisionedConcurrency?: number };
}

interface EndpointConfig {
  readonly name: string;
  readonly arn: string;
  readonly productionVariants: Variant[];
  readonly shadowVariants: Variant[];
  readonly dataCapture?: { EnableCapture?: boolean; InitialSamplingPercentage: number; DestinationS3Uri: string; KmsKeyId?: string };
  readonly kmsKeyId?: string;
  readonly creationTime: number;
}

interface Endpoint {
  readonly name: string;
  readonly arn: string;
  configName: string;
  status: 'Creating' | 'Updating' | 'InService' | 'Failed' | 'RollingBack';
  /** The config an update is moving to, and when it completes (simulated ms). */
  pending?: { configName: string; completesAt: number; rollBack: boolean };
  readonly creationTime: number;
  lastModifiedTime: number;
  failureReason?: string;
  /** The config serving before the last change, for the record. */
  previousConfigName?: string;
}

interface ModelPackage {
  readonly arn: string;
  readonly group: string;
  readonly version: number;
  readonly description?: string;
  approvalStatus: string;
  approvalDescription?: string;
  readonly inferenceSpecification?: any;
  readonly modelMetrics?: any;
  customerMetadata: Record<string, string>;
  readonly creationTime: number;
  lastModifiedTime: number;
  readonly clientToken?: string;
}

/**
 * SageMaker's control plane, in memory: models, endpoint configs (instance or
 * ServerlessConfig variants, shadow variants, DataCaptureConfig), endpoints
 * (create, update to a new config, a rollback the scenario orders), model
 * package groups and packages with their approval status, and tags.
 *
 * Answered two ways, from the same state: `call(operation, request)` for the
 * replay's Step Functions task layer (the state machine's `aws-sdk:sagemaker:*`
 * tasks), and over HTTP as awsJson1_1 (`X-Amz-Target: SageMaker.<Operation>`)
 * for the built Lambda bundles through the real SDK v3
 * (`AWS_ENDPOINT_URL_SAGEMAKER`). Times (CreationTime, LastModifiedTime) come
 * from the simulated clock the replay gives it.
 *
 * An endpoint change takes {@link ENDPOINT_DEPLOY_MS} of simulated time: until
 * then DescribeEndpoint reports Creating/Updating; at the first Describe after
 * it the change completes. An update the scenario ordered to roll back ends as
 * SageMaker's auto-rollback does: InService on the previous config, with a
 * FailureReason, LastModifiedTime moved to the rollback's end.
 */
export class SageMakerEmulator {
  endpoint = '';
  /** Every call, in order, with the operation and request (tests and IAM evaluation read it). */
  readonly calls: { operation: string; request: any; via: 'task' | 'http' }[] = [];
  private readonly models = new Map<string, Model>();
  private readonly configs = new Map<string, EndpointConfig>();
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly groups = new Map<string, { name: string; arn: string; creationTime: number }>();
  private readonly packages: ModelPackage[] = [];
  private readonly tags = new Map<string, { Key: string; Value: string }[]>();
  /** Extracted model artifacts by their S3 URI (model.tar.gz), filled by the jobs that build or read them. */
  private readonly artifactDirs = new Map<string, string>();
  private readonly rollbacks = new Set<string>();
  private server?: http.Server;
  private clock: () => number;
  private readonly account: string;
  private readonly region: string;

  /**
   * @param clock the simulated time the emulator stamps
   * @param env the account and region of its ARNs: give the app's (the stack's environment), so the ARNs the state
   * machine and the bundles send are the ones their IAM policies name. @default 123456789012, us-east-1
   */
  constructor(clock: () => number, env: { account?: string; region?: string } = {}) {
    this.clock = clock;
    this.account = env.account ?? '123456789012';
    this.region = env.region ?? 'us-east-1';
  }

  /** The simulated time the emulator stamps; the run executor moves it through a run. Returns the previous clock. */
  useClock(clock: () => number): () => number {
    const previous = this.clock;
    this.clock = clock;
    return previous;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.answerHttp(String(req.headers['x-amz-target'] ?? ''), Buffer.concat(chunks).toString('utf8'), res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Records where a model artifact (an S3 URI of a model.tar.gz) lies extracted on disk. */
  registerArtifact(modelDataUrl: string, dir: string): void {
    this.artifactDirs.set(modelDataUrl, dir);
  }

  /** Where a model artifact lies extracted, when a job built or read it. */
  artifactDir(modelDataUrl: string): string | undefined {
    return this.artifactDirs.get(modelDataUrl);
  }

  /** The scenario orders the next update of `endpointName` to roll back (as an alarm-triggered auto-rollback does). */
  orderRollback(endpointName: string): void {
    this.rollbacks.add(endpointName);
  }

  /** A model package group as CloudFormation creates it (AWS::SageMaker::ModelPackageGroup). */
  createModelPackageGroup(name: string): void {
    this.call('CreateModelPackageGroup', { ModelPackageGroupName: name });
  }

  endpointNames(): string[] {
    return [...this.endpoints.keys()].sort();
  }

  /** Every variant the endpoint serves now (production first, then shadow), with its model's extracted artifact. */
  servingModels(endpointName: string): ServingModel[] {
    const endpoint = this.endpoints.get(endpointName);
    if (!endpoint) return [];
    this.settle(endpoint);
    if (endpoint.status !== 'InService' && endpoint.status !== 'Updating') return [];
    const config = this.configs.get(endpoint.configName);
    if (!config) throw new Error(`Endpoint ${endpointName} serves ${endpoint.configName}, which was deleted: SageMaker keeps a config in use, the replay must too.`);
    const pkg = (model: Model) => this.packages.find((p) => p.inferenceSpecification?.Containers?.[0]?.ModelDataUrl === model.container.ModelDataUrl);
    const serving = (v: Variant, role: 'production' | 'shadow'): ServingModel => {
      const model = this.models.get(v.ModelName);
      if (!model) throw new Error(`Endpoint ${endpointName}'s variant ${v.VariantName} serves model ${v.ModelName}, which was deleted.`);
      const modelDir = model.container.ModelDataUrl ? this.artifactDirs.get(model.container.ModelDataUrl) : undefined;
      if (!modelDir) throw new Error(`The artifact of model ${model.name} (${model.container.ModelDataUrl}) was never built or read by the replay's jobs.`);
      const capture = config.dataCapture?.EnableCapture ? config.dataCapture : undefined;
      return {
        endpointName,
        variantName: v.VariantName,
        role,
        modelName: model.name,
        modelDir,
        algorithm: algorithmOf(model.container.Image),
        environment: { ...model.container.Environment },
        deployedAt: endpoint.lastModifiedTime,
        modelPackageArn: pkg(model)?.arn,
        dataCapture: capture
          ? { destinationS3Uri: capture.DestinationS3Uri, samplingPercentage: capture.InitialSamplingPercentage, kmsKeyId: capture.KmsKeyId }
          : undefined,
      };
    };
    return [...config.productionVariants.map((v) => serving(v, 'production')), ...config.shadowVariants.map((v) => serving(v, 'shadow'))];
  }

  /** A model package as the registry holds it (tests read approval status and descriptions). */
  modelPackage(arn: string): { status: string; approvalDescription?: string; description?: string; metadata: Record<string, string> } | undefined {
    const p = this.packages.find((x) => x.arn === arn);
    if (!p) return undefined;
    return { status: p.approvalStatus, approvalDescription: p.approvalDescription, description: p.description, metadata: { ...p.customerMetadata } };
  }

  modelNames(): string[] {
    return [...this.models.keys()].sort();
  }

  endpointConfigNames(): string[] {
    return [...this.configs.keys()].sort();
  }

  /** Answers one SageMaker API call (request and response as the API shapes them); throws {@link SageMakerError}. */
  call(operation: string, request: any, via: 'task' | 'http' = 'task'): any {
    this.calls.push({ operation, request: JSON.parse(JSON.stringify(request ?? {})), via });
    const handler = (this as any)[`op${operation}`] as ((r: any) => any) | undefined;
    if (typeof handler !== 'function') {
      throw new SageMakerError('UnknownOperationException', `The replay's SageMaker does not implement ${operation}.`);
    }
    return handler.call(this, request ?? {});
  }

  private now(): number {
    return this.clock();
  }

  private arn(kind: string, name: string): string {
    return `arn:aws:sagemaker:${this.region}:${this.account}:${kind}/${name.toLowerCase()}`;
  }

  // Models ------------------------------------------------------------------

  protected opCreateModel(r: any): any {
    required(r, ['ModelName']);
    if (this.models.has(r.ModelName)) throw new SageMakerError('ValidationException', `Cannot create already existing model "${this.arn('model', r.ModelName)}".`);
    const container = r.PrimaryContainer ?? r.Containers?.[0];
    if (!container?.Image) throw new SageMakerError('ValidationException', 'PrimaryContainer.Image is required.');
    const model: Model = { name: r.ModelName, arn: this.arn('model', r.ModelName), container, executionRoleArn: r.ExecutionRoleArn, creationTime: this.now() };
    this.models.set(model.name, model);
    this.addTags(model.arn, r.Tags);
    return { ModelArn: model.arn };
  }

  protected opDescribeModel(r: any): any {
    const m = this.models.get(r.ModelName);
    if (!m) throw new SageMakerError('ValidationException', `Could not find model "${this.arn('model', String(r.ModelName))}".`);
    return {
      ModelName: m.name, ModelArn: m.arn, PrimaryContainer: m.container, ExecutionRoleArn: m.executionRoleArn, CreationTime: seconds(m.creationTime),
    };
  }

  protected opDeleteModel(r: any): any {
    if (!this.models.delete(r.ModelName)) throw new SageMakerError('ValidationException', `Could not find model "${this.arn('model', String(r.ModelName))}".`);
    return {};
  }

  // Endpoint configs ----------------------------------------------------------

  protected opCreateEndpointConfig(r: any): any {
    required(r, ['EndpointConfigName', 'ProductionVariants']);
    if (this.configs.has(r.EndpointConfigName)) {
      throw new SageMakerError('ValidationException', `Cannot create already existing endpoint configuration "${this.arn('endpoint-config', r.EndpointConfigName)}".`);
    }
    const variants = (list: Variant[] | undefined, kind: string): Variant[] => (list ?? []).map((v, i) => {
      if (!v.VariantName || !v.ModelName) throw new SageMakerError('ValidationException', `${kind}[${i}] needs VariantName and ModelName.`);
      if (!this.models.has(v.ModelName)) throw new SageMakerError('ValidationException', `Could not find model "${this.arn('model', v.ModelName)}".`);
      if (!v.ServerlessConfig === !v.InstanceType) {
        throw new SageMakerError('ValidationException', `${kind}[${i}] (${v.VariantName}) must set either InstanceType (with InitialInstanceCount) or ServerlessConfig, not both or neither.`);
      }
      return v;
    });
    const production = variants(r.ProductionVariants, 'ProductionVariants');
    if (production.length === 0) throw new SageMakerError('ValidationException', 'ProductionVariants must hold at least one variant.');
    const shadow = variants(r.ShadowProductionVariants, 'ShadowProductionVariants');
    if (r.DataCaptureConfig && production.some((v) => v.ServerlessConfig)) {
      throw new SageMakerError('ValidationException', 'DataCaptureConfig is not supported for serverless endpoints.');
    }
    const config: EndpointConfig = {
      name: r.EndpointConfigName,
      arn: this.arn('endpoint-config', r.EndpointConfigName),
      productionVariants: production,
      shadowVariants: shadow,
      dataCapture: r.DataCaptureConfig,
      kmsKeyId: r.KmsKeyId,
      creationTime: this.now(),
    };
    this.configs.set(config.name, config);
    this.addTags(config.arn, r.Tags);
    return { EndpointConfigArn: config.arn };
  }

  protected opDescribeEndpointConfig(r: any): any {
    const c = this.config(r.EndpointConfigName);
    return {
      EndpointConfigName: c.name,
      EndpointConfigArn: c.arn,
      ProductionVariants: c.productionVariants,
      ShadowProductionVariants: c.shadowVariants.length ? c.shadowVariants : undefined,
      DataCaptureConfig: c.dataCapture,
      KmsKeyId: c.kmsKeyId,
      CreationTime: seconds(c.creationTime),
    };
  }

  protected opDeleteEndpointConfig(r: any): any {
    this.config(r.EndpointConfigName);
    this.configs.delete(r.EndpointConfigName);
    return {};
  }

  private config(name: string): EndpointConfig {
    const c = this.configs.get(name);
    if (!c) throw new SageMakerError('ValidationException', `Could not find endpoint configuration "${this.arn('endpoint-config', String(name))}".`);
    return c;
  }

  // Endpoints -----------------------------------------------------------------

  protected opCreateEndpoint(r: any): any {
    required(r, ['EndpointName', 'EndpointConfigName']);
    if (this.endpoints.has(r.EndpointName)) {
      throw new SageMakerError('ValidationException', `Cannot create already existing endpoint "${this.arn('endpoint', r.EndpointName)}".`);
    }
    this.config(r.EndpointConfigName);
    const now = this.now();
    const endpoint: Endpoint = {
      name: r.EndpointName,
      arn: this.arn('endpoint', r.EndpointName),
      configName: r.EndpointConfigName,
      status: 'Creating',
      pending: { configName: r.EndpointConfigName, completesAt: now + ENDPOINT_DEPLOY_MS, rollBack: false },
      creationTime: now,
      lastModifiedTime: now,
    };
    this.endpoints.set(endpoint.name, endpoint);
    this.addTags(endpoint.arn, r.Tags);
    return { EndpointArn: endpoint.arn };
  }

  protected opUpdateEndpoint(r: any): any {
    required(r, ['EndpointName', 'EndpointConfigName']);
    const endpoint = this.endpointNamed(r.EndpointName);
    this.settle(endpoint);
    if (endpoint.status !== 'InService') {
      throw new SageMakerError('ValidationException', `Cannot update in-progress endpoint "${endpoint.arn}".`);
    }
    this.config(r.EndpointConfigName);
    const rollBack = this.rollbacks.delete(endpoint.name);
    endpoint.status = 'Updating';
    endpoint.failureReason = undefined;
    endpoint.pending = { configName: r.EndpointConfigName, completesAt: this.now() + ENDPOINT_DEPLOY_MS, rollBack };
    endpoint.lastModifiedTime = this.now();
    return { EndpointArn: endpoint.arn };
  }

  protected opDescribeEndpoint(r: any): any {
    const e = this.endpointNamed(r.EndpointName);
    this.settle(e);
    const config = this.configs.get(e.configName);
    const variant = (v: Variant) => ({
      VariantName: v.VariantName,
      CurrentWeight: v.InitialVariantWeight ?? 1,
      DesiredWeight: v.InitialVariantWeight ?? 1,
      CurrentInstanceCount: v.InitialInstanceCount,
      DesiredInstanceCount: v.InitialInstanceCount,
      CurrentServerlessConfig: v.ServerlessConfig,
    });
    const capture = config?.dataCapture;
    return {
      EndpointName: e.name,
      EndpointArn: e.arn,
      EndpointConfigName: e.configName,
      EndpointStatus: e.status,
      FailureReason: e.failureReason,
      CreationTime: seconds(e.creationTime),
      LastModifiedTime: seconds(e.lastModifiedTime),
      ProductionVariants: config?.productionVariants.map(variant),
      ShadowProductionVariants: config?.shadowVariants.length ? config.shadowVariants.map(variant) : undefined,
      DataCaptureConfig: capture ? {
        EnableCapture: capture.EnableCapture ?? true,
        CaptureStatus: capture.EnableCapture === false ? 'Stopped' : 'Started',
        CurrentSamplingPercentage: capture.InitialSamplingPercentage,
        DestinationS3Uri: capture.DestinationS3Uri,
        KmsKeyId: capture.KmsKeyId,
      } : undefined,
    };
  }

  protected opListEndpoints(r: any): any {
    const list = [...this.endpoints.values()]
      .filter((e) => !r.NameContains || e.name.includes(r.NameContains))
      .map((e) => {
        this.settle(e);
        return e;
      })
      .sort((a, b) => (r.SortOrder === 'Ascending' ? a.creationTime - b.creationTime : b.creationTime - a.creationTime))
      .slice(0, r.MaxResults ?? 10);
    return {
      Endpoints: list.map((e) => ({
        EndpointName: e.name,
        EndpointArn: e.arn,
        EndpointStatus: e.status,
        CreationTime: seconds(e.creationTime),
        LastModifiedTime: seconds(e.lastModifiedTime),
      })),
    };
  }

  protected opDeleteEndpoint(r: any): any {
    this.endpointNamed(r.EndpointName);
    this.endpoints.delete(r.EndpointName);
    return {};
  }

  private endpointNamed(name: string): Endpoint {
    const e = this.endpoints.get(name);
    if (!e) throw new SageMakerError('ValidationException', `Could not find endpoint "${this.arn('endpoint', String(name))}".`);
    return e;
  }

  /** Completes a create or update whose simulated time has come. */
  private settle(e: Endpoint): void {
    const p = e.pending;
    if (!p || this.now() < p.completesAt) return;
    e.pending = undefined;
    e.lastModifiedTime = p.completesAt;
    if (e.status === 'Creating') {
      e.status = 'InService';
      return;
    }
    if (p.rollBack) {
      // SageMaker's auto-rollback: the endpoint goes back to the config that served before the update.
      e.status = 'InService';
      e.failureReason = `Update of endpoint ${e.name} to ${p.configName} was rolled back: an alarm of the deployment's AutoRollbackConfiguration went to ALARM (ordered by the replay's scenario).`;
      return;
    }
    e.previousConfigName = e.configName;
    e.configName = p.configName;
    e.status = 'InService';
  }

  // Model registry ------------------------------------------------------------

  protected opCreateModelPackageGroup(r: any): any {
    required(r, ['ModelPackageGroupName']);
    if (this.groups.has(r.ModelPackageGroupName)) {
      throw new SageMakerError('ValidationException', `Model Package Group already exists: ${this.arn('model-package-group', r.ModelPackageGroupName)}`);
    }
    const group = { name: r.ModelPackageGroupName, arn: this.arn('model-package-group', r.ModelPackageGroupName), creationTime: this.now() };
    this.groups.set(group.name, group);
    return { ModelPackageGroupArn: group.arn };
  }

  protected opCreateModelPackage(r: any): any {
    required(r, ['ModelPackageGroupName']);
    const group = this.groups.get(r.ModelPackageGroupName);
    if (!group) throw new SageMakerError('ValidationException', `Model Package Group ${r.ModelPackageGroupName} does not exist.`);
    const statuses = ['Approved', 'Rejected', 'PendingManualApproval'];
    if (r.ModelApprovalStatus !== undefined && !statuses.includes(r.ModelApprovalStatus)) {
      throw new SageMakerError('ValidationException', `ModelApprovalStatus must be one of ${statuses.join(', ')}.`);
    }
    if (r.ClientToken) {
      const same = this.packages.find((p) => p.group === group.name && p.clientToken === r.ClientToken);
      if (same) return { ModelPackageArn: same.arn };
    }
    const version = this.packages.filter((p) => p.group === group.name).length + 1;
    const now = this.now();
    const pkg: ModelPackage = {
      arn: `${this.arn('model-package', group.name)}/${version}`,
      group: group.name,
      version,
      description: r.ModelPackageDescription,
      approvalStatus: r.ModelApprovalStatus ?? 'PendingManualApproval',
      inferenceSpecification: r.InferenceSpecification,
      modelMetrics: r.ModelMetrics,
      customerMetadata: { ...r.CustomerMetadataProperties },
      creationTime: now,
      lastModifiedTime: now,
      clientToken: r.ClientToken,
    };
    this.packages.push(pkg);
    this.addTags(pkg.arn, r.Tags);
    return { ModelPackageArn: pkg.arn };
  }

  protected opListModelPackages(r: any): any {
    const list = this.packages
      .filter((p) => !r.ModelPackageGroupName || p.group === r.ModelPackageGroupName)
      .filter((p) => !r.ModelApprovalStatus || p.approvalStatus === r.ModelApprovalStatus)
      // CreationTime, then version: two packages of one simulated instant keep their order.
      .sort((a, b) => (a.creationTime - b.creationTime) || (a.version - b.version));
    if (r.SortOrder !== 'Ascending') list.reverse();
    return {
      ModelPackageSummaryList: list.slice(0, r.MaxResults ?? 100).map((p) => ({
        ModelPackageGroupName: p.group,
        ModelPackageVersion: p.version,
        ModelPackageArn: p.arn,
        ModelPackageDescription: p.description,
        CreationTime: seconds(p.creationTime),
        ModelPackageStatus: 'Completed',
        ModelApprovalStatus: p.approvalStatus,
      })),
    };
  }

  protected opDescribeModelPackage(r: any): any {
    const p = this.packageNamed(r.ModelPackageName);
    return {
      ModelPackageGroupName: p.group,
      ModelPackageVersion: p.version,
      ModelPackageArn: p.arn,
      ModelPackageName: p.group,
      ModelPackageDescription: p.description,
      CreationTime: seconds(p.creationTime),
      LastModifiedTime: seconds(p.lastModifiedTime),
      InferenceSpecification: p.inferenceSpecification,
      ModelMetrics: p.modelMetrics,
      ModelPackageStatus: 'Completed',
      ModelPackageStatusDetails: { ValidationStatuses: [], ImageScanStatuses: [] },
      ModelApprovalStatus: p.approvalStatus,
      ApprovalDescription: p.approvalDescription,
      CustomerMetadataProperties: Object.keys(p.customerMetadata).length ? { ...p.customerMetadata } : undefined,
    };
  }

  protected opUpdateModelPackage(r: any): any {
    const p = this.packageNamed(r.ModelPackageArn);
    if (r.ModelApprovalStatus !== undefined) {
      if (!['Approved', 'Rejected', 'PendingManualApproval'].includes(r.ModelApprovalStatus)) {
        throw new SageMakerError('ValidationException', `ModelApprovalStatus ${r.ModelApprovalStatus} is not one of Approved, Rejected, PendingManualApproval.`);
      }
      p.approvalStatus = r.ModelApprovalStatus;
    }
    if (r.ApprovalDescription !== undefined) p.approvalDescription = r.ApprovalDescription;
    Object.assign(p.customerMetadata, r.CustomerMetadataProperties ?? {});
    for (const key of r.CustomerMetadataPropertiesToRemove ?? []) delete p.customerMetadata[key];
    p.lastModifiedTime = this.now();
    return { ModelPackageArn: p.arn };
  }

  private packageNamed(name: string): ModelPackage {
    const p = this.packages.find((x) => x.arn === name);
    if (!p) throw new SageMakerError('ValidationException', `ModelPackage ${name} does not exist.`);
    return p;
  }

  // Tags ----------------------------------------------------------------------

  protected opAddTags(r: any): any {
    required(r, ['ResourceArn', 'Tags']);
    this.addTags(r.ResourceArn, r.Tags);
    return { Tags: this.tags.get(r.ResourceArn) ?? [] };
  }

  protected opListTags(r: any): any {
    required(r, ['ResourceArn']);
    return { Tags: [...(this.tags.get(r.ResourceArn) ?? [])] };
  }

  protected opDeleteTags(r: any): any {
    const keys = new Set<string>(r.TagKeys ?? []);
    this.tags.set(r.ResourceArn, (this.tags.get(r.ResourceArn) ?? []).filter((t) => !keys.has(t.Key)));
    return {};
  }

  private addTags(arn: string, tags: { Key: string; Value: string }[] | undefined): void {
    if (!tags?.length) return;
    const existing = (this.tags.get(arn) ?? []).filter((t) => !tags.some((n) => n.Key === t.Key));
    this.tags.set(arn, [...existing, ...tags.map((t) => ({ Key: t.Key, Value: t.Value }))]);
  }

  // HTTP ----------------------------------------------------------------------

  private answerHttp(target: string, text: string, res: http.ServerResponse): void {
    const send = (status: number, body: unknown, type?: string) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', ...(type ? { 'x-amzn-errortype': type } : {}) });
      res.end(JSON.stringify(body));
    };
    if (!target.startsWith('SageMaker.')) {
      return send(400, { __type: 'UnknownOperationException', message: 'The replay\'s SageMaker speaks awsJson1_1 (X-Amz-Target: SageMaker.<Operation>).' }, 'UnknownOperationException');
    }
    try {
      send(200, stripUndefined(this.call(target.slice('SageMaker.'.length), JSON.parse(text || '{}'), 'http')));
    } catch (error) {
      if (!(error instanceof SageMakerError)) throw error;
      send(400, { __type: error.type, message: error.message }, error.type);
    }
  }
}

/** The algorithm a container image serves (the ECR repository's name). */
export function algorithmOf(image: string | undefined): string {
  const text = image ?? '';
  if (/forecasting-deepar/.test(text)) return 'deepar';
  if (/autogluon/.test(text)) return 'autogluon';
  if (/xgboost/.test(text)) return 'xgboost';
  return 'unknown';
}

function required(r: any, names: string[]): void {
  for (const n of names) {
    if (r[n] === undefined || r[n] === null || r[n] === '') throw new SageMakerError('ValidationException', `1 validation error detected: Value null at '${n[0].toLowerCase()}${n.slice(1)}' failed to satisfy constraint: Member must not be null`);
  }
}

/** The API's timestamps: epoch seconds in JSON. */
function seconds(ms: number): number {
  return ms / 1000;
}

function stripUndefined(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? {}));
}
