/**
 * The retrain trigger: EventBridge invokes it (asynchronously) with each
 * CloudWatch alarm state change into ALARM of the monitored alarms, with the
 * retry rule's ticks, and with the target's runs ending; it starts at most
 * one retraining run of its target under storm control, and tries a refused
 * or failed one again while its alarm stays in ALARM. The logic is in
 * ./retrain-trigger so tests can drive it with their own clock; this file
 * builds it from the environment once per container.
 */
import type { AlarmStateChangeEvent } from './retrain-trigger/alarm-event';
import { dependenciesFromEnvironment } from './retrain-trigger/environment';
import { createRetrainTriggerHandler, TriggerDecision } from './retrain-trigger/retrain-trigger';
import type { TriggerEvent } from './retrain-trigger/trigger-events';

const trigger = createRetrainTriggerHandler(dependenciesFromEnvironment());

export async function handler(event: AlarmStateChangeEvent | TriggerEvent): Promise<TriggerDecision> {
  return trigger(event);
}
