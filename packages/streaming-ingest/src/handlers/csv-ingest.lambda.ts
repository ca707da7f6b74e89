// Placeholder: the CSV ingest handler is being written.
export async function handler(): Promise<void> {
  throw new Error('not implemented');
}
