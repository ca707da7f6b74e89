import { AssemblyResource } from '../assembly';
import { PricingContext, round } from '../context';
import { flatten, refersTo } from '../intrinsics';
import { SECONDS_PER_MONTH } from '../load-profile';
import { Charge, charge, price } from './pricer';

/**
 * X-Ray's default sampling rule, which API Gateway and Lambda apply when no custom rule
 * matches: the first request each second (the reservoir), then 5% of the rest.
 */
export const XRAY_DEFAULT_RULE = { reservoirPerSecond: 1, fixedRate: 0.05 };

/**
 * Traces the default rule records of `requests` a month, spread evenly over the month
 * (bursty traffic records fewer: the reservoir is per second).
 */
export function tracesRecorded(requests: number): number {
  const perSecond = requests / SECONDS_PER_MONTH;
  const { reservoirPerSecond, fixedRate } = XRAY_DEFAULT_RULE;
  return (Math.min(perSecond, reservoirPerSecond) + fixedRate * Math.max(0, perSecond - reservoirPerSecond)) * SECONDS_PER_MONTH;
}

/** The REST API a stage or method belongs to. */
function restApiOf(resource: AssemblyResource, context: PricingContext): AssemblyResource | undefined {
  const api = flatten(resource.properties.RestApiId);
  return context.stage(resource, 'AWS::ApiGateway::RestApi').find((r) => refersTo(api, r.logicalId));
}

/** Whether a stage of the method's REST API records X-Ray traces (TracingEnabled). */
export function methodTraced(method: AssemblyResource, context: PricingContext): boolean {
  const api = restApiOf(method, context);
  return !!api && context.stage(method, 'AWS::ApiGateway::Stage')
    .some((s) => s.properties.TracingEnabled === true && refersTo(flatten(s.properties.RestApiId), api.logicalId));
}

/** The stage's execution-log level over all methods (`*` / `/*`), and whether data tracing is on. */
function executionLogging(stage: AssemblyResource): { level: string; dataTrace: boolean } {
  const all = (stage.properties.MethodSettings ?? []).find((m: any) => m.ResourcePath === '/*' && m.HttpMethod === '*') ?? {};
  return { level: String(all.LoggingLevel ?? 'OFF'), dataTrace: all.DataTraceEnabled === true };
}

/** Bytes of execution logs one request writes at the stage's settings and the load profile. */
export function executionLogBytes(stage: AssemblyResource, context: PricingContext): number {
  const { level, dataTrace } = executionLogging(stage);
  if (level !== 'INFO') return 0;
  const load = context.load;
  return load.apiExecutionLogBytes + (dataTrace ? load.apiDataTraceBytes + 2 * load.predictionBytes : 0);
}

/** Bytes of one access-log line: the load profile's figure, or the length of the stage's format. */
export function accessLogBytes(stage: AssemblyResource, context: PricingContext): number {
  const setting = stage.properties.AccessLogSetting;
  if (!setting?.DestinationArn) return 0;
  return context.load.apiAccessLogBytes ?? flatten(setting.Format ?? '').text.length + 1;
}

/** The stages that write access logs into a log group, with the GB a month they write. */
export function accessLogGb(logGroup: AssemblyResource, context: PricingContext): { gb: number; from: string[] } {
  let gb = 0;
  const from: string[] = [];
  for (const stage of context.stage(logGroup, 'AWS::ApiGateway::Stage')) {
    if (!refersTo(flatten(stage.properties.AccessLogSetting?.DestinationArn), logGroup.logicalId)) continue;
    const bytes = accessLogBytes(stage, context);
    gb += (context.load.predictionsPerMonth * bytes) / 1e9;
    from.push(`${stage.logicalId}: ${bytes} B per request`);
  }
  return { gb, from };
}

/**
 * API Gateway stages: X-Ray traces of the requests when TracingEnabled, and the
 * execution logs (LoggingLevel, DataTraceEnabled) API Gateway writes to the log group it
 * creates itself (`API-Gateway-Execution-Logs_<api>/<stage>`, kept forever), which is not
 * in the template. Requests are priced on the REST API; access logs on their log group.
 */
export function apiStage(resource: AssemblyResource, context: PricingContext): Charge[] {
  const requests = context.load.predictionsPerMonth;
  const charges: Charge[] = [];
  if (resource.properties.TracingEnabled === true) {
    const traces = tracesRecorded(requests);
    charges.push(charge(traces / 1e6, price(context, 'xray.traceRecordedMillion'), `M traces recorded (default rule: ${XRAY_DEFAULT_RULE.reservoirPerSecond}/s + ${XRAY_DEFAULT_RULE.fixedRate * 100}%)`));
  }
  const bytes = executionLogBytes(resource, context);
  if (bytes > 0) {
    const { level, dataTrace } = executionLogging(resource);
    const gb = (requests * bytes) / 1e9;
    // The log group API Gateway creates never expires: the month priced holds every month so far.
    const months = Math.max(context.load.storageMonth, 1);
    charges.push(charge(gb, price(context, 'logs.ingestGb'), `GB of execution logs (${level}${dataTrace ? ' with data trace' : ''}, ${bytes} B per request)`));
    charges.push(charge(gb * months, price(context, 'logs.storageGbMonth'), `GB-months of execution logs stored (never expire; ${round(months)} months)`));
  }
  if (charges.length === 0) return [{ usd: 0, detail: 'no tracing or execution logs; requests are priced on the REST API' }];
  return charges;
}

/** Traces a function with active tracing records itself: its invocations that no traced API already samples. */
export function functionTraces(fn: AssemblyResource, untracedInvocations: number, context: PricingContext): Charge[] {
  if (fn.properties.TracingConfig?.Mode !== 'Active') return [];
  const traces = tracesRecorded(untracedInvocations);
  return [charge(traces / 1e6, price(context, 'xray.traceRecordedMillion'), 'M traces recorded (active tracing, invocations outside a traced API)')];
}
