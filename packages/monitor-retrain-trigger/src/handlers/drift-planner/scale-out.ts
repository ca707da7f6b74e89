/**
 * How many instances count one drift window: the window's capture bytes over the bytes one instance
 * counts, capped; one when the window holds work the drift job refuses in shards. No AWS SDK here,
 * so the construct reads the default from the same place.
 */

export interface ScaleOutConfig {
  /** The most instances (1: never sharded). */
  readonly maxInstanceCount?: number;
  /** The capture bytes one instance counts. */
  readonly bytesPerInstance?: number;
  /** False when every window of the monitor is refused in shards (DeepAR requests). */
  readonly shardable?: boolean;
}

/**
 * The default capture bytes per instance: 10 GB, about 25 million stocks records (400 bytes each), about 10 minutes of one
 * core at the measured 44,000 records per CPU second, a third of the default 30 GB volume. Smaller windows stay on one
 * instance: the summing job's start (minutes) would cost more than the shards save (README, Drift job).
 */
export const DEFAULT_BYTES_PER_INSTANCE = 10_000_000_000;

/**
 * The counting job's instance count: one per `bytesPerInstance` of capture, at most `maxInstanceCount`
 * and at most one per file (ShardedByS3Key deals whole files); one when the window holds work the job refuses in shards.
 */
export function instancesFor(
  config: ScaleOutConfig,
  captureBytes: number,
  captureFiles: number,
  work: { quality: boolean; shadows: string[] },
): { instanceCount: number; reason?: string } {
  const cap = config.maxInstanceCount ?? 1;
  const bySize = Math.ceil(captureBytes / (config.bytesPerInstance ?? DEFAULT_BYTES_PER_INSTANCE));
  const wanted = Math.min(cap, Math.max(1, captureFiles), Math.max(1, bySize));
  if (wanted <= 1) return { instanceCount: 1 };
  if (config.shardable === false) return { instanceCount: 1, reason: `a DeepAR window is counted in one process (its size asked for ${wanted} instances).` };
  if (work.quality) return { instanceCount: 1, reason: `model quality joins the whole window with ground truth (its size asked for ${wanted} instances).` };
  if (work.shadows.length > 0) return { instanceCount: 1, reason: `shadow variants (${work.shadows.join(', ')}) are reported from every file (its size asked for ${wanted} instances).` };
  return { instanceCount: wanted };
}
