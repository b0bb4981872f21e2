/**
 * The supervisor's answer to an agent asking for its kubelet's certificates (k3s's
 * /v1-k3s/client-kubelet.crt and serving-kubelet.crt): the caller has already proven the join
 * secret; here the node name and password headers are checked, then
 *
 *   client   CN system:node:<name>, O system:nodes, signed by the client CA: the kubelet's
 *            identity towards the API server (the node authorizer keys on it)
 *   serving  CN <name>, SANs the node name, its IPs, localhost and 127.0.0.1, signed by the
 *            server CA: what the kubelet's HTTPS API presents to the API server
 *
 * Answer bodies are the certificate then the key, PEM, as for the other supervisor certificates.
 */
import net from 'node:net';
import { issueClientCert, issueServingCert, type CertKey } from '../pki.ts';
import { canonicalIp } from '../sans.ts';
import { ensureNodePassword, NodePasswordRefused, type NodePasswordSecrets } from './password.ts';
import { NODE_USER_PREFIX, NODES_GROUP } from './identity.ts';

/** Request headers an agent sends with its certificate requests. */
export const NODE_NAME_HEADER = 'tsk-node-name';
export const NODE_PASSWORD_HEADER = 'tsk-node-password';
/** Comma-separated IPs for the serving certificate's SANs. */
export const NODE_IP_HEADER = 'tsk-node-ip';

export type KubeletCertKind = 'client' | 'serving';

export interface KubeletCertAuthorities {
  clientCa: CertKey;
  serverCa: CertKey;
}

export interface Answer {
  status: number;
  body: string;
}

/** A node name is a DNS subdomain: it becomes a Secret name and a certificate SAN. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function header(headers: Record<string, string | string[] | undefined>, name: string): string {
  const v = headers[name];
  return (Array.isArray(v) ? v[0] : v)?.trim() ?? '';
}

export function kubeletClientCert(clientCa: CertKey, nodeName: string): Promise<CertKey> {
  return issueClientCert(clientCa, { commonName: `${NODE_USER_PREFIX}${nodeName}`, groups: [NODES_GROUP] });
}

export function kubeletServingCert(serverCa: CertKey, nodeName: string, ips: readonly string[]): Promise<CertKey> {
  const allIps = [...new Set([...ips.map(canonicalIp), '127.0.0.1'])];
  return issueServingCert(serverCa, { commonName: nodeName, dnsNames: [...new Set([nodeName, 'localhost'])], ips: allIps });
}

/** Checks the node headers and password, then issues the certificate (400/403 answers say why not). */
export async function answerKubeletCertRequest(
  kind: KubeletCertKind,
  headers: Record<string, string | string[] | undefined>,
  cas: KubeletCertAuthorities,
  passwords: NodePasswordSecrets,
): Promise<Answer> {
  const nodeName = header(headers, NODE_NAME_HEADER);
  const password = header(headers, NODE_PASSWORD_HEADER);
  if (nodeName.length > 200 || !DNS_SUBDOMAIN.test(nodeName)) {
    return { status: 400, body: `the ${NODE_NAME_HEADER} header must be a node name (a lower-case DNS subdomain), got "${nodeName.slice(0, 64)}"\n` };
  }
  if (password === '') return { status: 400, body: `the ${NODE_PASSWORD_HEADER} header is required\n` };
  const ips = header(headers, NODE_IP_HEADER).split(',').map((s) => s.trim()).filter((s) => s !== '');
  const badIp = ips.find((ip) => net.isIP(ip) === 0);
  if (badIp !== undefined) return { status: 400, body: `the ${NODE_IP_HEADER} header must list IP addresses, got "${badIp}"\n` };
  try {
    await ensureNodePassword(passwords, nodeName, password);
  } catch (err) {
    if (err instanceof NodePasswordRefused) return { status: 403, body: `${err.message}\n` };
    throw err;
  }
  const issued = kind === 'client' ? await kubeletClientCert(cas.clientCa, nodeName) : await kubeletServingCert(cas.serverCa, nodeName, ips);
  return { status: 200, body: issued.certPem + issued.keyPem };
}
