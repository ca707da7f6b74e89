import { runIngestBenchmark } from './ingest/ingest-benchmark';

/** Runs every benchmark; each prints its figures beside a baseline measured in the same run. */
async function main(): Promise<void> {
  await runIngestBenchmark();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
