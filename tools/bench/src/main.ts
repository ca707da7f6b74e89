import { runDriftBenchmark } from './drift/drift-benchmark';
import { runIngestBenchmark } from './ingest/ingest-benchmark';
import { runProxyBenchmark } from './proxy/proxy-benchmark';
import { runReplayBenchmark } from './replay/replay-benchmark';
import { runScaleBenchmark } from './scale/scale-benchmark';

/**
 * Runs every benchmark, or those named (`node lib/main.js drift`); each prints its
 * figures beside a baseline measured in the same run.
 */
async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const wanted = (name: string) => only.length === 0 || only.includes(name);
  if (wanted('ingest')) await runIngestBenchmark();
  if (wanted('proxy')) await runProxyBenchmark();
  if (wanted('drift')) runDriftBenchmark();
  if (wanted('replay')) await runReplayBenchmark();
  if (wanted('scale')) runScaleBenchmark();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
