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
  readonly devAccount: string;
  readonly devRegion: string;
}

const KEYS: (keyof PlatformConfig)[] = ['connectionArn', 'repository', 'branch', 'pipelineAccount', 'pipelineRegion', 'devAccount', 'devRegion'];

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
  for (const key of ['pipelineAccount', 'devAccount'] as const) {
    if (merged[key] && !/^\d{12}$/.test(String(merged[key]))) problems.push(`'${key}' must be a 12-digit AWS account id, got '${merged[key]}'.`);
  }
  if (problems.length > 0) {
    throw new Error(`Invalid ml-platform config:\n- ${problems.join('\n- ')}`);
  }
  return merged as unknown as PlatformConfig;
}
