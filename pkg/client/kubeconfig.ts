/**
 * Credentials for the API client, given directly or read from a kubeconfig file (the
 * current context, or a named one). Inline *-data fields and file paths are both honoured;
 * relative paths are relative to the kubeconfig, as kubectl resolves them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

export interface ClientCredentials {
  /** https://host:port */
  server: string;
  /** PEM of the CA that signed the server's certificate; none means the system's roots. */
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  token?: string;
}

interface Named<T> {
  name: string;
  [k: string]: T | string;
}

interface KubeconfigFile {
  'current-context'?: string;
  clusters?: Named<{ server?: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string }>[];
  users?: Named<{ 'client-certificate-data'?: string; 'client-key-data'?: string; 'client-certificate'?: string; 'client-key'?: string; token?: string; tokenFile?: string }>[];
  contexts?: Named<{ cluster?: string; user?: string }>[];
}

export function loadKubeconfig(file: string, contextName?: string): ClientCredentials {
  const doc = (parse(fs.readFileSync(file, 'utf8')) ?? {}) as KubeconfigFile;
  const dir = path.dirname(path.resolve(file));
  const pick = <T>(list: Named<T>[] | undefined, name: string | undefined, what: string, field: string): T => {
    const entry = list?.find((e) => e.name === name);
    if (!entry) throw new Error(`kubeconfig ${file}: ${what} "${name ?? ''}" not found`);
    return (entry[field] ?? {}) as T;
  };
  const wanted = contextName ?? doc['current-context'];
  const context = pick(doc.contexts, wanted, 'context', 'context');
  const cluster = pick(doc.clusters, context.cluster, 'cluster', 'cluster');
  const user = context.user ? pick(doc.users, context.user, 'user', 'user') : {};
  if (!cluster.server) throw new Error(`kubeconfig ${file}: cluster "${context.cluster}" has no server`);
  const fromData = (data?: string) => (data ? Buffer.from(data, 'base64') : undefined);
  const fromFile = (p?: string) => (p ? fs.readFileSync(path.resolve(dir, p)) : undefined);
  const tokenFile = fromFile(user.tokenFile);
  return {
    server: cluster.server,
    ca: fromData(cluster['certificate-authority-data']) ?? fromFile(cluster['certificate-authority']),
    cert: fromData(user['client-certificate-data']) ?? fromFile(user['client-certificate']),
    key: fromData(user['client-key-data']) ?? fromFile(user['client-key']),
    token: user.token ?? tokenFile?.toString('utf8').trim(),
  };
}
