import * as fs from 'fs';
import { APP_CDK_OUT, README, REFRESH_COMMAND, sampleOutput, withSample } from '../src/readme';

/** The first lines where two texts differ, for the failure message. */
function lineDiff(before: string, after: string, limit = 12): string {
  const a = before.split('\n');
  const b = after.split('\n');
  const out: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length) && out.length < limit; i++) {
    if (a[i] !== b[i]) out.push(`line ${i + 1}:\n  - ${a[i] ?? ''}\n  + ${b[i] ?? ''}`);
  }
  return out.join('\n');
}

describe('the README sample output', () => {
  test(`equals a fresh run on the synthesized app (refresh: ${REFRESH_COMMAND})`, () => {
    if (!fs.existsSync(`${APP_CDK_OUT}/manifest.json`)) {
      throw new Error(`${APP_CDK_OUT} has no manifest.json: run npx nx run @freshet/ml-platform:synth first (the Nx test target does).`);
    }
    const readme = fs.readFileSync(README, 'utf8');
    const fresh = withSample(readme, sampleOutput());
    if (fresh !== readme) {
      throw new Error(`tools/cost/README.md's sample output is stale; run ${REFRESH_COMMAND} and commit the README. First differences:\n${lineDiff(readme, fresh)}`);
    }
  });

  test('the sample block is replaced between its markers, the rest of the README kept', () => {
    const readme = fs.readFileSync(README, 'utf8');
    const replaced = withSample(readme, 'SAMPLE LINE');
    expect(replaced).toContain('```text\nSAMPLE LINE\n```');
    expect(replaced.split('SAMPLE LINE')[0]).toBe(withSample(readme, 'OTHER').split('OTHER')[0]);
    expect(() => withSample('no markers', 'x')).toThrow(/no sample-output markers/);
  });
});
