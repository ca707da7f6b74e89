import { AlarmFactory, AlarmThreshold } from '@freshet/core';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';

/** Alarm thresholds of an {@link ApiCapture}. */
export interface ApiCaptureAlarms {
  /**
   * Capture records the proxy dropped (too large for a log event, or stdout failed) in 5 minutes.
   * @default 0
   */
  readonly dropped?: AlarmThreshold;
  /**
   * Age in seconds of the oldest capture record Firehose has not delivered to S3 yet.
   * @default - the buffering interval plus 15 minutes
   */
  readonly deliveryAgeSeconds?: AlarmThreshold;
}

/** Properties of an {@link ApiCapture}. */
export interface ApiCaptureProps {
  /** The endpoint whose requests are captured: objects land under `<capturePrefix><endpoint>/`. */
  readonly endpointName: string;
  /** The proxy function's log group, which the capture lines are written to. */
  readonly proxyLogGroup: logs.ILogGroup;
  /** The bucket the capture lands in (the lake). */
  readonly bucket: s3.IBucket;
  /** The key captured objects are encrypted with (the lake's key). */
  readonly objectKey: kms.IKey;
  /** The key of the delivery stream (server-side encryption) and its error log group. */
  readonly streamKey: kms.IKey;
  /**
   * The prefix above `<endpoint>/<variant>/yyyy/mm/dd/hh/`.
   * @default 'capture/'
   */
  readonly capturePrefix?: string;
  /**
   * How long Firehose buffers before it writes an object (60–900 seconds).
   * @default Duration.minutes(5)
   */
  readonly bufferingInterval?: Duration;
  /** Where the alarms go. */
  readonly alarms: AlarmFactory;
  /**
   * Alarm thresholds.
   * @default - the defaults each threshold documents
   */
  readonly alarmThresholds?: ApiCaptureAlarms;
  /**
   * Removal policy of the error log group.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}
