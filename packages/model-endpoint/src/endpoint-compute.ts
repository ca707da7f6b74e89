/** Target-tracking autoscaling of a real-time variant on invocations per instance. */
export interface AutoScalingOptions {
  /** The fewest instances (at least 1). */
  readonly minCapacity: number;
  /** The most instances. */
  readonly maxCapacity: number;
  /**
   * Invocations per instance per minute the scaling keeps to.
   * @default 100
   */
  readonly targetInvocationsPerInstance?: number;
}

/** Options of a real-time endpoint. */
export interface RealTimeComputeOptions {
  /**
   * The instance type.
   * @default 'ml.m5.large'
   */
  readonly instanceType?: string;
  /**
   * Instances per variant at creation (at least 1).
   * @default 1
   */
  readonly initialInstanceCount?: number;
  /**
   * Autoscaling of each production variant.
   * @default - a fixed instance count
   */
  readonly autoScaling?: AutoScalingOptions;
}

/** Options of a serverless endpoint. */
export interface ServerlessComputeOptions {
  /**
   * Memory in MB: 1024 to 6144, in steps of 1024.
   * @default 2048
   */
  readonly memorySizeMb?: number;
  /**
   * Most concurrent invocations (1–200).
   * @default 20
   */
  readonly maxConcurrency?: number;
  /**
   * Concurrency kept warm (1 to maxConcurrency).
   * @default - none: cold starts possible
   */
  readonly provisionedConcurrency?: number;
}

/** Where the endpoint runs: real-time instances or serverless. */
export class EndpointCompute {
  /** Real-time instances, optionally autoscaled. */
  public static realTime(options: RealTimeComputeOptions = {}): EndpointCompute {
    return new EndpointCompute(options, undefined);
  }

  /** Serverless inference: no instances, no data capture. */
  public static serverless(options: ServerlessComputeOptions = {}): EndpointCompute {
    return new EndpointCompute(undefined, options);
  }

  /** The real-time options, if real-time. */
  public readonly realTimeOptions?: RealTimeComputeOptions;
  /** The serverless options, if serverless. */
  public readonly serverlessOptions?: ServerlessComputeOptions;

  private constructor(realTime?: RealTimeComputeOptions, serverless?: ServerlessComputeOptions) {
    this.realTimeOptions = realTime;
    this.serverlessOptions = serverless;
  }

  /** Whether the endpoint is serverless. */
  public get isServerless(): boolean {
    return this.serverlessOptions !== undefined;
  }

  /** Every problem with the options, each saying what to change. */
  public validate(): string[] {
    const problems: string[] = [];
    const s = this.serverlessOptions;
    if (s) {
      const memory = s.memorySizeMb ?? 2048;
      if (!Number.isInteger(memory) || memory < 1024 || memory > 6144 || memory % 1024 !== 0) {
        problems.push(`serverless memorySizeMb is ${memory}: use 1024, 2048, 3072, 4096, 5120 or 6144.`);
      }
      const max = s.maxConcurrency ?? 20;
      if (!Number.isInteger(max) || max < 1 || max > 200) {
        problems.push(`serverless maxConcurrency is ${max}: use a whole number from 1 to 200.`);
      }
      const provisioned = s.provisionedConcurrency;
      if (provisioned !== undefined && (!Number.isInteger(provisioned) || provisioned < 1 || provisioned > max)) {
        problems.push(`serverless provisionedConcurrency is ${provisioned}: use a whole number from 1 to maxConcurrency (${max}).`);
      }
      return problems;
    }
    const r = this.realTimeOptions ?? {};
    const count = r.initialInstanceCount ?? 1;
    if (!Number.isInteger(count) || count < 1) {
      problems.push(`initialInstanceCount is ${count}: use a whole number of at least 1.`);
    }
    if (r.instanceType !== undefined && !/^ml\.[a-z0-9]+\.[a-z0-9]+$/.test(r.instanceType)) {
      problems.push(`instanceType '${r.instanceType}' is not a SageMaker hosting type: use one such as 'ml.m5.large'.`);
    }
    const scaling = r.autoScaling;
    if (scaling) {
      if (!Number.isInteger(scaling.minCapacity) || scaling.minCapacity < 1) {
        problems.push(`autoScaling.minCapacity is ${scaling.minCapacity}: use a whole number of at least 1.`);
      }
      if (!Number.isInteger(scaling.maxCapacity) || scaling.maxCapacity < scaling.minCapacity) {
        problems.push(`autoScaling.maxCapacity is ${scaling.maxCapacity}: use a whole number of at least minCapacity (${scaling.minCapacity}).`);
      }
      const target = scaling.targetInvocationsPerInstance ?? 100;
      if (!(target > 0)) {
        problems.push(`autoScaling.targetInvocationsPerInstance is ${target}: use a number above 0.`);
      }
      if (count < scaling.minCapacity || count > scaling.maxCapacity) {
        problems.push(`initialInstanceCount ${count} is outside autoScaling ${scaling.minCapacity}–${scaling.maxCapacity}: set it within.`);
      }
    }
    return problems;
  }
}
