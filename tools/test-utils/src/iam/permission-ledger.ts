import { awsRequestPermissions } from './aws-request-permissions';
import type { RecordedAwsRequest } from './aws-request-recorder';
import { flattenDecisions, formatDenials, PermissionCall, PermissionDecision } from './permission-call';
import type { ModelResource, PermissionModel } from './permission-model';
import { taskCallPermissions } from './task-call-permissions';
import type { TaskCall } from '../asl/run-state-machine';

/** Options of {@link PermissionLedger.evaluateRun}. */
export interface EvaluateRunOptions {
  /**
   * Which passed roles' service-side calls to evaluate (a job's role reading
   * its inputs, a model's role loading its artifact): e.g. only the roles the
   * construct under test creates, not one a test fixture made bare.
   * @default every role of the templates
   */
  readonly serviceRoles?: (role: ModelResource) => boolean;
}

/**
 * Collects the decisions of one test file (one package) and prints what was
 * proven: calls evaluated, distinct (role, action) pairs, and the calls that
 * could not be mapped to IAM.
 */
export class PermissionLedger {
  public readonly decisions: PermissionDecision[] = [];
  public readonly unmapped: string[] = [];

  constructor(public readonly name: string) {}

  /** Evaluates calls against the model and keeps the decisions. */
  public async evaluate(model: PermissionModel, calls: PermissionCall[]): Promise<PermissionDecision[]> {
    const decisions = await model.evaluateAll(calls);
    this.decisions.push(...decisions);
    return decisions;
  }

  /**
   * Maps every Task call of a state machine run to IAM calls of the state
   * machine's role (and the service calls of the roles it passes), evaluates
   * them and keeps the decisions; unmapped integrations are listed.
   */
  public async evaluateRun(
    model: PermissionModel,
    run: { readonly calls: readonly TaskCall[] },
    stateMachineRole: string,
    options: EvaluateRunOptions = {},
  ): Promise<PermissionDecision[]> {
    const calls: PermissionCall[] = [];
    const serviceRole = options.serviceRoles ?? (() => true);
    run.calls.forEach((call) => {
      const mapped = taskCallPermissions(model, call, stateMachineRole, run.calls);
      if (mapped.unmapped) this.unmapped.push(mapped.unmapped);
      calls.push(...mapped.calls, ...mapped.serviceCalls.filter((c) => serviceRole(model.role(c.principal))));
    });
    return this.evaluate(model, calls);
  }

  /**
   * Maps every request the SDK sent through a recorder to IAM calls of the
   * function's role, evaluates them and keeps the decisions; unknown
   * operations are listed.
   */
  public async evaluateRequests(
    model: PermissionModel, requests: readonly RecordedAwsRequest[], functionRole: string, names: Record<string, string> = {},
  ): Promise<PermissionDecision[]> {
    const calls: PermissionCall[] = [];
    for (const request of requests) {
      const mapped = awsRequestPermissions(model, request, functionRole, names);
      if (mapped.unmapped) this.unmapped.push(mapped.unmapped);
      calls.push(...mapped.calls);
    }
    return this.evaluate(model, calls);
  }

  /** Every decision kept, with the calls services make on the callers' behalf. */
  public get all(): PermissionDecision[] {
    return flattenDecisions(this.decisions);
  }

  /** The denials so far, one block each (empty when none). */
  public denials(): string {
    return formatDenials(this.decisions);
  }

  /** The distinct (role, action) pairs evaluated, sorted. */
  public pairs(): string[] {
    return [...new Set(this.all.map((d) => `${d.principalArn.split('/').pop()} ${d.call.action}`))].sort();
  }

  /** One summary paragraph, for the test output and the README figures. */
  public summary(): string {
    const all = this.all;
    const denied = all.filter((d) => !d.allowed).length;
    const unmapped = [...new Set(this.unmapped)];
    return `[permissions] ${this.name}: ${all.length} calls evaluated (${all.length - this.decisions.length} implied), `
      + `${this.pairs().length} distinct (role, action) pairs, ${denied} denied, unmapped: ${unmapped.length === 0 ? 'none' : unmapped.join('; ')}`;
  }
}
