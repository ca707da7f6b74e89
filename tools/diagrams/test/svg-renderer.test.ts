import { renderWorkflowSvg } from '../src/svg-renderer';
import { AslMachine, conditionLabel, taskAction, workflowGraph } from '../src/workflow-graph';

const definition: AslMachine = {
  StartAt: 'Train',
  States: {
    Train: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync',
      Next: 'Gate',
      Catch: [{ ErrorEquals: ['States.ALL'], Next: 'NotifyFailure' }],
    },
    Gate: {
      Type: 'Choice',
      Choices: [{ And: [{ Variable: '$.gate.passesThreshold', BooleanEquals: true }, { Variable: '$.gate.beatsChampion', BooleanEquals: true }], Next: 'Deploy' }],
      Default: 'Rejected',
    },
    Deploy: {
      Type: 'Map',
      ItemsPath: '$.configs',
      ItemProcessor: { StartAt: 'DeleteConfig', States: { DeleteConfig: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:sagemaker:deleteEndpointConfig', End: true } } },
      Next: 'Pause',
    },
    Pause: { Type: 'Wait', Seconds: 120, Next: 'Done' },
    Done: { Type: 'Succeed' },
    Rejected: { Type: 'Pass', Next: 'Done' },
    NotifyFailure: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish', Next: 'Failed' },
    Failed: { Type: 'Fail', Error: 'RetrainFailed' },
    Orphan: { Type: 'Pass', End: true },
  },
};

describe('workflowGraph', () => {
  test('has a node per top-level state, in walk order then unreachable by name, and summarizes a Map', () => {
    const graph = workflowGraph(definition);
    expect(graph.nodes.map((n) => n.title)).toEqual(['Start', 'Train', 'Gate', 'NotifyFailure', 'Deploy', 'Rejected', 'Failed', 'Pause', 'Done', 'Orphan']);
    expect(graph.nodes.find((n) => n.id === 'Deploy')!.details).toEqual(['for each item: DeleteConfig']);
    expect(graph.nodes.find((n) => n.id === 'Train')!.details).toEqual(['sagemaker:createTrainingJob.sync']);
    expect(graph.nodes.find((n) => n.id === 'Pause')!.details).toEqual(['wait 2 min']);
  });

  test('has an edge per transition: Next, each Choice rule with its condition, Default, each Catch', () => {
    const edges = workflowGraph(definition).edges.map((e) => `${e.from}->${e.to}:${e.kind}:${e.label}`);
    expect(edges).toEqual([
      '\u0000start->Train:next:',
      'Train->Gate:next:',
      'Train->NotifyFailure:catch:any error',
      'Gate->Deploy:choice:passesThreshold = true and be…',
      'Gate->Rejected:default:otherwise',
      'NotifyFailure->Failed:next:',
      'Deploy->Pause:next:',
      'Rejected->Done:next:',
      'Pause->Done:next:',
    ]);
  });

  test('a Catch target shared by many states becomes a note in each catching box instead of arrows', () => {
    const many: AslMachine = {
      StartAt: 'A',
      States: {
        'A': { Type: 'Task', Resource: 'arn:aws:states:::sns:publish', Next: 'B', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failure' }] },
        'B': { Type: 'Task', Resource: 'arn:aws:states:::sns:publish', Next: 'C', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Failure' }] },
        'C': { Type: 'Task', Resource: 'arn:aws:states:::sns:publish', End: true, Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'Retry later' }, { ErrorEquals: ['States.ALL'], Next: 'Failure' }] },
        'Retry later': { Type: 'Succeed' },
        'Failure': { Type: 'Fail' },
      },
    };
    const graph = workflowGraph(many);
    expect(graph.edges.filter((e) => e.kind === 'catch').map((e) => `${e.from}->${e.to}:${e.label}`)).toEqual(['C->Retry later:Timeout']);
    expect(graph.nodes.filter((n) => n.catchNotes.length > 0).map((n) => [n.id, n.catchNotes])).toEqual([['A', ['Failure']], ['B', ['Failure']], ['C', ['Failure']]]);
    expect(workflowGraph(many, { sharedCatchTargetMinimum: 4 }).edges.filter((e) => e.kind === 'catch')).toHaveLength(4);
    const svg = renderWorkflowSvg(many);
    expect(svg.match(/<text class="catch-note" data-to="Failure"[^>]*>on error → Failure<\/text>/g)).toHaveLength(3);
    expect(svg).not.toContain('data-from="A" data-to="Failure"');
  });

  test('condition and action labels are short readings of the ASL', () => {
    expect(conditionLabel({ Variable: '$.endpoint.EndpointStatus', StringEquals: 'InService' })).toBe('EndpointStatus = InService');
    expect(conditionLabel({ Variable: '$.input.dataUri', StringEquals: '' })).toBe('dataUri = ""');
    expect(conditionLabel({ Variable: '$.metric', NumericGreaterThanEqualsPath: '$.threshold' })).toBe('metric ≥ threshold');
    expect(conditionLabel({ Not: { Variable: '$.champion', IsPresent: true } })).toBe('not (champion present)');
    expect(conditionLabel({ Or: [{ Variable: '$.a', NumericLessThan: 1 }, { Variable: '$.b', IsNull: true }] })).toBe('a < 1 or b is null');
    expect(taskAction('arn:aws:states:::aws-sdk:s3:getObject')).toBe('s3:getObject');
    expect(taskAction('arn:aws:lambda:us-east-1:123456789012:function:Guard')).toBe('lambda:invoke');
  });
});

describe('renderWorkflowSvg', () => {
  const svg = renderWorkflowSvg(definition, { title: 'Retrain <test>' });

  test('draws every state once, with its type', () => {
    for (const [name, state] of Object.entries(definition.States)) {
      const groups = svg.match(new RegExp(`<g class="state state-${state.Type.toLowerCase()}" data-state="${name}">`, 'g')) ?? [];
      expect({ name, count: groups.length }).toEqual({ name, count: 1 });
    }
    // Inner states of a Map are summarized, not drawn as boxes.
    expect(svg).not.toContain('data-state="DeleteConfig"');
  });

  test('draws one arrow per transition, catch arrows dashed, condition labels as text', () => {
    const arrows = [...svg.matchAll(/<g class="edge edge-(\w+)" data-from="([^"]*)" data-to="([^"]*)">/g)].map((m) => `${m[2]}->${m[3]}:${m[1]}`);
    expect(arrows.sort()).toEqual(workflowGraph(definition).edges.map((e) => `${e.from.replace('\u0000start', '')}->${e.to}:${e.kind}`).sort());
    expect(svg).toMatch(/<g class="edge edge-catch" data-from="Train" data-to="NotifyFailure"><path d="[^"]+" fill="none" stroke="#b91c1c" stroke-width="1" stroke-dasharray="5 4"/);
    expect(svg).toContain('>passesThreshold = true and be…</text>');
    expect(svg).toContain('>otherwise</text>');
  });

  test('escapes text and writes numbers with at most one decimal', () => {
    expect(svg).toContain('>Retrain &lt;test&gt;</text>');
    const numbers = svg.match(/-?\d+\.\d+/g) ?? [];
    expect(numbers.filter((n) => n.split('.')[1].length > 1)).toEqual([]);
  });

  test('is deterministic: the same definition renders the same bytes, whatever the key order of its states', () => {
    const reordered: AslMachine = { StartAt: definition.StartAt, States: Object.fromEntries(Object.entries(definition.States).reverse()) };
    expect(renderWorkflowSvg(definition, { title: 'Retrain <test>' })).toBe(svg);
    expect(renderWorkflowSvg(reordered, { title: 'Retrain <test>' })).toBe(svg);
  });

  test('is well-formed XML with a size that fits its content', () => {
    const size = /<svg [^>]*width="([\d.]+)" height="([\d.]+)"/.exec(svg)!;
    expect(Number(size[1])).toBeGreaterThan(0);
    const rects = [...svg.matchAll(/<rect x="(-?[\d.]+)" y="(-?[\d.]+)" width="([\d.]+)"/g)];
    for (const r of rects) expect(Number(r[1]) + Number(r[3])).toBeLessThanOrEqual(Number(size[1]) + 4);
    // Every opened group is closed.
    expect((svg.match(/<g[ >]/g) ?? []).length).toBe((svg.match(/<\/g>/g) ?? []).length);
  });
});
