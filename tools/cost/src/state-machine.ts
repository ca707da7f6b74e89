import { flatten, Flattened } from './intrinsics';

/** One state on a workflow's happy path, with the service call it makes. */
export interface PathState {
  readonly name: string;
  readonly type: string;
  /** The Task's resource, e.g. `arn:<ref:AWS::Partition>:states:::sagemaker:createTrainingJob.sync`. */
  readonly resource: string;
  readonly parameters: Record<string, any>;
  /** The state as text, to find the resources it refers to. */
  readonly flat: Flattened;
}

/** A synthesized state machine read from its DefinitionString. */
export interface Workflow {
  readonly type: 'STANDARD' | 'EXPRESS';
  /** States entered by one successful run, parallel branches included. */
  readonly happyPath: PathState[];
  /**
   * The shortest successful run: what a run that finds nothing to do takes (a drift
   * workflow whose window holds no capture goes from its planner to "Nothing to compare").
   */
  readonly quietPath: PathState[];
  /** Every state of the definition, branches included, on the happy path or not. */
  readonly allStates: PathState[];
  /** State transitions billed for one successful run. */
  readonly transitionsPerRun: number;
  readonly definition: Flattened;
  /** Set when the load makes runs take the quiet path, with why. */
  readonly quiet?: string;
}

interface Asl {
  readonly StartAt: string;
  readonly States: Record<string, any>;
}

/** Parses a state machine's definition (a string or an Fn::Join of one). */
export function readWorkflow(properties: Record<string, any>): Workflow {
  const source = properties.DefinitionString ?? properties.Definition;
  if (source === undefined) throw new Error('the state machine has no DefinitionString (DefinitionS3Location is not read)');
  const definition = flatten(source);
  const asl = (typeof source === 'object' && !('Fn::Join' in source) && 'StartAt' in source ? source : JSON.parse(definition.text)) as Asl;
  const happyPath = pathOf(asl);
  return {
    type: properties.StateMachineType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
    happyPath,
    quietPath: pathOf(asl, 'shortest'),
    allStates: statesOf(asl),
    transitionsPerRun: happyPath.length,
    definition,
  };
}

/**
 * The happy path: the longest run from StartAt to a Succeed state or an End
 * that visits no state twice and never takes a Catch. Longest, because the
 * branches a workflow skips on success (an existing champion, a superseded
 * config to delete) cost more when taken: the estimate is an upper bound of a
 * successful run. Polling loops are counted once around.
 */
function pathOf(asl: Asl, pick: 'longest' | 'shortest' = 'longest'): PathState[] {
  const best = longest(asl, asl.StartAt, new Set(), pick);
  if (!best) throw new Error(`no path from ${asl.StartAt} reaches a Succeed state or an End`);
  const states: PathState[] = [];
  for (const name of best) {
    const state = asl.States[name];
    states.push(toPathState(name, state));
    if (state.Type === 'Parallel') {
      for (const branch of state.Branches ?? []) states.push(...pathOf(branch, pick));
    } else if (state.Type === 'Map') {
      const iterator = state.ItemProcessor ?? state.Iterator;
      if (iterator) states.push(...pathOf(iterator, pick));
    }
  }
  return states;
}

function statesOf(asl: Asl): PathState[] {
  const states: PathState[] = [];
  for (const [name, state] of Object.entries(asl.States)) {
    states.push(toPathState(name, state));
    for (const branch of state.Branches ?? []) states.push(...statesOf(branch));
    const iterator = state.ItemProcessor ?? state.Iterator;
    if (iterator) states.push(...statesOf(iterator));
  }
  return states;
}

function longest(asl: Asl, name: string, seen: Set<string>, pick: 'longest' | 'shortest'): string[] | undefined {
  const state = asl.States[name];
  if (!state || seen.has(name) || state.Type === 'Fail') return undefined;
  if (state.Type === 'Succeed' || state.End === true) return [name];
  const next: string[] = state.Type === 'Choice'
    ? [...(state.Choices ?? []).map((c: { Next: string }) => c.Next), ...(state.Default ? [state.Default] : [])]
    : [state.Next];
  seen.add(name);
  let best: string[] | undefined;
  // The quiet path prefers a Choice's Default on a tie: the branch a run with nothing to do falls to.
  for (const candidate of pick === 'shortest' ? [...next].reverse() : next) {
    const tail = longest(asl, candidate, seen, pick);
    if (tail && (!best || (pick === 'longest' ? tail.length > best.length : tail.length < best.length))) best = tail;
  }
  seen.delete(name);
  return best ? [name, ...best] : undefined;
}

function toPathState(name: string, state: any): PathState {
  return {
    name,
    type: String(state.Type),
    resource: String(state.Resource ?? ''),
    parameters: state.Parameters ?? state.Arguments ?? {},
    flat: { text: JSON.stringify(state), refs: tokensIn(JSON.stringify(state)) },
  };
}

/** The `<ref:Id>` tokens of a flattened state, as logical ids and export names. */
export function tokensIn(text: string): string[] {
  return [...text.matchAll(/<ref:([^>]+)>/g)].map((m) => m[1]);
}
