import { datasetOf, Estimate, LineItem, stageOf, totals } from './estimate';
import { LoadProfile } from './load-profile';
import { describeOver } from './stage-traits';

/** The goal per dataset at the seed's load (issue 15). */
export const GOAL = { load: 75, idle: 25 };

const CATEGORY: Array<[RegExp, string]> = [
  [/Kinesis::|KinesisFirehose|IoT::/, 'ingest'],
  [/Glue::|Batch::/, 'ETL / queries'],
  [/Redshift/, 'warehouse'],
  [/SageMaker::Endpoint|ApiGateway/, 'serving'],
  [/StepFunctions|Scheduler/, 'workflows and training'],
  [/Lambda::/, 'functions'],
  [/S3::|Logs::/, 'storage and logs'],
  [/KMS::|CloudWatch::|SecretsManager/, 'keys and monitoring'],
  [/CodePipeline|CodeBuild/, 'CI/CD'],
];

/** The cost category of a resource type, for the side-by-side table. */
export function categoryOf(type: string): string {
  return CATEGORY.find(([re]) => re.test(type))?.[1] ?? 'other';
}

export function usd(value: number): string {
  return `$${value.toFixed(2)}`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

function lpad(text: string, width: number): string {
  return text.length >= width ? text : ' '.repeat(width - text.length) + text;
}

function describeLoad(load: LoadProfile): string {
  return [
    `${load.recordsPerSecond} record/s of ${load.recordBytes} B into each stream`,
    `${load.predictionsPerMonth.toLocaleString('en-US')} predictions/month through each API`,
    load.retrainsPerDay === null ? 'retraining as scheduled' : `${load.retrainsPerDay} retrain/day per workflow`,
    `${load.pushesPerMonth} pushes/month`,
    `storage of month ${load.storageMonth}`,
  ].join(', ');
}

/**
 * The whole report: per stack, per construct resource by resource (unless `constructs` is
 * false: the README's sample), per dataset, and the seed comparison.
 */
export function renderReport(result: Estimate, seed?: Estimate, options: { constructs?: boolean } = {}): string {
  const out: string[] = [];
  out.push(`Monthly cost estimate: ${result.region} list prices as read on ${result.pricingDate} (tools/cost/pricing/${result.region}.json)`);
  out.push(`At load: ${describeLoad(result.load)}.`);
  out.push('Idle: the same stacks with no traffic; schedules still run.');
  out.push('');
  out.push(renderStacks(result.items));
  out.push('');
  if (options.constructs !== false) {
    for (const stack of [...new Set(result.items.map((i) => i.stack))]) out.push(renderStack(result.items.filter((i) => i.stack === stack)));
  }
  out.push(renderDatasets(result));
  if (seed) {
    out.push('');
    out.push(renderSeedComparison(result, seed));
  }
  return out.join('\n');
}

function renderStacks(items: LineItem[]): string {
  const rows = [...totals(items, (i) => `${i.stack} (${i.stackName})`)];
  const width = Math.max(30, ...rows.map(([name]) => name.length)) + 2;
  const lines = [`${pad('Per stack', width)}${lpad('idle', 11)}${lpad('at load', 11)}`];
  for (const [name, t] of rows) lines.push(`${pad(`  ${name}`, width)}${lpad(usd(t.idle), 11)}${lpad(usd(t.load), 11)}${t.unpriced ? `  (${t.unpriced} unpriced)` : ''}`);
  const all = [...totals(items, () => 'all')][0]?.[1] ?? { idle: 0, load: 0, unpriced: 0 };
  lines.push(`${pad('  Total', width)}${lpad(usd(all.idle), 11)}${lpad(usd(all.load), 11)}`);
  return lines.join('\n');
}

function renderStack(items: LineItem[]): string {
  const t = [...totals(items, () => 'x')][0][1];
  const lines = [`== ${items[0].stack} (${items[0].stackName}): idle ${usd(t.idle)}, at load ${usd(t.load)}`];
  for (const [construct, ct] of totals(items, (i) => i.construct)) {
    const own = items.filter((i) => i.construct === construct);
    lines.push(`  ${construct}: idle ${usd(ct.idle)}, at load ${usd(ct.load)}`);
    for (const item of own.filter((i) => i.status !== 'free')) {
      const where = item.path.startsWith(`${item.stack}/${construct}/`) ? item.path.slice(item.stack.length + construct.length + 2) : item.logicalId;
      const status = item.status === 'unpriced' ? `${pad('   UNPRICED', 21)}` : `${lpad(usd(item.idle), 10)} ${lpad(usd(item.load), 10)}`;
      lines.push(`    ${status}  ${item.type} ${where}${item.status === 'partial' ? ' (PARTLY PRICED)' : ''}`);
      lines.push(`${' '.repeat(28)}${item.detail}`);
    }
    const free = own.filter((i) => i.status === 'free');
    if (free.length > 0) lines.push(`    ${free.length} free: ${[...new Set(free.map((i) => i.type.replace(/^AWS::/, '')))].join(', ')}`);
  }
  lines.push('');
  return lines.join('\n');
}

function renderDatasets(result: Estimate): string {
  const lines: string[] = [];
  const dataset = datasetOf(result.items, result.load.datasets);
  for (const stage of [...new Set(result.items.map(stageOf))]) {
    const items = result.items.filter((i) => stageOf(i) === stage);
    if (!items.some((i) => dataset(i) !== 'shared')) continue;
    lines.push(`Per dataset, stage ${stage} (goal: idle <= ${usd(GOAL.idle)}, at load <= ${usd(GOAL.load)})`);
    lines.push(`  ${pad('', 30)}${lpad('idle', 9)}${lpad('at load', 11)}`);
    for (const [name, t] of totals(items, dataset)) {
      const verdict = name === 'shared' ? '' : `${t.idle <= GOAL.idle ? 'idle ok' : 'idle OVER'}, ${t.load <= GOAL.load ? 'load ok' : 'load OVER'}`;
      lines.push(`  ${pad(name, 30)}${lpad(usd(t.idle), 9)}${lpad(usd(t.load), 11)}   ${verdict}`.trimEnd());
    }
    lines.push('');
  }
  return lines.join('\n');
}

/**
 * The seed's stack beside each dataset of every stage that has datasets (the first stage's
 * columns first), category by category; then what each later stage buys over the first and
 * what it costs more per dataset.
 */
export function renderSeedComparison(result: Estimate, seed: Estimate): string {
  const dataset = datasetOf(result.items, result.load.datasets);
  const stages = [...new Set(result.items.map(stageOf))].filter((s) => result.items.some((i) => stageOf(i) === s && dataset(i) !== 'shared'));
  const short = (stage: string) => stage.split('/').pop() ?? stage;
  const columns = stages.flatMap((stage) => {
    const items = result.items.filter((i) => stageOf(i) === stage);
    return [...new Set(items.map(dataset))].filter((n) => n !== 'shared').map((name) => ({ stage, name, items: items.filter((i) => dataset(i) === name) }));
  });
  const costly = [...columns.flatMap((c) => c.items), ...seed.items].filter((i) => i.load >= 0.005 || i.idle >= 0.005);
  const categories = CATEGORY.map(([, name]) => name).concat('other').filter((name) => costly.some((i) => categoryOf(i.type) === name));
  const lines = [
    `The seed's stack beside Freshet's per dataset, ${stages.map(short).join(' and ')}, at the same load (idle / at load)`,
    `  ${pad('', 26)}${columns.map((c) => lpad(`${short(c.stage)} ${c.name}`, 22)).join('')}${lpad('seed', 22)}`,
  ];
  const sums = (list: LineItem[]) => ({ idle: list.reduce((s, i) => s + i.idle, 0), load: list.reduce((s, i) => s + i.load, 0) });
  const cell = (list: LineItem[]) => {
    const { idle, load } = sums(list);
    return lpad(`${usd(idle)} / ${usd(load)}`, 22);
  };
  for (const category of [...categories, 'total']) {
    const match = (i: LineItem) => category === 'total' || categoryOf(i.type) === category;
    lines.push(`  ${pad(category, 26)}${columns.map((c) => cell(c.items.filter(match))).join('')}${cell(seed.items.filter(match))}`);
  }
  const [first, ...later] = stages;
  for (const stage of later) {
    const traits = result.traits[stage];
    const baseTraits = result.traits[first];
    lines.push('');
    if (traits && baseTraits) lines.push(describeOver(short(stage), traits, short(first), baseTraits));
    const extra = columns.filter((c) => c.stage === stage).map((c) => {
      const base = columns.find((b) => b.stage === first && b.name === c.name);
      const [mine, theirs] = [sums(c.items), sums(base?.items ?? [])];
      return `${c.name} ${signed(mine.idle - theirs.idle)} idle / ${signed(mine.load - theirs.load)} at load`;
    });
    lines.push(`${short(stage)} over ${short(first)} per dataset: ${extra.join('; ')}.`);
  }
  return lines.join('\n');
}

function signed(value: number): string {
  return `${value < 0 ? '-' : '+'}${usd(Math.abs(value))}`;
}
