import { IngestState, IngestStateStore, SourceObject, StateConflictError } from './ingest-state';

/** Clock skew allowed between the Lambda hosts that compare a lease's expiry. */
export const LEASE_MARGIN_MS = 30_000;
/** A waiting delivery gives up this long before its own deadline, so it fails cleanly and Lambda retries it. */
const GIVE_UP_BEFORE_DEADLINE_MS = 5_000;

/** The outcome of {@link IngestLeaseManager.acquire}. */
export type LeaseOutcome =
  | { readonly kind: 'acquired'; readonly lease: HeldLease }
  | { readonly kind: 'finished'; readonly state: IngestState };

/** Another live invocation holds the lease past this one's deadline: Lambda retries the event later. */
export class LeaseHeldError extends Error {
  constructor(source: SourceObject, holder: string, expiresAt: string) {
    super(`s3://${source.bucket}/${source.key} (version ${source.version}) is being ingested by invocation ${holder} until ${expiresAt} at the latest; this delivery fails so that Lambda retries it then (nothing was sent).`);
    this.name = 'LeaseHeldError';
  }
}

/**
 * Exactly one invocation at a time works on an object version. The lease
 * lives in the object's ingest state, and every write of that state is an S3
 * conditional write on the ETag read before it, so:
 *
 * - of concurrent deliveries one creates or takes the state; the others see a
 *   live lease and wait until the holder finishes (then they add nothing), or
 *   until the lease expires (then one takes it over and resumes from the
 *   recorded checkpoint);
 * - a lease lasts until the holder's Lambda deadline plus a margin, so when it
 *   expires the holder is certainly dead: no two invocations ever send rows
 *   of one object at once;
 * - the holder's every checkpoint is conditional too, so even a holder that
 *   outlived its lease could not overwrite a successor's progress.
 */
export class IngestLeaseManager {
  constructor(
    private readonly store: IngestStateStore,
    private readonly owner: string,
    /** Epoch ms when this invocation is stopped by Lambda. */
    private readonly deadline: number,
    private readonly pollMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  public async acquire(source: SourceObject): Promise<LeaseOutcome> {
    const lease = { owner: this.owner, expiresAt: new Date(this.deadline + LEASE_MARGIN_MS).toISOString() };
    for (;;) {
      const current = await this.store.read(source);
      try {
        if (!current) {
          const fresh = { status: 'in-progress' as const, source, resumeAfterLine: 0, rowsIngested: 0, rowsRejected: 0, blankLinesSkipped: 0, rejectedParts: 0, lease };
          return { kind: 'acquired', lease: new HeldLease(this.store, fresh, await this.store.writeIf(undefined, fresh)) };
        }
        if (current.state.status !== 'in-progress') return { kind: 'finished', state: current.state };
        const held = current.state.lease;
        if (held && held.owner !== this.owner && Date.parse(held.expiresAt) > this.now()) {
          if (this.now() + this.pollMs + GIVE_UP_BEFORE_DEADLINE_MS > this.deadline) throw new LeaseHeldError(source, held.owner, held.expiresAt);
          await new Promise((resolve) => setTimeout(resolve, this.pollMs));
          continue;
        }
        // No lease (released, or a state from before leases), or an expired one: take over from the checkpoint.
        const taken = { ...current.state, lease };
        const etag = await this.store.writeIf(current.etag, taken);
        if (held && held.owner !== this.owner) {
          console.warn(JSON.stringify({ message: 'Took over an expired ingest lease; resuming from its checkpoint.', source, previousHolder: held, resumeAfterLine: current.state.resumeAfterLine }));
        }
        return { kind: 'acquired', lease: new HeldLease(this.store, taken, etag) };
      } catch (error) {
        // Another delivery wrote the state between this one's read and write: read again.
        if (error instanceof StateConflictError) continue;
        throw error;
      }
    }
  }
}

/** The lease this invocation holds, and the progress it started from; every write is conditional. */
export class HeldLease {
  private last: Omit<IngestState, 'updatedAt'>;

  constructor(
    private readonly store: IngestStateStore,
    /** The state when the lease was taken: the progress to resume from. */
    public readonly start: Omit<IngestState, 'updatedAt'>,
    private etag: string,
  ) {
    this.last = start;
  }

  /** Records progress (keeping the lease) or the end (`complete` / `quarantined`, releasing it). Throws StateConflictError if the lease was lost. */
  public async record(state: Omit<IngestState, 'updatedAt' | 'lease' | 'source'>): Promise<void> {
    const next = { ...state, source: this.start.source, lease: state.status === 'in-progress' ? this.start.lease : undefined };
    this.etag = await this.store.writeIf(this.etag, next);
    this.last = next;
  }

  /** Gives the lease up after a failure, keeping the progress, so Lambda's retry (or a waiting delivery) resumes at once. Best effort. */
  public async release(): Promise<void> {
    if (this.last.status !== 'in-progress') return;
    try {
      this.etag = await this.store.writeIf(this.etag, { ...this.last, lease: undefined });
    } catch (error) {
      console.warn(JSON.stringify({ message: 'Could not release the ingest lease; it expires on its own.', error: (error as Error).message }));
    }
  }
}
