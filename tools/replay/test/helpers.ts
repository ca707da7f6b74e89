import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const DEV_APP = path.join(ROOT, 'apps', 'ml-platform', 'cdk.out');
export const PYTHON = path.join(ROOT, '.venv', 'bin', 'python');

/**
 * Synthesizes the consumer test's app (tools/scripts/consumer/app.ts, an unstaged app on XGBoost)
 * against the workspace's built packages, into a temp cdk.out.
 */
export function synthConsumerApp(): string {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-consumer-'));
  const consumer = path.join(ROOT, 'tools', 'scripts', 'consumer');
  fs.copyFileSync(path.join(consumer, 'app.ts'), path.join(work, 'app.ts'));
  // The app applies the nag packs through ./nag, the variant of the cdk-nag major the consumer installs (the workspace's).
  const nagMajor = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', 'cdk-nag', 'package.json'), 'utf8')).version.split('.')[0];
  fs.copyFileSync(path.join(consumer, `nag-v${nagMajor}.ts`), path.join(work, 'nag.ts'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(work, 'node_modules'));
  execFileSync(path.join(ROOT, 'node_modules', '.bin', 'esbuild'), ['app.ts', '--bundle', '--platform=node', '--outfile=app.js', '--log-level=warning',
    '--external:aws-cdk-lib', '--external:constructs', '--external:cdk-nag', '--external:@freshet/*'], { cwd: work });
  const out = path.join(work, 'cdk.out');
  execFileSync(process.execPath, ['app.js'], { cwd: work, env: { ...process.env, CDK_OUTDIR: out }, stdio: 'pipe' });
  return out;
}

/** A copy of a cloud assembly whose templates `edit` may change (assets are linked, not copied). */
export function editedCopy(cdkOut: string, edit: (template: any, file: string) => void): string {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'replay-edited-'));
  const walk = (from: string, to: string) => {
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
      const source = path.join(from, entry.name);
      const target = path.join(to, entry.name);
      if (entry.name.startsWith('asset.')) {fs.symlinkSync(source, target);} else if (entry.isDirectory()) {
        fs.mkdirSync(target);
        walk(source, target);
      } else if (entry.name.endsWith('.template.json')) {
        const template = JSON.parse(fs.readFileSync(source, 'utf8'));
        edit(template, entry.name);
        fs.writeFileSync(target, JSON.stringify(template));
      } else {fs.copyFileSync(source, target);}
    }
  };
  walk(cdkOut, copy);
  return copy;
}
