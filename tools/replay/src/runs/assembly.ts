import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AssemblyStack } from '@freshet/cost';
import { AslDefinition } from '@freshet/test-utils';
import { S3Store } from '../jobs/s3-store';

/**
 * Puts every CDK file asset the definition names (`s3://cdk-<qualifier>-assets-<account>-<region>/<hash>.zip`,
 * e.g. the job scripts) into moto, from the cloud assembly: the zip as built, or the asset folder zipped as
 * the CDK zips it for upload.
 */
export async function uploadAssets(definition: AslDefinition, stack: AssemblyStack, s3: S3Store): Promise<string[]> {
  const uris = [...new Set(JSON.stringify(definition).match(/s3:\/\/cdk-[a-z0-9]+-assets-[^/"]+\/[0-9a-f]{64}\.zip/g) ?? [])];
  const dirs = [stack.assemblyDir, path.dirname(stack.assemblyDir)];
  for (const uri of uris) {
    const hash = /([0-9a-f]{64})\.zip$/.exec(uri)![1];
    const zip = dirs.map((d) => path.join(d, `asset.${hash}.zip`)).find((f) => fs.existsSync(f));
    const folder = dirs.map((d) => path.join(d, `asset.${hash}`)).find((f) => fs.existsSync(f) && fs.statSync(f).isDirectory());
    let body: Buffer;
    if (zip) {body = fs.readFileSync(zip);} else if (folder) {
      const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'replay-asset-')), 'asset.zip');
      execFileSync('zip', ['-q', '-r', '-X', tmp, '.'], { cwd: folder });
      body = fs.readFileSync(tmp);
      fs.rmSync(path.dirname(tmp), { recursive: true, force: true });
    } else {
      throw new Error(`The asset ${hash} the state machine reads (${uri}) is not in the cloud assembly ${stack.assemblyDir}: synthesize the app again.`);
    }
    await s3.put(uri, body);
  }
  return uris;
}
