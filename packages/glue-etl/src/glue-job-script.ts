import * as fs from 'fs';
import * as path from 'path';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';

/** A job script bound to the stack that runs it. */
export interface BoundGlueJobScript {
  /** The entry point. */
  readonly code: glue.Code;
  /** Modules the entry point imports (`--extra-py-files`). */
  readonly extraPythonFiles: glue.Code[];
}

/** The job script a {@link GlueEtl} runs: the package's own, or one you bring. */
export class GlueJobScript {
  /** The script shipped in this package (`scripts/` in the npm tarball). */
  public static packaged(): GlueJobScript {
    const scripts = path.join(__dirname, '..', 'scripts');
    return GlueJobScript.fromAsset(path.join(scripts, GlueJobScript.PACKAGED_ENTRY_POINT), [path.join(scripts, GlueJobScript.PACKAGED_MODULES)]);
  }

  /**
   * A script file on disk, uploaded as an asset, with optional extra Python
   * files: `.py` or `.zip` files, or folders of packages (zipped at synth).
   */
  public static fromAsset(scriptPath: string, extraPythonFilePaths?: string[]): GlueJobScript {
    return new GlueJobScript((scope) => ({
      code: glue.Code.fromAsset(scriptPath),
      extraPythonFiles: (extraPythonFilePaths ?? []).map((p, i) => extraPythonFile(scope, `ExtraPythonFiles${i}`, p)),
    }));
  }

  /** A script already in S3. */
  public static fromBucket(bucket: s3.IBucket, key: string): GlueJobScript {
    return new GlueJobScript(() => ({ code: glue.Code.fromBucket(bucket, key), extraPythonFiles: [] }));
  }

  /** The entry point of the packaged script, relative to `scripts/`. */
  private static readonly PACKAGED_ENTRY_POINT = 'glue_job.py';
  /** The folder of packaged modules the entry point imports, zipped and shipped as `--extra-py-files`. */
  private static readonly PACKAGED_MODULES = 'python';

  private constructor(private readonly binder: (scope: Construct) => BoundGlueJobScript) {}

  /** Binds the script to the construct that runs it (folders become zip assets in its stack). */
  public bind(scope: Construct): BoundGlueJobScript {
    return this.binder(scope);
  }
}

/** glue.Code takes files only; a folder of packages becomes a zip asset, which Glue puts on the job's Python path. */
function extraPythonFile(scope: Construct, id: string, filePath: string): glue.Code {
  if (!fs.statSync(filePath).isDirectory()) {
    return glue.Code.fromAsset(filePath);
  }
  const asset = new s3assets.Asset(scope, id, { path: filePath, exclude: ['**/__pycache__', '**/*.pyc'] });
  return glue.Code.fromBucket(asset.bucket, asset.s3ObjectKey);
}
