import { AddressInfo } from 'net';

/** A running in-memory Kinesis emulator (kinesalite). */
export interface KinesisEmulator {
  /** The endpoint URL, e.g. `http://127.0.0.1:4567`. */
  readonly endpoint: string;
  /** Stops the emulator and frees its port. */
  stop(): Promise<void>;
}

/**
 * Starts kinesalite in memory on a free loopback port. Stream creation and
 * deletion take a few milliseconds instead of kinesalite's default half second.
 */
export async function startKinesisEmulator(): Promise<KinesisEmulator> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const kinesalite = require('kinesalite') as (options: Record<string, unknown>) => import('http').Server;
  const server = kinesalite({ createStreamMs: 5, deleteStreamMs: 5, updateStreamMs: 5, shardLimit: 100 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
