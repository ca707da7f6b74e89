/**
 * The retrain trigger: EventBridge invokes it (asynchronously) with each
 * CloudWatch alarm state change into ALARM of the monitored alarms; it starts
 * at most one retraining run of its target under storm control. The logic is
 * in ./retrain-trigger so tests can drive it with their own clock; this file
 * builds it from the environment once per container.
 */
import type { AlarmStateChangeEvent } from './retrain-trigger/alarm-event';
import { dependenciesFromEnvironment } from './retrain-trigger/environment';
import { createRetrainTriggerHandler, TriggerDecision } from './retrain-trigger/retrain-trigger';

const trigger = createRetrainTriggerHandler(dependenciesFromEnvironment());

export async function handler(event: AlarmStateChangeEvent): Promise<TriggerDecision> {
  return trigger(event);
}
