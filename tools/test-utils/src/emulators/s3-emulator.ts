import { mkdtempSync, rmSync } from 'fs';
import { AddressInfo } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';

/** A running local S3 (s3rver) backed by a temporary directory. */
export interface S3Emulator {
  /** The endpoint URL, e.g. `http://127.0.0.1:4568`. An IP host makes SDK v3 use path-style addressing. */
  readonly endpoint: string;
  /** Stops the server and deletes its directory. */
  stop(): Promise<void>;
}

/** Starts s3rver on a free loopback port with the given buckets created. */
export async function startS3Emulator(bucketNames: string[]): Promise<S3Emulator> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('s3rver') as new (options: Record<string, unknown>) => {
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  };
  const directory = mkdtempSync(join(tmpdir(), 'freshet-s3-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: bucketNames.map((name) => ({ name })),
  });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
