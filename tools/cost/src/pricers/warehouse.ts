import { AssemblyResource } from '../assembly';
import { PricingContext, round } from '../context';
import { flatten, refersTo } from '../intrinsics';
import { DAYS_PER_MONTH, HOURS_PER_MONTH } from '../load-profile';
import { Charge, charge, price, Unpriced } from './pricer';

const PERIOD_PER_MONTH: Record<string, number> = { daily: DAYS_PER_MONTH, weekly: DAYS_PER_MONTH / 7, monthly: 1 };

/** A workflow's Redshift Data API statements per run, when it names this workgroup. */
function statementsPerRun(workgroup: AssemblyResource, machine: AssemblyResource, context: PricingContext, onlyWorkgroup: boolean): number {
  const workflow = context.workflow(machine);
  if (workflow instanceof Error) return 0;
  const statements = workflow.happyPath.filter((s) => /redshiftdata:(batchE|e)xecuteStatement/.test(s.resource));
  const name = workgroup.properties.WorkgroupName;
  const ours = statements.filter((s) => onlyWorkgroup || refersTo(s.flat, workgroup.logicalId)
    || (typeof name === 'string' && s.flat.text.includes(name)));
  return ours.length;
}

/**
 * Redshift Serverless: each workflow run that issues Data API statements wakes
 * the workgroup at its base capacity for max(60 s, statements x statement time);
 * a serverless-compute usage limit caps the RPU-hours.
 */
export function serverlessWorkgroup(resource: AssemblyResource, context: PricingContext): Charge[] {
  const base = Number(resource.properties.BaseCapacity ?? 128);
  if (!Number.isFinite(base)) throw new Unpriced('BaseCapacity is not a number in the template');
  const onlyWorkgroup = context.stage(resource, resource.type).length === 1;
  let wakeUps = 0;
  let seconds = 0;
  const from: string[] = [];
  for (const machine of context.stage(resource, 'AWS::StepFunctions::StateMachine')) {
    const statements = statementsPerRun(resource, machine, context, onlyWorkgroup);
    if (statements === 0) continue;
    const runs = context.workflowRuns(machine);
    wakeUps += runs;
    seconds += runs * Math.max(60, statements * context.load.redshiftStatementSeconds);
    from.push(`${round(runs)} runs of ${machine.logicalId}`);
  }
  let rpuHours = (base * seconds) / 3600;
  const cap = usageLimitRpuHours(resource, context);
  let capped = '';
  if (cap !== undefined && rpuHours > cap) {
    rpuHours = cap;
    capped = `, capped by the usage limit at ${round(cap)}`;
  }
  return [{
    ...charge(rpuHours, price(context, 'redshift.serverlessRpuHour'), 'RPU-hours'),
    detail: `RPU-hours ${round(rpuHours)} x $${price(context, 'redshift.serverlessRpuHour')} (${round(wakeUps)} wake-ups at ${base} RPU, 60 s minimum each: ${from.join(', ') || 'no workflow issues statements'}${capped})`,
  }];
}

/** The monthly RPU-hour cap of the serverless-compute usage limits on a workgroup (custom resources or AWS::RedshiftServerless resources). */
export function usageLimitRpuHours(workgroup: AssemblyResource, context: PricingContext): number | undefined {
  let cap: number | undefined;
  for (const other of context.stage(workgroup)) {
    const text = flatten(other.properties);
    if (!/CreateUsageLimit|UsageLimit/.test(other.type + text.text) || !refersTo(text, workgroup.logicalId)) continue;
    const amount = /\\?"amount\\?":\s*(\d+(?:\.\d+)?)/.exec(text.text);
    const period = /\\?"period\\?":\s*\\?"(\w+)\\?"/.exec(text.text);
    const usage = /\\?"usageType\\?":\s*\\?"([\w-]+)\\?"/.exec(text.text);
    if (!amount || (usage && usage[1] !== 'serverless-compute')) continue;
    const monthly = Number(amount[1]) * (PERIOD_PER_MONTH[period?.[1] ?? 'monthly'] ?? 1);
    cap = cap === undefined ? monthly : Math.min(cap, monthly);
  }
  return cap;
}

/** Redshift Serverless namespace: managed storage of the loaded rows, and the admin secret Redshift manages. */
export function serverlessNamespace(resource: AssemblyResource, context: PricingContext): Charge[] {
  const gb = (context.load.recordsPerSecond * 3600 * HOURS_PER_MONTH * context.load.recordBytes * context.load.storageMonth)
    / context.load.compressionRatio / 1e9;
  const charges = [charge(gb, price(context, 'redshift.managedStorageGbMonth'), `GB-months stored (month ${context.load.storageMonth})`)];
  if (resource.properties.ManageAdminPassword === true) {
    charges.push(charge(1, price(context, 'secretsmanager.secretMonth'), 'managed admin secret-months'));
  }
  return charges;
}

/** A provisioned Redshift cluster: node-hours of its node type. */
export function provisionedCluster(resource: AssemblyResource, context: PricingContext): Charge[] {
  const p = resource.properties;
  const nodes = p.ClusterType === 'single-node' ? 1 : Number(p.NumberOfNodes ?? 1);
  return [charge(nodes * HOURS_PER_MONTH, price(context, `redshift.node.${p.NodeType}`), `${p.NodeType} node-hours`)];
}
