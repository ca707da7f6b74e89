import { AlarmOptions, SecureKey } from '@freshet/core';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { RetrainTarget } from './retrain-target';

/** Properties of a {@link RetrainTrigger}. */
export interface RetrainTriggerProps {
  /** What to start when an alarm fires: `RetrainTarget.stateMachine(...)` or `RetrainTarget.codePipeline(...)`. */
  readonly target: RetrainTarget;
  /**
   * The alarms whose transitions into ALARM start a retrain. More can be added
   * with `addAlarm()`; at least one is needed by synthesis.
   * @default - none yet; add them with addAlarm()
   */
  readonly alarms?: cloudwatch.IAlarm[];
  /**
   * No trigger-started run within this time of the last one (runs the
   * schedule started do not count here; they count as in flight while they run).
   * A run that fails, times out or is stopped gives its cooldown back.
   * @default Duration.hours(6)
   */
  readonly cooldown?: Duration;
  /**
   * At most this many trigger-started runs per UTC day. A run that does not
   * succeed gives its count back, and at most this many such runs are retried a day.
   * @default 3
   */
  readonly dailyCap?: number;
  /**
   * How often a pending retrain request is tried again while its alarm stays
   * in ALARM (a start refused for in-flight, cooldown or the daily cap, or a
   * run that failed). The end of every run of the target retries it at once
   * too; this is the backstop. Whole minutes, at least 1.
   * @default Duration.minutes(15)
   */
  readonly retryInterval?: Duration;
  /**
   * The alarms on the trigger itself (function errors, dead letters).
   * @default - alarms on, notifying an encrypted topic of the trigger's own
   */
  readonly alarmOptions?: AlarmOptions;
  /**
   * The key of the storm-control table, the dead-letter queue and the logs, e.g. the
   * drift monitor's key beside it (a customer managed key is $1 a month, and each
   * rotated version another): the trigger adds what it needs to the key's policy.
   * @default - a SecureKey of the trigger's own
   */
  readonly encryptionKey?: SecureKey;
  /**
   * The removal policy of the storm-control table, the dead-letter queue's
   * key and the logs; DESTROY is honoured only when the app allows it.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}
