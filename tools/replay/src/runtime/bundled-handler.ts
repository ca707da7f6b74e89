import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { BundledFunction } from '../app/app-model';

/** A built handler loaded in this process. */
export type Handler = (event: unknown) => Promise<any>;

/**
 * Loads a function's built bundle (cdk.out's asset, as Lambda would run it)
 * with its environment: the template's variables, resolved by the replay, and
 * the SDK's endpoints pointed at the replay's emulators. Bundles read their
 * environment when loaded, so it is set for the load and then restored.
 */
export function loadBundledHandler(fn: BundledFunction, environment: Record<string, string>): Handler {
  const [file, exportName] = fn.handler.split('.');
  const entry = path.resolve(fn.bundleDir, `${file}.js`);
  const saved = { ...process.env };
  Object.assign(process.env, environment);
  try {
    // Evaluated afresh on each load (a module registry, Node's or a test runner's, would hand back the first
    // load's clients with the first replay's endpoints); its own imports resolve from its folder.
    const module = { exports: {} as Record<string, unknown> };
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    // Bundles leave the AWS SDK out (Lambda's runtime provides it): beside the bundle first, else the replay's own copy.
    const own = createRequire(entry);
    const bundleRequire = (id: string) => {
      try {
        return own(id);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        return require(id);
      }
    };
    // A bundle's dynamic imports of Node's built-ins (the SDK's HTTP handler loads node:http lazily) go through require:
    // the same modules, and a test runner's sandbox refuses import() in evaluated code.
    const source = fs.readFileSync(entry, 'utf8').replace(/\bimport\((["'])(node:[a-z_/]+)\1\)/g, '__replayImport($1$2$1)');
    new Function('exports', 'require', 'module', '__filename', '__dirname', '__replayImport', source)(
      module.exports, bundleRequire, module, entry, path.dirname(entry), async (id: string) => bundleRequire(id));
    const loaded = module.exports as Record<string, any>;
    const handler = loaded[exportName];
    if (typeof handler !== 'function') throw new Error(`${fn.logicalId}'s bundle ${entry} exports no ${exportName}.`);
    return handler;
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

/**
 * Makes `Date` read the simulated clock (new Date() and Date.now() only; a
 * Date of a given time is unchanged), so handlers decide on simulated time.
 * Returns the function that restores the real Date.
 */
export function installSimulatedDate(now: () => number): () => void {
  const RealDate = Date;
  class SimulatedDate extends RealDate {
    static now(): number {
      return now();
    }
    constructor(...args: any[]) {
      if (args.length === 0) super(now());
      else super(...(args as [any]));
    }
  }
  (globalThis as any).Date = SimulatedDate;
  return () => {
    (globalThis as any).Date = RealDate;
  };
}
