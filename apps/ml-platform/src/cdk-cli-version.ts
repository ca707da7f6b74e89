import { readFileSync } from 'fs';
import * as path from 'path';

/** The repository root's package.json, two folders above the app. */
export const ROOT_PACKAGE_JSON = path.join(__dirname, '..', '..', '..', 'package.json');

/**
 * The CDK CLI version the repository pins (the root devDependency on `aws-cdk`,
 * which projen writes from VERSIONS.cdkCli). The pipeline's self-mutation
 * installs exactly this one, so it never drifts to a CLI that cannot read the assembly.
 */
export function cdkCliVersion(file = ROOT_PACKAGE_JSON): string {
  const version = (JSON.parse(readFileSync(file, 'utf8')) as { devDependencies?: Record<string, string> }).devDependencies?.['aws-cdk'];
  if (!version || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw new Error(`${file} must pin devDependencies['aws-cdk'] to an exact version (set VERSIONS.cdkCli in projenrc/versions.ts and run npx projen), got '${version}'.`);
  }
  return version;
}
