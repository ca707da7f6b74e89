/** The period a Serverless usage limit counts RPU-hours over. */
export enum UsageLimitPeriod {
  /** From midnight UTC to midnight UTC. */
  DAILY = 'daily',
  /** From Sunday, UTC. */
  WEEKLY = 'weekly',
  /** The calendar month, UTC. */
  MONTHLY = 'monthly',
}

/** What Redshift Serverless does when the usage limit is reached. */
export enum UsageLimitBreachAction {
  /** Writes a row to the SYS_QUERY_HISTORY system view; queries keep running and billing. */
  LOG = 'log',
  /** Emits a CloudWatch metric; queries keep running and billing. */
  EMIT_METRIC = 'emit-metric',
  /** Turns off user queries until the period ends: a hard cost cap. */
  DEACTIVATE = 'deactivate',
}

/** Redshift Serverless compute: a workgroup with a base capacity and a usage limit. */
export interface ServerlessComputeOptions {
  /**
   * The base capacity in Redshift Processing Units, as Redshift Serverless takes it:
   * 4; or 8 to 512 in steps of 8; or 512 to 1024 in steps of 32 (above 512 only in
   * us-east-1, us-east-2, us-west-2, eu-west-1 and eu-central-1). 4 RPU serves
   * warehouses under 32 TB of managed storage, 8 to 24 under 128 TB; more data needs 32 or more.
   * @default 8 - room for up to 128 TB; 4 halves each wake-up's cost where the data stays under 32 TB
   */
  readonly baseCapacityRpu?: number;
  /**
   * The most RPU-hours the workgroup may use in each `usageLimitPeriod`: the cost guard.
   * @default 24 - e.g. 3 hours a day at 8 RPUs
   */
  readonly usageLimitRpuHours?: number;
  /**
   * The period the usage limit counts over.
   * @default UsageLimitPeriod.DAILY
   */
  readonly usageLimitPeriod?: UsageLimitPeriod;
  /**
   * What happens when the limit is reached.
   * @default UsageLimitBreachAction.DEACTIVATE - a cap, not a notice; the compute alarm warns at 80% first
   */
  readonly breachAction?: UsageLimitBreachAction;
}

/** A provisioned Redshift cluster. */
export interface ProvisionedComputeOptions {
  /** The node type, e.g. `ra3.large` or `ra3.xlplus`. */
  readonly nodeType: string;
  /**
   * The number of nodes: 1 for a single-node cluster, 2 or more otherwise (ra3.4xlarge and ra3.16xlarge need 2).
   * @default 2
   */
  readonly numberOfNodes?: number;
  /**
   * Days Redshift keeps automated snapshots (1 to 35).
   * @default 7
   */
  readonly automatedSnapshotRetentionDays?: number;
  /**
   * The weekly maintenance window, `ddd:hh24:mi-ddd:hh24:mi` in UTC.
   * @default 'sun:03:00-sun:03:30'
   */
  readonly preferredMaintenanceWindow?: string;
}

/** What kind of compute a {@link WarehouseCompute} is. */
export enum WarehouseComputeKind {
  /** A Redshift Serverless namespace and workgroup. */
  SERVERLESS = 'serverless',
  /** A provisioned Redshift cluster. */
  PROVISIONED = 'provisioned',
}

/**
 * The base capacities Redshift Serverless takes (AWS docs, "Compute capacity for Amazon
 * Redshift Serverless", read 2026-12-07): 4, 8 to 512 by 8, 512 to 1024 by 32.
 */
function validBaseCapacity(rpu: number): boolean {
  if (!Number.isInteger(rpu)) return false;
  if (rpu === 4) return true;
  if (rpu >= 8 && rpu <= 512) return rpu % 8 === 0;
  return rpu > 512 && rpu <= 1024 && rpu % 32 === 0;
}

/** Node types that need at least two nodes. */
const MULTI_NODE_ONLY = new Set(['ra3.4xlarge', 'ra3.16xlarge', 'dc2.8xlarge']);
const NODE_TYPE_PATTERN = /^(ra3|dc2|ds2)\.[a-z0-9]+$/;

/**
 * The warehouse's compute: Redshift Serverless (the default) or a provisioned
 * cluster. Create it with {@link WarehouseCompute.serverless} or
 * {@link WarehouseCompute.provisioned}; the factories validate the options.
 */
export class WarehouseCompute {
  /** Redshift Serverless: pay per RPU-second while queries run, capped by a usage limit. */
  public static serverless(options: ServerlessComputeOptions = {}): WarehouseCompute {
    const problems: string[] = [];
    const base = options.baseCapacityRpu ?? 8;
    if (!validBaseCapacity(base)) {
      problems.push(`baseCapacityRpu is ${base}: use 4, a multiple of 8 from 8 to 512, or a multiple of 32 from 512 to 1024 (Redshift Serverless takes no other).`);
    }
    const limit = options.usageLimitRpuHours ?? 24;
    if (!Number.isInteger(limit) || limit < 1) {
      problems.push(`usageLimitRpuHours is ${limit}: use a whole number of RPU-hours of at least 1.`);
    }
    throwIfAny('WarehouseCompute.serverless', problems);
    return new WarehouseCompute(WarehouseComputeKind.SERVERLESS, {
      baseCapacityRpu: base,
      usageLimitRpuHours: limit,
      usageLimitPeriod: options.usageLimitPeriod ?? UsageLimitPeriod.DAILY,
      breachAction: options.breachAction ?? UsageLimitBreachAction.DEACTIVATE,
    });
  }

  /** A provisioned cluster: fixed nodes billed per hour, for steady heavy workloads. */
  public static provisioned(options: ProvisionedComputeOptions): WarehouseCompute {
    const problems: string[] = [];
    const nodes = options.numberOfNodes ?? 2;
    if (!options.nodeType || !NODE_TYPE_PATTERN.test(options.nodeType)) {
      problems.push(`nodeType '${options.nodeType}' is not a Redshift node type: use one such as 'ra3.large' or 'ra3.xlplus'.`);
    }
    if (!Number.isInteger(nodes) || nodes < 1 || nodes > 128) {
      problems.push(`numberOfNodes is ${nodes}: use a whole number from 1 to 128.`);
    } else if (nodes === 1 && MULTI_NODE_ONLY.has(options.nodeType)) {
      problems.push(`numberOfNodes is 1, but ${options.nodeType} runs only as a multi-node cluster: use 2 or more nodes, or a smaller node type.`);
    }
    const retention = options.automatedSnapshotRetentionDays ?? 7;
    if (!Number.isInteger(retention) || retention < 1 || retention > 35) {
      problems.push(`automatedSnapshotRetentionDays is ${retention}: use a whole number from 1 to 35 (0 would turn backups off).`);
    }
    const window = options.preferredMaintenanceWindow ?? 'sun:03:00-sun:03:30';
    if (!/^(mon|tue|wed|thu|fri|sat|sun):\d\d:\d\d-(mon|tue|wed|thu|fri|sat|sun):\d\d:\d\d$/.test(window)) {
      problems.push(`preferredMaintenanceWindow '${window}' must look like 'sun:03:00-sun:03:30' (UTC).`);
    }
    throwIfAny('WarehouseCompute.provisioned', problems);
    return new WarehouseCompute(WarehouseComputeKind.PROVISIONED, undefined, {
      nodeType: options.nodeType,
      numberOfNodes: nodes,
      automatedSnapshotRetentionDays: retention,
      preferredMaintenanceWindow: window,
    });
  }

  /** Serverless or provisioned. */
  public readonly kind: WarehouseComputeKind;
  /** The resolved Serverless options, when the kind is SERVERLESS. */
  public readonly serverlessOptions?: ServerlessComputeOptions;
  /** The resolved cluster options, when the kind is PROVISIONED. */
  public readonly provisionedOptions?: ProvisionedComputeOptions;

  private constructor(kind: WarehouseComputeKind, serverless?: ServerlessComputeOptions, provisioned?: ProvisionedComputeOptions) {
    this.kind = kind;
    this.serverlessOptions = serverless;
    this.provisionedOptions = provisioned;
  }
}

function throwIfAny(where: string, problems: string[]): void {
  if (problems.length > 0) {
    throw new Error(`Invalid ${where} options:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
