import * as path from 'path';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';

/** The job script a {@link GlueEtl} runs: the package's own, or one you bring. */
export class GlueJobScript {
  /** The script shipped in this package (`scripts/` in the npm tarball). */
  public static packaged(): GlueJobScript {
    const scripts = path.join(__dirname, '..', 'scripts');
    return new GlueJobScript(
      glue.Code.fromAsset(path.join(scripts, GlueJobScript.PACKAGED_ENTRY_POINT)),
      [glue.Code.fromAsset(path.join(scripts, GlueJobScript.PACKAGED_MODULES))],
    );
  }

  /** A script file on disk, uploaded as an asset, with optional extra Python files or zips. */
  public static fromAsset(scriptPath: string, extraPythonFilePaths?: string[]): GlueJobScript {
    return new GlueJobScript(glue.Code.fromAsset(scriptPath), (extraPythonFilePaths ?? []).map((p) => glue.Code.fromAsset(p)));
  }

  /** A script already in S3. */
  public static fromBucket(bucket: s3.IBucket, key: string): GlueJobScript {
    return new GlueJobScript(glue.Code.fromBucket(bucket, key), []);
  }

  /** The entry point of the packaged script, relative to `scripts/`. */
  private static readonly PACKAGED_ENTRY_POINT = 'glue_job.py';
  /** The packaged modules the entry point imports, shipped as `--extra-py-files`. */
  private static readonly PACKAGED_MODULES = 'python';

  private constructor(
    /** The entry point. */
    public readonly code: glue.Code,
    /** Modules the entry point imports. */
    public readonly extraPythonFiles: glue.Code[],
  ) {}
}
