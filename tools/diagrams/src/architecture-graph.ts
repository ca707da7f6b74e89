import * as path from 'path';
import { AssemblyResource, AssemblyStack, constructOf, flatten, readWorkflow, refersTo, scheduleOf, Workflow } from '@freshet/cost';

/** What a box of the architecture picture stands for. */
export type ArchitectureKind = 'source' | 'stream' | 'lake' | 'etl' | 'warehouse' | 'workflow' | 'endpoint' | 'api' | 'monitor' | 'trigger';

/** One box: a resource (or a lake prefix) on the data path. */
export interface ArchitectureNode {
  readonly id: string;
  readonly kind: ArchitectureKind;
  readonly title: string;
  readonly details: string[];
  /** The stack's construct path, e.g. `FreshetPipeline/Dev/Data`: boxes are grouped by stack, stacks by stage. */
  readonly stack: string;
}

export interface ArchitectureEdge {
  readonly from: string;
  readonly to: string;
}

export interface ArchitectureGraph {
  readonly nodes: ArchitectureNode[];
  readonly edges: ArchitectureEdge[];
}

/**
 * The data path of a synthesized app, read from its templates: IoT rules and CSV
 * landings into streams, Firehose into lake prefixes, Glue jobs from raw to
 * curated prefixes, warehouses loaded from them, retraining workflows that read
 * a warehouse or a prefix and deploy to endpoints, the APIs in front of those,
 * and monitors whose triggers start a retrain. Each stage assembly is read on
 * its own (its stacks reference each other).
 */
export function architectureGraph(stacks: AssemblyStack[]): ArchitectureGraph {
  const nodes: ArchitectureNode[] = [];
  const edges: ArchitectureEdge[] = [];
  for (const dir of [...new Set(stacks.map((s) => s.assemblyDir))]) {
    new StageReader(stacks.filter((s) => s.assemblyDir === dir), nodes, edges).read();
  }
  const ids = new Set(nodes.map((n) => n.id));
  const seen = new Set<string>();
  const unique = edges.filter((e) => {
    const key = `${e.from}>${e.to}`;
    if (!ids.has(e.from) || !ids.has(e.to) || e.from === e.to || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { nodes, edges: unique };
}

class StageReader {
  private readonly resources: AssemblyResource[];
  private readonly workflows = new Map<AssemblyResource, Workflow>();
  private readonly prefixes = new Map<string, string>();
  private readonly endpoints = new Map<string, string>();

  constructor(stacks: AssemblyStack[], private readonly nodes: ArchitectureNode[], private readonly edges: ArchitectureEdge[]) {
    this.resources = stacks.flatMap((s) => s.resources);
    for (const r of this.of('AWS::StepFunctions::StateMachine')) {
      try {
        this.workflows.set(r, readWorkflow(r.properties));
      } catch {
        // A definition the reader cannot parse is left out of the picture.
      }
    }
  }

  read(): void {
    this.sources();
    this.streams();
    this.etl();
    this.warehouses();
    this.retraining();
    this.apis();
    this.monitors();
  }

  private of(type: string): AssemblyResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** Ids name the assembly by its folder, not its absolute path, so every clone renders the same picture. */
  private id(resource: AssemblyResource, suffix = ''): string {
    return `${path.basename(resource.stack.assemblyDir)}|${resource.logicalId}${suffix}`;
  }

  private add(resource: AssemblyResource, kind: ArchitectureKind, title: string, details: string[], suffix = ''): string {
    const id = this.id(resource, suffix);
    if (!this.nodes.some((n) => n.id === id)) this.nodes.push({ id, kind, title, details, stack: resource.stack.displayName });
    return id;
  }

  private edge(from: string, to: string): void {
    this.edges.push({ from, to });
  }

  /** IoT rules that write to a stream, and CSV landings whose function writes to one. */
  private sources(): void {
    for (const rule of this.of('AWS::IoT::TopicRule')) {
      const payload = rule.properties.TopicRulePayload ?? {};
      const topic = /FROM\s+'([^']+)'/i.exec(String(payload.Sql ?? ''))?.[1] ?? '';
      const id = this.add(rule, 'source', 'IoT Core rule', [constructOf(rule), topic]);
      for (const stream of this.of('AWS::Kinesis::Stream')) {
        if (refersTo(flatten(payload.Actions), stream.logicalId)) this.edge(id, this.id(stream));
      }
    }
    for (const notifications of this.of('Custom::S3BucketNotifications')) {
      const configs = notifications.properties.NotificationConfiguration?.LambdaFunctionConfigurations ?? [];
      for (const fn of this.of('AWS::Lambda::Function')) {
        if (!configs.some((c: any) => refersTo(flatten(c.LambdaFunctionArn), fn.logicalId))) continue;
        const id = this.add(fn, 'source', 'CSV upload', [constructOf(fn), 'S3 landing, Lambda']);
        for (const stream of this.of('AWS::Kinesis::Stream')) {
          if (refersTo(flatten(fn.properties.Environment), stream.logicalId)) this.edge(id, this.id(stream));
        }
      }
    }
  }

  /** Streams, the Firehose streams that read them, and the lake prefixes those deliver to. */
  private streams(): void {
    for (const stream of this.of('AWS::Kinesis::Stream')) {
      const mode = stream.properties.StreamModeDetails?.StreamMode === 'ON_DEMAND' ? 'on demand' : `${stream.properties.ShardCount ?? 1} shard`;
      this.add(stream, 'stream', 'Kinesis stream', [constructOf(stream), mode]);
    }
    for (const delivery of this.of('AWS::KinesisFirehose::DeliveryStream')) {
      // Capture at the API: a DirectPut stream fed by the proxy's log subscription, writing uncompressed JSON Lines.
      const fromLogs = delivery.properties.DeliveryStreamType === 'DirectPut';
      const id = this.add(delivery, 'stream', 'Firehose', [constructOf(delivery), fromLogs ? 'proxy log to S3' : 'GZIP to S3']);
      for (const stream of this.of('AWS::Kinesis::Stream')) {
        if (refersTo(flatten(delivery.properties.KinesisStreamSourceConfiguration), stream.logicalId)) this.edge(this.id(stream), id);
      }
      const destination = delivery.properties.ExtendedS3DestinationConfiguration ?? delivery.properties.S3DestinationConfiguration;
      const bucket = this.of('AWS::S3::Bucket').find((b) => refersTo(flatten(destination?.BucketARN), b.logicalId));
      if (bucket && typeof destination?.Prefix === 'string') this.edge(id, this.prefix(bucket, datasetPrefix(destination.Prefix)));
    }
  }

  /** A box for a prefix of a lake bucket. */
  private prefix(bucket: AssemblyResource, prefix: string): string {
    const id = this.add(bucket, 'lake', 'S3 lake', [prefix], `|${prefix}`);
    this.prefixes.set(prefix, id);
    return id;
  }

  /** Glue jobs: the lake prefixes they read (written by Firehose) and the ones they write. */
  private etl(): void {
    for (const job of this.of('AWS::Glue::Job')) {
      const args = job.properties.DefaultArguments ?? {};
      const bucket = this.of('AWS::S3::Bucket').find((b) => refersTo(flatten(args), b.logicalId));
      const worker = job.properties.WorkerType ? `${job.properties.NumberOfWorkers ?? 1} x ${job.properties.WorkerType}` : 'Glue';
      const id = this.add(job, 'etl', 'Glue ETL job', [constructOf(job), worker]);
      for (const [name, value] of Object.entries(args)) {
        if (typeof value !== 'string' || !/^[\w-]+\/[\w-]+\/$/.test(value) || /reject/i.test(name)) continue;
        const known = this.prefixes.get(value);
        if (known) this.edge(known, id);
        else if (bucket) this.edge(id, this.prefix(bucket, value));
      }
    }
  }

  /** Warehouses, fed by the prefixes their workflows' statements load. */
  private warehouses(): void {
    for (const workgroup of this.of('AWS::RedshiftServerless::Workgroup')) {
      const id = this.add(workgroup, 'warehouse', 'Redshift Serverless', [constructOf(workgroup), `${workgroup.properties.BaseCapacity ?? 128} RPU base`]);
      for (const [machine, workflow] of this.workflows) {
        if (trains(workflow) || !issuesStatements(workflow)) continue;
        if (constructOf(machine) !== constructOf(workgroup)) continue;
        for (const [prefix, prefixId] of this.prefixes) {
          if (workflow.definition.text.includes(prefix)) this.edge(prefixId, id);
        }
      }
    }
  }

  /** Workflows that train: what they read, and the endpoints they deploy to. */
  private retraining(): void {
    for (const [machine, workflow] of this.workflows) {
      if (!trains(workflow)) continue;
      const id = this.add(machine, 'workflow', 'Retrain workflow', [constructOf(machine), 'train, gate, deploy']);
      if (issuesStatements(workflow)) {
        for (const workgroup of this.of('AWS::RedshiftServerless::Workgroup')) this.edge(this.id(workgroup), id);
      }
      for (const [prefix, prefixId] of this.prefixes) {
        if (prefix.startsWith('raw/') && workflow.definition.text.includes(prefix)) this.edge(prefixId, id);
      }
      for (const name of endpointNames(workflow)) this.edge(id, this.endpoint(machine, name, workflow));
    }
    for (const endpoint of this.of('AWS::SageMaker::Endpoint')) {
      const name = endpoint.properties.EndpointName;
      if (typeof name === 'string' && !this.endpoints.has(name)) this.endpoint(endpoint, name);
    }
  }

  /** One box per endpoint name, whoever creates it. */
  private endpoint(owner: AssemblyResource, name: string, workflow?: Workflow): string {
    const known = this.endpoints.get(name);
    if (known) return known;
    const stack = this.resources.find((r) => r.type === 'AWS::SageMaker::Endpoint' && r.properties.EndpointName === name) ?? owner;
    const config = workflow?.allStates.find((s) => /createEndpointConfig/.test(s.resource))?.parameters.ProductionVariants?.[0];
    const count = Number(config?.InitialInstanceCount ?? 1);
    const instance = config?.ServerlessConfig ? 'serverless' : `${config?.InstanceType ?? 'real-time'}${count > 1 ? ` x ${count}` : ''}`;
    const id = this.add(stack, 'endpoint', 'SageMaker endpoint', [constructOf(stack), instance], `|endpoint|${name}`);
    this.endpoints.set(name, id);
    return id;
  }

  /** REST APIs whose integrated function invokes an endpoint. */
  private apis(): void {
    for (const api of this.of('AWS::ApiGateway::RestApi')) {
      const paths = this.of('AWS::ApiGateway::Resource').filter((r) => refersTo(flatten(r.properties.RestApiId), api.logicalId)).map((r) => `/${r.properties.PathPart}`);
      const id = this.add(api, 'api', 'REST API', [constructOf(api), `POST ${paths.join(', ') || '/'}`]);
      for (const method of this.of('AWS::ApiGateway::Method')) {
        if (!refersTo(flatten(method.properties.RestApiId), api.logicalId)) continue;
        const fn = this.of('AWS::Lambda::Function').find((f) => refersTo(flatten(method.properties.Integration), f.logicalId));
        const env = flatten(fn?.properties.Environment).text;
        for (const [name, endpointId] of this.endpoints) if (env.includes(name)) this.edge(endpointId, id);
      }
    }
  }

  /** Monitors (workflows that run processing jobs without training) and the triggers that start a retrain. */
  private monitors(): void {
    const retrains = [...this.workflows].filter(([, w]) => trains(w)).map(([m]) => m);
    for (const fn of this.of('AWS::Lambda::Function')) {
      const starts = retrains.filter((m) => refersTo(flatten(fn.properties.Environment), m.logicalId));
      if (starts.length === 0) continue;
      // The start guard is scheduled; the trigger answers alarm state changes (and retries on a schedule of its own).
      const alarmDriven = this.of('AWS::Events::Rule').some((rule) => JSON.stringify(rule.properties.EventPattern ?? {}).includes('aws.cloudwatch')
        && (rule.properties.Targets ?? []).some((t: any) => refersTo(flatten(t.Arn), fn.logicalId)));
      const scheduled = this.resources.some((r) => scheduleOf(r)?.targets.some((t) => refersTo(t, fn.logicalId)));
      if (scheduled && !alarmDriven) continue;
      const id = this.add(fn, 'trigger', 'Retrain trigger', [constructOf(fn), 'one retrain per alarm']);
      for (const m of starts) this.edge(id, this.id(m));
      for (const [machine, workflow] of this.workflows) {
        if (trains(workflow) || !workflow.happyPath.some((s) => /createProcessingJob/.test(s.resource)) || constructOf(machine) !== constructOf(fn)) continue;
        const monitor = this.add(machine, 'monitor', 'Drift monitor', [constructOf(machine), 'processing job']);
        this.edge(monitor, id);
        for (const [name, endpointId] of this.endpoints) if (workflow.definition.text.includes(name)) this.edge(endpointId, monitor);
      }
    }
  }
}

function trains(workflow: Workflow): boolean {
  return workflow.allStates.some((s) => /createTrainingJob|createAutoMLJob/.test(s.resource));
}

function issuesStatements(workflow: Workflow): boolean {
  return workflow.allStates.some((s) => /redshiftdata:(batchE|e)xecuteStatement/.test(s.resource));
}

/** The literal endpoint names a workflow updates or creates. */
function endpointNames(workflow: Workflow): string[] {
  const names = workflow.allStates
    .filter((s) => /sagemaker:(updateEndpoint|createEndpoint)$/.test(s.resource.replace(/\.sync$/, '')))
    .map((s) => s.parameters.EndpointName)
    .filter((n): n is string => typeof n === 'string' && !n.includes('<ref:'));
  return [...new Set(names)];
}

/** The first two segments of a delivery prefix: `raw/stocks/year=!{...}/` -> `raw/stocks/`. */
function datasetPrefix(prefix: string): string {
  return prefix.split('/').slice(0, 2).join('/') + '/';
}
