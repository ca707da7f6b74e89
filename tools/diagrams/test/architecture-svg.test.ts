import * as fs from 'node:fs';
import { readAssembly, stackFromTemplate } from '@freshet/cost';
import { architectureGraph } from '../src/architecture-graph';
import { renderArchitectureSvg } from '../src/architecture-svg';
import { APP_CDK_OUT, ARCHITECTURE_SVG, renderAppArchitecture } from '../src/main';

/**
 * The app's assembly: Nx runs @freshet/ml-platform:synth before this package's
 * test and render targets (dependsOn in .projenrc.ts); by hand, synthesize first.
 */
function appAssembly() {
  if (!fs.existsSync(`${APP_CDK_OUT}/manifest.json`)) {
    throw new Error(`${APP_CDK_OUT} has no manifest.json: run npx nx run @freshet/ml-platform:synth first (the Nx test target does).`);
  }
  return readAssembly(APP_CDK_OUT);
}

describe('the root README picture of the app (docs/architecture.svg)', () => {
  const current = renderAppArchitecture();

  test('is up to date with the synthesized app (run `npx nx run @freshet/diagrams:render` after changing the app)', () => {
    expect(fs.existsSync(ARCHITECTURE_SVG)).toBe(true);
    expect(fs.readFileSync(ARCHITECTURE_SVG, 'utf-8')).toBe(current);
  });

  test('draws the data path from a device rule to a prediction API, through stream, lake, ETL, training and endpoint', () => {
    const graph = architectureGraph(appAssembly());
    const next = (id: string) => graph.edges.filter((e) => e.from === id).map((e) => e.to);
    const kindOf = (id: string) => graph.nodes.find((n) => n.id === id)!.kind;
    // Every kind met on some walk from an IoT rule to an API.
    const kinds = new Set<string>();
    const walk = (id: string, seen: string[]): boolean => {
      if (kindOf(id) === 'api') {
        seen.forEach((s) => kinds.add(kindOf(s)));
        return true;
      }
      return next(id).filter((n) => !seen.includes(n)).map((n) => walk(n, [...seen, n])).some(Boolean);
    };
    const sources = graph.nodes.filter((n) => n.kind === 'source' && n.title === 'IoT Core rule');
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.every((s) => walk(s.id, [s.id]))).toBe(true);
    expect([...kinds].sort()).toEqual(expect.arrayContaining(['endpoint', 'etl', 'lake', 'source', 'stream', 'workflow']));
    expect(current.match(/<g class="node /g)).toHaveLength(graph.nodes.length);
    expect(current.match(/<path class="flow"/g)).toHaveLength(graph.edges.length);
  });
});

describe('the architecture graph', () => {
  test('a monitor feeds its trigger, which starts the retrain that creates the endpoint it watches', () => {
    const retrain = JSON.stringify({
      StartAt: 'Train',
      States: {
        Train: { Type: 'Task', Resource: 'arn:aws:states:::sagemaker:createTrainingJob.sync', Parameters: {}, Next: 'Config' },
        Config: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:sagemaker:createEndpointConfig', Parameters: { ProductionVariants: [{ ServerlessConfig: { MemorySizeInMB: 2048 } }] }, Next: 'Create' },
        Create: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:sagemaker:createEndpoint', Parameters: { EndpointName: 'models-ep' }, End: true },
      },
    });
    const drift = JSON.stringify({
      StartAt: 'Drift',
      States: { Drift: { Type: 'Task', Resource: 'arn:aws:states:::sagemaker:createProcessingJob.sync', Parameters: { Environment: { ENDPOINT: 'models-ep' } }, End: true } },
    });
    const path = (p: string) => ({ 'aws:cdk:path': `App/Stage/Stack/${p}/Resource` });
    const stack = stackFromTemplate({
      Resources: {
        Retrain: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: retrain }, Metadata: path('Retrain') },
        Drift: { Type: 'AWS::StepFunctions::StateMachine', Properties: { DefinitionString: drift }, Metadata: path('Monitor/Drift') },
        Trigger: { Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: { TARGET: { Ref: 'Retrain' } } } }, Metadata: path('Monitor/Trigger') },
        Alarmed: { Type: 'AWS::Events::Rule', Properties: { EventPattern: { source: ['aws.cloudwatch'] }, Targets: [{ Arn: { 'Fn::GetAtt': ['Trigger', 'Arn'] } }] }, Metadata: path('Monitor/Alarmed') },
      },
    }, 'App/Stage/Stack', 'stage');
    const graph = architectureGraph([stack]);
    const titles = Object.fromEntries(graph.nodes.map((n) => [n.id, n.title]));
    const edges = graph.edges.map((e) => `${titles[e.from]} -> ${titles[e.to]}`).sort();
    expect(edges).toEqual([
      'Drift monitor -> Retrain trigger',
      'Retrain trigger -> Retrain workflow',
      'Retrain workflow -> SageMaker endpoint',
      'SageMaker endpoint -> Drift monitor',
    ]);
    expect(graph.nodes.find((n) => n.kind === 'endpoint')!.details).toContain('serverless');
    // The picture draws every box and arrow once.
    const svg = renderArchitectureSvg(graph);
    expect(svg.match(/<g class="node /g)).toHaveLength(4);
    expect(svg.match(/<path class="flow"/g)).toHaveLength(4);
  });
});
