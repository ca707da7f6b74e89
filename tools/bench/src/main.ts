import { runIngestBenchmark } from './ingest/ingest-benchmark';
import { runProxyBenchmark } from './proxy/proxy-benchmark';

/** Runs every benchmark; each prints its figures beside a baseline measured in the same run. */
async function main(): Promise<void> {
  await runIngestBenchmark();
  await runProxyBenchmark();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
