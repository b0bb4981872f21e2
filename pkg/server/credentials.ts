/**
 * The server's credentials on disk: PKI in server/tls, the admin kubeconfig in
 * server/cred/admin.kubeconfig (and --write-kubeconfig), and the join token in
 * server/node-token (K10<CA hash>::server:<secret>), as k3s lays them out.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { ServerConfig } from '../cli/commands.ts';
import type { DataDirLayout } from '../datadir/layout.ts';
import { readIfExists, writeFileAtomic } from '../auth/files.ts';
import { writeKubeconfig } from '../auth/kubeconfig.ts';
import type { ServingSanOptions } from '../auth/sans.ts';
import { ensureServerPki, type ServerPki } from '../auth/serverpki.ts';
import { formatJoinToken } from '../auth/token.ts';

export interface ServerCredentials {
  pki: ServerPki;
  /** The secret half of the join token (--token, or generated once and kept). */
  secret: string;
  joinToken: string;
}

/** Addresses of this machine that clients may use, for the serving certificate. */
export function hostAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && a.family === 'IPv4') out.push(a.address);
  }
  return out;
}

/** What kubeconfigs point at: loopback when bound to all addresses, else the bind address. */
export function kubeconfigServer(config: ServerConfig, port: number): string {
  const host = config.bindAddress === '0.0.0.0' || config.bindAddress === '::' ? '127.0.0.1' : config.bindAddress;
  return `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The names the serving certificate must carry, from the flags and this machine's addresses. */
export function servingSanOptions(config: ServerConfig): ServingSanOptions {
  const nodeIps = [...new Set([config.advertiseAddress, config.agent?.nodeIp, ...hostAddresses()].filter((a): a is string => !!a))];
  return {
    sans: [...config.tlsSans, ...(config.bindAddress !== '0.0.0.0' && config.bindAddress !== '::' ? [config.bindAddress] : [])],
    clusterDomain: config.clusterDomain,
    serviceCidr: config.serviceCidr,
    nodeIps,
  };
}

export async function ensureCredentials(config: ServerConfig, layout: DataDirLayout): Promise<ServerCredentials> {
  const pki = await ensureServerPki(layout.server.tls, servingSanOptions(config));
  const tokenFile = path.join(layout.server.root, 'token');
  let secret = config.token ?? readIfExists(tokenFile)?.trim();
  if (!secret) secret = crypto.randomBytes(16).toString('hex');
  if (readIfExists(tokenFile)?.trim() !== secret) writeFileAtomic(tokenFile, `${secret}\n`, 0o600);
  const joinToken = formatJoinToken(pki.serverCa.certPem, secret);
  const nodeTokenFile = path.join(layout.server.root, 'node-token');
  if (readIfExists(nodeTokenFile)?.trim() !== joinToken) writeFileAtomic(nodeTokenFile, `${joinToken}\n`, 0o600);
  return { pki, secret, joinToken };
}

/** Written once the port is known (it may be ephemeral in tests). Returns the admin kubeconfig's path. */
export function writeAdminKubeconfigs(config: ServerConfig, layout: DataDirLayout, pki: ServerPki, port: number): string {
  const kube = { server: kubeconfigServer(config, port), caPem: pki.serverCa.certPem, certPem: pki.admin.certPem, keyPem: pki.admin.keyPem };
  const adminKubeconfig = path.join(layout.server.cred, 'admin.kubeconfig');
  writeKubeconfig(adminKubeconfig, kube, 0o600);
  if (config.writeKubeconfig) writeKubeconfig(config.writeKubeconfig, kube, config.writeKubeconfigMode);
  return adminKubeconfig;
}
