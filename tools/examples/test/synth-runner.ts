// Runs README examples one after another in this one process, each as `node example.js`
// would run it: its own CDK_OUTDIR, any exception or exit code recorded. Spawned by
// readme-examples.test.ts (transpiled beside the examples, so it resolves the same
// aws-cdk-lib as they do); one process saves loading aws-cdk-lib once per example.
import { readFileSync, writeFileSync } from 'fs';
import { Validations } from 'aws-cdk-lib';

/** One example to run: its transpiled file and the folder its assembly goes to. */
export interface SynthJob {
  readonly name: string;
  readonly file: string;
  readonly outdir: string;
}

/** What running one example did. */
export interface SynthResult {
  readonly name: string;
  /** The exception the example threw (a failed nag validation throws at `app.synth()`), else undefined. */
  readonly error?: string;
  /** `process.exitCode` as the example left it (cdk-nag's report sets it to 1 when run by the CDK CLI). */
  readonly exitCode: number;
  /** The validation plugins the example registered, by name. */
  readonly plugins: string[];
  readonly seconds: number;
}

function runAll(jobsFile: string, resultsFile: string): void {
  const jobs = JSON.parse(readFileSync(jobsFile, 'utf-8')) as SynthJob[];
  let plugins: string[] = [];
  // Observe, not replace: the plugins still run as the example registered them.
  const addPlugins = Validations.prototype.addPlugins;
  Validations.prototype.addPlugins = function (this: Validations, ...added) {
    plugins.push(...added.map((p) => p.name));
    return addPlugins.apply(this, added);
  };
  const results: SynthResult[] = [];
  for (const job of jobs) {
    plugins = [];
    process.env.CDK_OUTDIR = job.outdir;
    process.exitCode = 0;
    const started = process.hrtime.bigint();
    let error: string | undefined;
    try {
      // As `node example.js` loads it: CommonJS, synchronously, run for its side effects.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(job.file);
    } catch (e) {
      error = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e);
    }
    const exitCode = Number(process.exitCode ?? 0);
    results.push({ name: job.name, error, exitCode, plugins, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    // Written after each example, so a crash still reports the ones before it.
    writeFileSync(resultsFile, JSON.stringify(results, undefined, 2));
  }
  // Exit now: each App synthesizes again on 'beforeExit' when CDK_OUTDIR is set (autoSynth).
  process.exit(0);
}

if (require.main === module) {
  runAll(process.argv[2], process.argv[3]);
}
