/** The parts of an Amazon States Language definition the picture reads. */
export interface AslMachine {
  readonly StartAt: string;
  readonly States: Record<string, { readonly Type: string; readonly [key: string]: any }>;
}

/** How a state is drawn. */
export type NodeKind = 'Task' | 'Choice' | 'Wait' | 'Pass' | 'Succeed' | 'Fail' | 'Map' | 'Parallel' | 'Start';

/** One box: a top-level state, or the start marker. */
export interface WorkflowNode {
  readonly id: string;
  readonly kind: NodeKind;
  readonly title: string;
  /** Smaller lines under the title: the service action of a Task, the inner states of a Map or Parallel. */
  readonly details: string[];
  /** States this one's Catch leads to that are drawn as a note in the box rather than as arrows (see {@link GraphOptions}). */
  readonly catchNotes: string[];
}

export interface GraphOptions {
  /**
   * A Catch target that this many states or more lead to (a shared failure
   * handler) gets no arrows: each catching state notes it in its box instead,
   * so one handler does not fan a line out of every task.
   * @default 3
   */
  readonly sharedCatchTargetMinimum?: number;
}

/** Why one state leads to another. */
export type EdgeKind = 'next' | 'choice' | 'default' | 'catch';

/** One arrow between top-level states. */
export interface WorkflowEdge {
  readonly from: string;
  readonly to: string;
  readonly kind: EdgeKind;
  /** A short condition (Choice), `otherwise` (Default), the caught errors (Catch), or empty. */
  readonly label: string;
}

export interface WorkflowGraph {
  readonly nodes: WorkflowNode[];
  readonly edges: WorkflowEdge[];
}

/** The id of the start marker; no ASL state name can begin with a NUL. */
export const START_NODE_ID = '\u0000start';

/** The longest edge label, in characters, before it is cut with an ellipsis. */
const MAX_LABEL = 30;

/**
 * The graph of a state machine's top-level states: one node per state (plus a
 * start marker) and one edge per transition (Next, each Choice rule, Default,
 * each Catch). States inside a Map or Parallel are summarized in its node.
 * Nodes come in the order a walk from StartAt first reaches them, then any
 * unreachable states in name order, so the same definition always gives the
 * same graph.
 */
export function workflowGraph(definition: AslMachine, options: GraphOptions = {}): WorkflowGraph {
  const order = walkOrder(definition);
  const minimum = options.sharedCatchTargetMinimum ?? 3;
  const catchers = new Map<string, Set<string>>();
  for (const name of order) {
    for (const edge of transitions(name, definition.States[name]).filter((e) => e.kind === 'catch')) {
      catchers.set(edge.to, (catchers.get(edge.to) ?? new Set()).add(name));
    }
  }
  const shared = (target: string) => (catchers.get(target)?.size ?? 0) >= minimum;
  const nodes: WorkflowNode[] = [{ id: START_NODE_ID, kind: 'Start', title: 'Start', details: [], catchNotes: [] }];
  const edges: WorkflowEdge[] = [{ from: START_NODE_ID, to: definition.StartAt, kind: 'next', label: '' }];
  for (const name of order) {
    const state = definition.States[name];
    const out = transitions(name, state);
    const notes = [...new Set(out.filter((e) => e.kind === 'catch' && shared(e.to)).map((e) => e.to))];
    nodes.push({ id: name, kind: nodeKind(state.Type), title: name, details: details(state), catchNotes: notes });
    edges.push(...out.filter((e) => !(e.kind === 'catch' && shared(e.to))));
  }
  return { nodes, edges };
}

/** Every transition out of one state, in definition order. */
export function transitions(name: string, state: AslMachine['States'][string]): WorkflowEdge[] {
  const out: WorkflowEdge[] = [];
  for (const rule of state.Choices ?? []) {
    out.push({ from: name, to: rule.Next, kind: 'choice', label: shorten(conditionLabel(rule)) });
  }
  if (state.Default) out.push({ from: name, to: state.Default, kind: 'default', label: 'otherwise' });
  if (state.Next) out.push({ from: name, to: state.Next, kind: 'next', label: '' });
  for (const catcher of state.Catch ?? []) {
    out.push({ from: name, to: catcher.Next, kind: 'catch', label: shorten(errorLabel(catcher.ErrorEquals ?? [])) });
  }
  return out;
}

function walkOrder(definition: AslMachine): string[] {
  const seen = new Set<string>();
  const order: string[] = [];
  const queue = [definition.StartAt];
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (seen.has(name) || !(name in definition.States)) continue;
    seen.add(name);
    order.push(name);
    queue.push(...transitions(name, definition.States[name]).map((e) => e.to));
  }
  const unreachable = Object.keys(definition.States).filter((n) => !seen.has(n)).sort();
  return [...order, ...unreachable];
}

function nodeKind(type: string): NodeKind {
  switch (type) {
    case 'Task': case 'Choice': case 'Wait': case 'Pass': case 'Succeed': case 'Fail': case 'Map': case 'Parallel':
      return type;
    default:
      throw new Error(`Unknown ASL state type ${type}.`);
  }
}

function details(state: AslMachine['States'][string]): string[] {
  switch (state.Type) {
    case 'Task': return [taskAction(String(state.Resource ?? ''))];
    case 'Wait': return [waitLabel(state)];
    case 'Map': {
      const processor = state.ItemProcessor ?? state.Iterator;
      return [`for each item: ${innerStates(processor).join(' → ')}`].map(shortenDetail);
    }
    case 'Parallel':
      return (state.Branches ?? []).map((branch: AslMachine, i: number) => shortenDetail(`branch ${i + 1}: ${innerStates(branch).join(' → ')}`));
    case 'Fail': return state.Error ? [String(state.Error)] : [];
    default: return [];
  }
}

function innerStates(machine: AslMachine | undefined): string[] {
  return machine ? walkOrder(machine) : [];
}

/** `arn:aws:states:::sagemaker:createTrainingJob.sync` → `sagemaker:createTrainingJob.sync`; SDK integrations drop `aws-sdk:`. */
export function taskAction(resource: string): string {
  const integration = /^arn:[^:]+:states:::(.+)$/.exec(resource);
  if (integration) return integration[1].replace(/^aws-sdk:/, '');
  if (/^arn:[^:]+:lambda:/.test(resource)) return 'lambda:invoke';
  return resource.split(':').slice(-2).join(':');
}

function waitLabel(state: AslMachine['States'][string]): string {
  if (typeof state.Seconds === 'number') return `wait ${formatDuration(state.Seconds)}`;
  if (state.SecondsPath) return `wait ${lastSegment(state.SecondsPath)} s`;
  if (state.Timestamp || state.TimestampPath) return 'wait until a time';
  return 'wait';
}

function formatDuration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

const OPERATORS: Record<string, string> = {
  StringEquals: '=',
  NumericEquals: '=',
  BooleanEquals: '=',
  TimestampEquals: '=',
  StringLessThan: '<',
  NumericLessThan: '<',
  TimestampLessThan: '<',
  StringGreaterThan: '>',
  NumericGreaterThan: '>',
  TimestampGreaterThan: '>',
  StringLessThanEquals: '≤',
  NumericLessThanEquals: '≤',
  TimestampLessThanEquals: '≤',
  StringGreaterThanEquals: '≥',
  NumericGreaterThanEquals: '≥',
  TimestampGreaterThanEquals: '≥',
  StringMatches: '~',
};

/** A short, human reading of one Choice rule: `passed = true`, `status = InService and …`. */
export function conditionLabel(rule: Record<string, any>): string {
  if (Array.isArray(rule.And)) return rule.And.map(conditionLabel).join(' and ');
  if (Array.isArray(rule.Or)) return rule.Or.map(conditionLabel).join(' or ');
  if (rule.Not) return `not (${conditionLabel(rule.Not)})`;
  const variable = lastSegment(String(rule.Variable ?? '?'));
  for (const key of Object.keys(rule).sort()) {
    if (key === 'Variable' || key === 'Next') continue;
    if (key === 'IsPresent') return `${variable} ${rule[key] ? 'present' : 'absent'}`;
    if (key === 'IsNull') return `${variable} ${rule[key] ? 'is null' : 'not null'}`;
    if (key.startsWith('Is')) return `${variable} ${rule[key] ? 'is' : 'is not'} ${key.slice(2).toLowerCase()}`;
    const isPath = key.endsWith('Path');
    const operator = OPERATORS[isPath ? key.slice(0, -4) : key];
    if (operator) return `${variable} ${operator} ${isPath ? lastSegment(String(rule[key])) : formatValue(rule[key])}`;
  }
  return variable;
}

function errorLabel(errors: string[]): string {
  if (errors.includes('States.ALL')) return 'any error';
  return errors.map((e) => e.replace(/^States\./, '')).join(', ');
}

function formatValue(value: unknown): string {
  // An empty string would read as a missing value: show it quoted.
  return typeof value === 'string' && value !== '' ? value : JSON.stringify(value);
}

function lastSegment(path: string): string {
  const parts = path.replace(/^\$+\.?/, '').split('.').filter((p) => p.length > 0);
  return parts.length > 0 ? parts[parts.length - 1] : path;
}

function shorten(text: string): string {
  return text.length <= MAX_LABEL ? text : `${text.slice(0, MAX_LABEL - 1)}…`;
}

function shortenDetail(text: string): string {
  return text.length <= 60 ? text : `${text.slice(0, 59)}…`;
}
