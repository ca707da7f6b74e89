import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '../../src/cfn-lint';

/**
 * The handler tests are meant to run on the Node.js major the Lambda functions
 * are pinned to. The test command (tools/scripts/test-all.sh) installs it with
 * tools/scripts/node-runtime.sh, puts it first on PATH for every jest run, and
 * sets FRESHET_LAMBDA_NODE_MAJOR to the major it read from the functions; jest
 * workers run on process.execPath, so this check sees what they all run on.
 */

/** Every `*-function.ts` projen generated under packages/<name>/src, with the runtime it names. */
function functionRuntimes(): Map<string, string> {
  const runtimes = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) {walk(file);} else if (entry.name.endsWith('-function.ts')) {
        const runtime = /new lambda\.Runtime\('(nodejs\d+\.x)'/.exec(fs.readFileSync(file, 'utf8'))?.[1];
        if (runtime) runtimes.set(path.relative(REPO_ROOT, file), runtime);
      }
    }
  };
  for (const pkg of fs.readdirSync(path.join(REPO_ROOT, 'packages'))) {
    const src = path.join(REPO_ROOT, 'packages', pkg, 'src');
    if (fs.existsSync(src)) walk(src);
  }
  return runtimes;
}

const majorOf = (runtime: string): number => Number(/^nodejs(\d+)\.x$/.exec(runtime)![1]);

test('every Lambda function of the packages names one Node.js runtime', () => {
  const runtimes = functionRuntimes();
  expect(runtimes.size).toBeGreaterThan(0);
  expect(new Set(runtimes.values()).size).toBe(1);
});

test('jest runs on the Node.js major the Lambda functions are pinned to, when the test command says which', () => {
  const [runtime] = new Set(functionRuntimes().values());
  const expected = process.env.FRESHET_LAMBDA_NODE_MAJOR;
  const running = Number(process.versions.node.split('.')[0]);
  console.log(`jest runs on Node ${process.version} (${process.execPath}); the Lambda functions run on ${runtime}`
    + `; FRESHET_LAMBDA_NODE_MAJOR=${expected ?? '(not set: run through tools/scripts/test-all.sh to pin it)'}`);
  if (expected === undefined) {
    // A run outside the test command: any Node the packages support.
    expect(running).toBeGreaterThanOrEqual(20);
    return;
  }
  expect(Number(expected)).toBe(majorOf(runtime));
  expect(running).toBe(majorOf(runtime));
});
