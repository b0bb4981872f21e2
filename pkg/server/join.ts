/**
 * A server joining an HA cluster: `tsk server --server https://FIRST:6443 --token TOKEN
 * --datastore-endpoint etcd://…`. At its first start it fetches the cluster's shared secrets
 * from a running server's supervisor, as k3s's `--server` join does (GET
 * /v1-k3s/server-bootstrap there, /v1-tsk/server-bootstrap here):
 *
 *   server CA (cert + key)      so its own serving certificate is one agents already trust
 *   client CA (cert + key)      so each server accepts the others' client certificates
 *   service-account key         so tokens one server issues verify on every server
 *
 * The join secret is the token's own; tsk has no request-header (front-proxy) CA. The first
 * server's CA is checked against the token's hash before anything is sent (the agent's join,
 * pkg/agent/bootstrap.ts), and the secrets come over TLS verified against that CA with the
 * join secret as credentials. They are written to this server's DATA_DIR/server/tls, after
 * which ensureServerPki issues this server's own serving and client certificates from them:
 * a restart needs neither the first server nor --server again.
 *
 * Why not k3s's other way (the bootstrap data in the datastore, encrypted with a key derived
 * from the token): it puts the CA keys into every datastore snapshot and backup under a
 * secret that is often short, and the `--server` join is what the issue asks for. The cost: a
 * server's first start needs one other server running.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fetchServerBootstrap, fetchServerCa, JoinError } from '../agent/bootstrap.ts';
import { retryWhileUnavailable } from '../agent/join.ts';
import { readIfExists, writeFileAtomic } from '../auth/files.ts';
import { keyMatchesCert } from '../auth/keys.ts';
import { parseAgentJoinToken } from '../auth/node/token.ts';
import { PKI_FILES, type ServerPki } from '../auth/serverpki.ts';
import { SERVICE_KEY_FILE, type ServiceAccountKey } from '../auth/serviceaccount/key.ts';
import { caHash } from '../auth/token.ts';
import type { ServerConfig } from '../cli/commands.ts';
import type { DataDirLayout } from '../datadir/layout.ts';
import { logger } from '../log/log.ts';

const log = logger('server');

/** What /v1-tsk/server-bootstrap answers (JSON). */
export interface ServerBootstrap {
  serverCa: { cert: string; key: string };
  clientCa: { cert: string; key: string };
  serviceAccountKey: string;
}

export function serverBootstrapOf(pki: Pick<ServerPki, 'serverCa' | 'clientCa'>, saKey: ServiceAccountKey): ServerBootstrap {
  return {
    serverCa: { cert: pki.serverCa.certPem, key: pki.serverCa.keyPem },
    clientCa: { cert: pki.clientCa.certPem, key: pki.clientCa.keyPem },
    serviceAccountKey: saKey.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

function parseBootstrap(text: string, server: string): ServerBootstrap {
  const bad = (why: string) => new JoinError(`the server at ${server} served unusable cluster certificates: ${why}`);
  let parsed: ServerBootstrap;
  try {
    parsed = JSON.parse(text) as ServerBootstrap;
  } catch (err) {
    throw bad((err as Error).message);
  }
  for (const ca of ['serverCa', 'clientCa'] as const) {
    const pair = parsed?.[ca];
    if (typeof pair?.cert !== 'string' || typeof pair.key !== 'string') throw bad(`${ca} is missing`);
    if (!keyMatchesCert(pair.key, pair.cert)) throw bad(`the ${ca} key is not its certificate's`);
  }
  if (typeof parsed.serviceAccountKey !== 'string') throw bad('the service-account key is missing');
  return parsed;
}

/**
 * With --server: makes sure DATA_DIR/server/tls holds the cluster's CAs and keys (fetching
 * them at the first start), and answers the config with --token reduced to the join secret
 * (ensureCredentials keeps the secret, not the whole token). Without --server: the config as is.
 */
export async function joinCluster(config: ServerConfig, layout: DataDirLayout): Promise<ServerConfig> {
  if (config.server === undefined || config.token === undefined) return config;
  const token = parseAgentJoinToken(config.token);
  if (!token) throw new JoinError('--token: must be the join token from the first server\'s DATA_DIR/server/node-token (K10<ca hash>::server:<secret>)');
  const joined = { ...config, token: token.password };
  const tls = layout.server.tls;
  const caFile = path.join(tls, `${PKI_FILES.serverCa}.crt`);
  const existing = readIfExists(caFile);
  if (existing !== undefined) {
    // A restart: the CA was fetched before. One from another cluster would split it in two.
    if (token.caHash !== undefined && caHash(existing) !== token.caHash) {
      throw new JoinError(`--token: ${caFile} is the CA of another cluster (sha256 ${caHash(existing)}, the token expects ${token.caHash}); use a fresh --data-dir to join this one`);
    }
    return joined;
  }
  const server = config.server;
  log.info(`joining the cluster of ${server}: fetching its CAs and service-account key`);
  const bootstrap = await retryWhileUnavailable(async () => {
    const ca = await fetchServerCa(server, token, (hash) => log.warn(`the token carries no CA hash: trusting the server's CA as first seen (sha256 ${hash})`));
    const fetched = parseBootstrap(await fetchServerBootstrap(server, ca, token), server);
    if (fetched.serverCa.cert !== ca) throw new JoinError(`the server at ${server} served a server CA that is not the one it presents`);
    return fetched;
  }, new Promise<never>(() => {}));
  if (!bootstrap) throw new JoinError(`could not join the cluster of ${server}`);
  fs.mkdirSync(tls, { recursive: true, mode: 0o700 });
  const write = (name: string, cert: string, key: string) => {
    // Key first, as ensureServerPki writes pairs: a crash in between leaves no certificate without its key.
    writeFileAtomic(path.join(tls, `${name}.key`), key, 0o600);
    writeFileAtomic(path.join(tls, `${name}.crt`), cert, 0o644);
  };
  writeFileAtomic(path.join(tls, SERVICE_KEY_FILE), bootstrap.serviceAccountKey, 0o600);
  write(PKI_FILES.clientCa, bootstrap.clientCa.cert, bootstrap.clientCa.key);
  // The server CA last: its presence is what marks the join as done.
  write(PKI_FILES.serverCa, bootstrap.serverCa.cert, bootstrap.serverCa.key);
  log.info(`joined the cluster of ${server}: its CAs and service-account key are in ${tls}`);
  return joined;
}
