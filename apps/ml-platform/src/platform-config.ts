import { readFileSync } from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';

/** Where the pipeline's source lives and where it deploys. */
export interface PlatformConfig {
  /** The CodeConnections (CodeStar Connections) connection ARN. */
  readonly connectionArn: string;
  /** `owner/repo`. */
  readonly repository: string;
  /** The branch that triggers the pipeline. */
  readonly branch: string;
  readonly pipelineAccount: string;
  readonly pipelineRegion: string;
  /** The Dev stage's account: the pipeline's own or another (the smoke tests assume a role there). */
  readonly devAccount: string;
  readonly devRegion: string;
  /** Where Dev's alarms go (an email subscription to Dev's alarm topic). */
  readonly devAlarmEmail: string;
  /** The Prod stage's account, bootstrapped to trust the pipeline account. */
  readonly prodAccount: string;
  readonly prodRegion: string;
  /** The on-call address: Prod's alarms go there. */
  readonly prodAlarmEmail: string;
  /** Who approves a promotion to Prod: the approval's notification goes there. */
  readonly approverEmail: string;
}

const KEYS: (keyof PlatformConfig)[] = [
  'connectionArn', 'repository', 'branch', 'pipelineAccount', 'pipelineRegion', 'devAccount', 'devRegion', 'devAlarmEmail',
  'prodAccount', 'prodRegion', 'prodAlarmEmail', 'approverEmail',
];
const ACCOUNT_KEYS = ['pipelineAccount', 'devAccount', 'prodAccount'] as const;
const REGION_KEYS = ['pipelineRegion', 'devRegion', 'prodRegion'] as const;
const EMAIL_KEYS = ['devAlarmEmail', 'prodAlarmEmail', 'approverEmail'] as const;

/** The config file beside the app, or the one `FRESHET_CONFIG` names. */
export const DEFAULT_CONFIG_FILE = path.join(__dirname, '..', 'config', 'ml-platform.json');

/**
 * Reads the platform config: the JSON file, then `-c freshet:<key>=<value>`
 * context on top. Fails with what to fix when a value is missing or malformed.
 */
export function loadPlatformConfig(app: App, file = process.env.FRESHET_CONFIG ?? DEFAULT_CONFIG_FILE): PlatformConfig {
  const fromFile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const merged: Record<string, unknown> = {};
  for (const key of KEYS) {
    merged[key] = app.node.tryGetContext(`freshet:${key}`) ?? fromFile[key];
  }
  const problems: string[] = [];
  for (const key of KEYS) {
    if (typeof merged[key] !== 'string' || merged[key] === '') problems.push(`'${key}' is missing: set it in ${file} or pass -c freshet:${key}=...`);
  }
  const arn = String(merged.connectionArn ?? '');
  if (arn && !/^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]+$/.test(arn)) {
    problems.push(`'connectionArn' must be a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<id>), got '${arn}'.`);
  }
  if (merged.repository && !/^[\w.-]+\/[\w.-]+$/.test(String(merged.repository))) {
    problems.push(`'repository' must be 'owner/name', got '${merged.repository}'.`);
  }
  for (const key of ACCOUNT_KEYS) {
    if (merged[key] && !/^\d{12}$/.test(String(merged[key]))) problems.push(`'${key}' must be a 12-digit AWS account id, got '${merged[key]}'.`);
  }
  for (const key of REGION_KEYS) {
    if (merged[key] && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(String(merged[key]))) problems.push(`'${key}' must be an AWS region like 'us-east-1', got '${merged[key]}'.`);
  }
  for (const key of EMAIL_KEYS) {
    if (merged[key] && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(String(merged[key]))) problems.push(`'${key}' must be an email address, got '${merged[key]}'.`);
  }
  problems.push(...environmentProblems(merged));
  if (problems.length > 0) {
    throw new Error(`Invalid ml-platform config:\n- ${problems.join('\n- ')}`);
  }
  return merged as unknown as PlatformConfig;
}

/** Prod is a stage of its own: promoting to it must change where the stacks run. */
function environmentProblems(merged: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const { devAccount, devRegion, prodAccount, prodRegion } = merged;
  if (prodAccount && devAccount && prodAccount === devAccount && prodRegion === devRegion) {
    problems.push(`'prodAccount' and 'prodRegion' (${prodAccount}, ${prodRegion}) are Dev's: give Prod its own account (or at least its own region).`);
  }
  return problems;
}
