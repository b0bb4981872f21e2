/** What the two per-namespace publishers share. */
import type { KObject } from '../../api/types.ts';
import type { Client } from '../../client/client.ts';
import { isClientError } from '../../client/errors.ts';

/** A namespace that exists and is not being deleted (content made there would be refused). */
export function isLive(ns: KObject | undefined): boolean {
  return !!ns && !ns.metadata.deletionTimestamp && (ns as { status?: { phase?: string } }).status?.phase !== 'Terminating';
}

/**
 * Creates `obj`; a lagging cache makes us try to create what exists, and a namespace may start
 * terminating meanwhile: both are the outcome the next event settles, not failures.
 */
export async function createIgnoringRaces(client: Client, path: string, obj: KObject): Promise<void> {
  try {
    await client.create(path, obj);
  } catch (err) {
    if (isClientError(err, 'AlreadyExists') || isClientError(err, 'NotFound')) return;
    if (isClientError(err, 'Forbidden') && /terminat/i.test(err.message)) return;
    throw err;
  }
}
