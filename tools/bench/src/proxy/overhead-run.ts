/**
 * One subject's per-request overhead, measured in a process of its own, as
 * a Lambda sandbox holds one handler: the heap holds the subject and the fake
 * endpoint only, so no other benchmark's garbage or JIT state is in the figures.
 * The fake stays in this process because a second process adds a cross-process
 * wake-up to every request on a small VM.
 *
 * Run by proxy-benchmark.ts with fork(): argv is the subject (a bundle path,
 * `raw-http` or `no-socket`), the warm-up count and the measured count.
 * Sends the sorted samples (ms) and the young-generation collections that ran
 * during the measured requests to the parent.
 */
import { constants, PerformanceObserver } from 'perf_hooks';
// Only the SageMaker fake: the package index would load every emulator into this heap.
import { startSageMakerRuntimeEmulator } from '@freshet/test-utils/lib/emulators/sagemaker-runtime-emulator';
import { Handler, noSocketHandler, rawHttpHandler } from './reference-handlers';

/** What one subject's measured requests took. */
export interface OverheadRun {
  /** Per-request overhead (ms), sorted. */
  readonly samples: number[];
  /** Young-generation collections (scavenges) during the measured requests. */
  readonly scavenges: number;
  /** Their mean pause (ms). */
  readonly scavengeMeanMs: number;
}

async function main(subject: string, warmups: number, measured: number): Promise<OverheadRun> {
  const runtime = await startSageMakerRuntimeEmulator(() => ({ body: '42.5\n', variant: 'primary', contentType: 'text/csv' }));
  try {
    // The parent's environment already names the fake through AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME; this one is new.
    process.env.AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME = runtime.endpoint;
    const handler: Handler = subject === 'raw-http' ? rawHttpHandler(runtime.endpoint)
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      : subject === 'no-socket' ? noSocketHandler() : require(subject).handler;
    const event = { body: JSON.stringify({ ticker_symbol: 'AMZN', sector: 'RETAIL', change: -1.25 }), isBase64Encoded: false };
    for (let i = 0; i < warmups; i++) {
      const result = await handler(event);
      if (result.statusCode !== 200) throw new Error(`warm-up answered ${result.statusCode}: ${result.body}`);
    }
    // Preallocated, so recording a sample allocates nothing in the measured loop.
    const samples = new Float64Array(measured);
    const scavengePauses: number[] = [];
    const gc = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind;
        if (kind === constants.NODE_PERFORMANCE_GC_MINOR) scavengePauses.push(entry.duration);
      }
    });
    gc.observe({ entryTypes: ['gc'] });
    for (let i = 0; i < measured; i++) {
      runtime.reset();
      const started = process.hrtime.bigint();
      await handler(event);
      const total = Number(process.hrtime.bigint() - started) / 1e6;
      // The fake records its service time when the response is flushed, which may land after the client resolved.
      await new Promise((resolve) => setImmediate(resolve));
      samples[i] = total - (runtime.serviceTimesMs[0] ?? 0);
    }
    // GC entries arrive asynchronously: let the last ones land.
    await new Promise((resolve) => setTimeout(resolve, 50));
    gc.disconnect();
    return {
      samples: Array.from(samples).sort((a, b) => a - b),
      scavenges: scavengePauses.length,
      scavengeMeanMs: scavengePauses.length ? scavengePauses.reduce((a, b) => a + b, 0) / scavengePauses.length : 0,
    };
  } finally {
    await runtime.stop();
  }
}

main(process.argv[2], Number(process.argv[3]), Number(process.argv[4])).then(
  (run) => process.send!(run, () => process.exit(0)),
  (error) => process.send!({ error: String(error?.stack ?? error) }, () => process.exit(1)),
);
