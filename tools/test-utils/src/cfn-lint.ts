import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The repository root: tools/test-utils/{src,lib} are two levels below it. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** One cfn-lint match. */
export interface CfnLintMatch {
  readonly Rule: { readonly Id: string; readonly Description: string };
  readonly Level: string;
  readonly Message: string;
  readonly Location: { readonly Path: (string | number)[] };
}

/** The cfn-lint of the repo's Python venv, which `tools/scripts/python-venv.sh` creates. */
export function cfnLintBinary(): string {
  const binary = path.join(REPO_ROOT, '.venv', 'bin', 'cfn-lint');
  if (!fs.existsSync(binary)) {
    throw new Error(`cfn-lint is not installed at ${binary}: run 'bash tools/scripts/python-venv.sh' (npm test does) first.`);
  }
  return binary;
}

/**
 * Rules skipped by default. W3005 flags a DependsOn that a GetAtt already
 * implies; aws-cdk-lib adds one from each Lambda function to its role, which
 * is redundant, not wrong.
 */
export const CFN_LINT_DEFAULT_IGNORES = ['W3005'];

/**
 * Lints CloudFormation templates (objects or file paths) with cfn-lint and
 * returns every match of level Error or Warning. Informational matches are dropped.
 */
export function cfnLint(templates: (object | string)[], ignoreRules: string[] = CFN_LINT_DEFAULT_IGNORES): CfnLintMatch[] {
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-lint-'));
  try {
    const files = templates.map((template, index) => {
      if (typeof template === 'string') return template;
      const file = path.join(workdir, `template-${index}.json`);
      fs.writeFileSync(file, JSON.stringify(template));
      return file;
    });
    const args = ['--format', 'json', ...(ignoreRules.length ? ['--ignore-checks', ...ignoreRules] : []), '--', ...files];
    let stdout: string;
    try {
      stdout = execFileSync(cfnLintBinary(), args, { encoding: 'utf-8', maxBuffer: 64 * 1024 * 1024 });
    } catch (error: any) {
      // cfn-lint exits non-zero when it finds matches; its JSON is still on stdout.
      if (typeof error.stdout !== 'string' || error.stdout.trim() === '') throw error;
      stdout = error.stdout;
    }
    const matches = JSON.parse(stdout || '[]') as CfnLintMatch[];
    return matches.filter((m) => m.Level === 'Error' || m.Level === 'Warning');
  } finally {
    fs.rmSync(workdir, { recursive: true, force: true });
  }
}

/** Formats matches one a line, for a readable assertion failure. */
export function formatCfnLint(matches: CfnLintMatch[]): string {
  return matches.map((m) => `${m.Level} ${m.Rule.Id} at ${m.Location.Path.join('/')}: ${m.Message}`).join('\n');
}
