import { AssemblyResource } from '../assembly';
import { PricingContext, round } from '../context';
import { publishedMetricCharges } from '../custom-metrics';
import { runsPerMonth } from '../schedule';
import { createdEndpointCharges, jobCharges } from './ml';
import { functionTraces } from './observability';
import { Charge, charge, price, Unpriced } from './pricer';

/** Lambda: requests and GB-seconds of the invocations schedules, APIs and workflows make. */
export function lambdaFunction(resource: AssemblyResource, context: PricingContext): Charge[] {
  const invocations = context.functionInvocations(resource);
  const memoryGb = Number(resource.properties.MemorySize ?? 128) / 1024;
  const arm = (resource.properties.Architectures ?? []).includes('arm64');
  const seconds = invocations.count * (context.load.lambdaDurationMs / 1000);
  const from = invocations.from.length > 0 ? ` (${invocations.from.join(', ')})` : ' (no schedule, API or workflow invokes it: deploy-time or event-driven)';
  return [
    { ...charge(invocations.count / 1e6, price(context, 'lambda.requestMillion'), 'M requests'), detail: `M requests ${round(invocations.count / 1e6)} x $${price(context, 'lambda.requestMillion')}${from}` },
    charge(seconds * memoryGb, price(context, arm ? 'lambda.gbSecondArm' : 'lambda.gbSecond'), `GB-seconds (${memoryGb * 1024} MB x ${context.load.lambdaDurationMs} ms)`),
    // A traced API's request and the function's segment are one trace, recorded by the API's sampling.
    ...functionTraces(resource, invocations.count - invocations.viaTracedApi, context),
    ...publishedMetricCharges(resource, context),
  ];
}

/** Step Functions: transitions of the happy path per run, plus the SageMaker jobs and endpoints the runs start. */
export function stateMachine(resource: AssemblyResource, context: PricingContext): Charge[] {
  const workflow = context.workflow(resource);
  if (workflow instanceof Error) throw new Unpriced(`its definition cannot be read: ${workflow.message}`);
  const runs = context.workflowRuns(resource);
  const charges: Charge[] = [];
  if (workflow.type === 'STANDARD') {
    const transitions = runs * workflow.transitionsPerRun;
    charges.push({
      ...charge(transitions / 1000, price(context, 'stepfunctions.standardTransitionThousand'), 'thousand transitions'),
      detail: `thousand transitions ${round(transitions / 1000)} (${round(runs)} runs x ${workflow.transitionsPerRun} states on the ${workflow.quiet ? `quiet path: ${workflow.quiet}` : 'happy path'}) x $${price(context, 'stepfunctions.standardTransitionThousand')}`,
    });
  } else {
    charges.push(charge(runs / 1e6, price(context, 'stepfunctions.expressRequestMillion'), 'M express requests'));
  }
  charges.push(...jobCharges(workflow.happyPath, runs, context));
  charges.push(...createdEndpointCharges(workflow.allStates, context));
  return charges;
}

/** API Gateway REST APIs: the load's predictions, one request each. */
export function restApi(_resource: AssemblyResource, context: PricingContext): Charge[] {
  return [charge(context.load.predictionsPerMonth / 1e6, price(context, 'apigateway.restRequestMillion'), 'M requests')];
}

/** EventBridge Scheduler: invocations of the schedule. */
export function schedulerSchedule(resource: AssemblyResource, context: PricingContext): Charge[] {
  const expression = resource.properties.ScheduleExpression;
  if (typeof expression !== 'string') throw new Unpriced('ScheduleExpression is not literal');
  const runs = resource.properties.State === 'DISABLED' ? 0 : runsPerMonth(expression);
  return [charge(runs / 1e6, price(context, 'scheduler.invocationMillion'), 'M invocations')];
}
