/**
 * Kubeconfig files, shaped as k3s writes them: one cluster, user and context, each named
 * `default`, credentials inline as base64 `*-data` fields.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { writeFileAtomic } from './files.ts';

export interface KubeconfigOptions {
  /** e.g. https://127.0.0.1:6443 */
  server: string;
  /** The CA that signed the server's serving certificate. */
  caPem: string;
  certPem: string;
  keyPem: string;
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

export function renderKubeconfig(opts: KubeconfigOptions): string {
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'default', cluster: { server: opts.server, 'certificate-authority-data': b64(opts.caPem) } }],
    users: [
      { name: 'default', user: { 'client-certificate-data': b64(opts.certPem), 'client-key-data': b64(opts.keyPem) } },
    ],
    contexts: [{ name: 'default', context: { cluster: 'default', user: 'default' } }],
    'current-context': 'default',
    preferences: {},
  }, { lineWidth: 0 });
}

/**
 * Writes the kubeconfig atomically with `mode` (default 0600: it holds a private key). The
 * parent folder is created if missing (as for --write-kubeconfig ~/.kube/config).
 */
export function writeKubeconfig(file: string, opts: KubeconfigOptions, mode: number = 0o600): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, renderKubeconfig(opts), mode);
}
