/** One AWS API call to authorize: who makes it, the IAM action, the resource and the request's context keys. */
export interface PermissionCall {
  /**
   * Who calls: an IAM role (its logical id, its construct path, or its ARN
   * as the harness resolves it), or a service principal such as
   * `scheduler.amazonaws.com` (then only resource policies can allow it).
   */
  readonly principal: string;
  /** The IAM action, e.g. `s3:GetObject`. */
  readonly action: string;
  /** The resource ARN, or `*` for actions that take no resource. */
  readonly resource: string;
  /** Request context keys beyond the ones the harness sets (aws:SecureTransport, aws:PrincipalArn, ...). */
  readonly context?: Record<string, string | string[]>;
  /** Where the call comes from (a state, a handler's SDK request), for messages. */
  readonly source?: string;
}

/**
 * A context value the harness replaces with the caller's `aws:userid`
 * (`<role id>:<session>`): for keys such as
 * `redshift-data:statement-owner-iam-userid` on the caller's own statements.
 */
export const OWN_USER_ID = '${harness:own-userid}';

/** The decision on one call. */
export interface PermissionDecision {
  readonly call: PermissionCall;
  /** The role ARN (or the service principal) the call was evaluated as. */
  readonly principalArn: string;
  readonly allowed: boolean;
  readonly result: 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied' | 'Error';
  /** Which statements allowed or denied it, or why no statement applied. */
  readonly reason: string;
  /** Calls a service makes on the caller's behalf (KMS through S3, Kinesis, SNS, ...), each decided too. */
  readonly implied: PermissionDecision[];
}

/** The one-line form of a call, as failure messages print it. */
export function describeCall(call: PermissionCall): string {
  const context = call.context && Object.keys(call.context).length > 0 ? ` ${JSON.stringify(call.context)}` : '';
  return `${call.action} on ${call.resource}${context}${call.source ? ` (from ${call.source})` : ''}`;
}

/** Every decision of a list, implied ones included, flattened. */
export function flattenDecisions(decisions: PermissionDecision[]): PermissionDecision[] {
  return decisions.flatMap((d) => [d, ...flattenDecisions(d.implied)]);
}

/**
 * The failure message for denied calls: one block per denial with the call,
 * the role and the reason.
 */
export function formatDenials(decisions: PermissionDecision[]): string {
  return flattenDecisions(decisions)
    .filter((d) => !d.allowed)
    .map((d) => `DENIED ${describeCall(d.call)}\n  role:   ${d.principalArn}\n  reason: ${d.reason}`)
    .join('\n');
}
