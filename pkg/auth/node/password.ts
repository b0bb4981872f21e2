/**
 * Node passwords, as k3s has them: an agent makes up a random password once and sends it with
 * every request for its node's certificates. The first request for a node name stores a hash
 * of it in the Secret kube-system/<node>.node-password.tsk; later requests for that name must
 * bring the same password, so a second machine cannot take over a registered node's name.
 * The Secret goes away with the Node (see NodePasswordCleanup), which frees the name.
 */
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import type { KObject } from '../../api/types.ts';

export const NODE_PASSWORD_NAMESPACE = 'kube-system';
export const NODE_PASSWORD_SECRET_TYPE = 'tsk.io/node-password';

const scrypt = promisify(crypto.scrypt) as (password: string, salt: Buffer, keylen: number, options: crypto.ScryptOptions) => Promise<Buffer>;
/** scrypt's recommended interactive cost: ~50 ms per check, paid once per certificate request. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LENGTH = 32;

export function nodePasswordSecretName(nodeName: string): string {
  return `${nodeName}.node-password.tsk`;
}

/** `scrypt$N$r$p$<salt base64>$<hash base64>`: the parameters travel with the hash. */
export async function hashNodePassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(password, salt, KEY_LENGTH, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyNodePassword(password: string, encoded: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = encoded.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const wanted = Buffer.from(hash, 'base64');
  const given = await scrypt(password, Buffer.from(salt, 'base64'), wanted.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return given.length === wanted.length && crypto.timingSafeEqual(given, wanted);
}

/** Where the hashes live: the API server's store, read and written as the system. */
export interface NodePasswordSecrets {
  /** Read from the datastore, not a cache: a create that just happened must be seen. */
  read(namespace: string, name: string): Promise<KObject | undefined>;
  /** False when a Secret of that name exists already. */
  create(secret: KObject): Promise<boolean>;
  delete(namespace: string, name: string): Promise<void>;
}

/** A request for a node name that another password holds. */
export class NodePasswordRefused extends Error {
  constructor(readonly nodeName: string) {
    super(
      `node "${nodeName}" is already registered with another node password: choose another --node-name, ` +
        `or delete the Node (kubectl delete node ${nodeName}) to free the name`,
    );
  }
}

function storedHash(secret: KObject): string {
  return Buffer.from(String(secret.data?.hash ?? ''), 'base64').toString('utf8');
}

/**
 * Stores the password's hash for a new node name, or checks it against the stored one; throws
 * NodePasswordRefused on a mismatch. Two concurrent first requests (an agent asks for its two
 * certificates at once) both end up checking against whichever create won.
 */
export async function ensureNodePassword(secrets: NodePasswordSecrets, nodeName: string, password: string): Promise<'stored' | 'verified'> {
  const name = nodePasswordSecretName(nodeName);
  let existing = await secrets.read(NODE_PASSWORD_NAMESPACE, name);
  if (!existing) {
    const secret: KObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: NODE_PASSWORD_NAMESPACE },
      type: NODE_PASSWORD_SECRET_TYPE,
      immutable: true,
      data: { hash: Buffer.from(await hashNodePassword(password)).toString('base64') },
    };
    if (await secrets.create(secret)) return 'stored';
    existing = await secrets.read(NODE_PASSWORD_NAMESPACE, name);
    if (!existing) throw new Error(`the node password of "${nodeName}" was created and deleted at once; try again`);
  }
  if (await verifyNodePassword(password, storedHash(existing))) return 'verified';
  throw new NodePasswordRefused(nodeName);
}

/**
 * Deleting a Node frees its name: its password Secret goes too, as k3s's node controller does.
 * `onNodeDeleted` is fed from the API server's watch cache.
 */
export function nodePasswordCleanup(secrets: NodePasswordSecrets, onError: (nodeName: string, err: Error) => void) {
  return (nodeName: string): void => {
    secrets.delete(NODE_PASSWORD_NAMESPACE, nodePasswordSecretName(nodeName)).catch((err: Error) => onError(nodeName, err));
  };
}
