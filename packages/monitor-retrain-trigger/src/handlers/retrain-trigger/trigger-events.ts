import type { AlarmStateChangeEvent } from './alarm-event';
import type { RunStatus } from './retrain-targets';

/** An EventBridge event the trigger receives besides alarm state changes. */
export interface TriggerEvent {
  readonly 'id': string;
  readonly 'detail-type'?: string;
  readonly 'source'?: string;
  readonly 'detail'?: Record<string, any>;
}

/** The retry rule's tick. */
export interface ScheduledEvent { readonly kind: 'tick'; readonly eventId: string }

/** A run of the target that ended (Step Functions or CodePipeline). */
export interface RunEndEvent { readonly kind: 'run-end'; readonly eventId: string; readonly runId: string; readonly status: RunStatus }

/** The detail types and end states of the run-end rules. */
export const RUN_END = {
  stateMachine: { detailType: 'Step Functions Execution Status Change', states: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] },
  codePipeline: { detailType: 'CodePipeline Pipeline Execution State Change', states: ['SUCCEEDED', 'FAILED', 'STOPPED', 'SUPERSEDED', 'CANCELED'] },
} as const;

/** The retry rule's detail type (an EventBridge schedule). */
export const SCHEDULED_EVENT = 'Scheduled Event';

/** Tells a retry tick and a run's end from an alarm state change (which parseAlarmEvent validates). */
export function classifyEvent(event: TriggerEvent | AlarmStateChangeEvent): ScheduledEvent | RunEndEvent | { readonly kind: 'alarm' } {
  const detailType = event?.['detail-type'];
  const detail = (event?.detail ?? {}) as Record<string, any>;
  if (detailType === SCHEDULED_EVENT) return { kind: 'tick', eventId: event.id };
  if (detailType === RUN_END.stateMachine.detailType) {
    if (!detail.executionArn || !detail.status) throw new Error(`A Step Functions status change needs detail.executionArn and detail.status: ${JSON.stringify(event).slice(0, 500)}`);
    return { kind: 'run-end', eventId: event.id, runId: detail.executionArn, status: detail.status === 'SUCCEEDED' ? 'succeeded' : detail.status === 'RUNNING' ? 'running' : 'failed' };
  }
  if (detailType === RUN_END.codePipeline.detailType) {
    if (!detail['execution-id'] || !detail.state) throw new Error(`A CodePipeline state change needs detail.execution-id and detail.state: ${JSON.stringify(event).slice(0, 500)}`);
    const state = String(detail.state);
    return { kind: 'run-end', eventId: event.id, runId: detail['execution-id'], status: state === 'SUCCEEDED' ? 'succeeded' : ['STARTED', 'RESUMED'].includes(state) ? 'running' : 'failed' };
  }
  return { kind: 'alarm' };
}
