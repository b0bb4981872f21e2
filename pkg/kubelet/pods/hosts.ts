/**
 * The /etc/hosts the kubelet manages for a pod (DATA_DIR/agent/pods/<uid>/etc-hosts, mounted
 * into every container): localhost entries, the pod's own address under its hostname (and
 * FQDN when it has a subdomain, as StatefulSet pods behind a headless Service do), then
 * spec.hostAliases. A host-network pod gets the node's hosts file plus its aliases.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { KObject } from '../../api/types.ts';
import type { Mount } from '../runtime.ts';
import { podHostname } from './sandbox.ts';

const MANAGED_HEADER = '# Kubernetes-managed hosts file.\n';
const LOCALHOST_ENTRIES = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet', 'fe00::0\tip6-mcastprefix', 'fe00::1\tip6-allnodes', 'fe00::2\tip6-allrouters'];

export function etcHostsPath(dataDir: string, uid: string): string {
  return path.join(dataDir, 'agent', 'pods', uid, 'etc-hosts');
}

function aliases(pod: KObject): string {
  const list = (pod.spec?.hostAliases ?? []) as { ip: string; hostnames?: string[] }[];
  if (list.length === 0) return '';
  return `\n# Entries added by HostAliases.\n${list.map((a) => `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`).join('')}`;
}

/** The file's content; `nodeHosts` is the node's /etc/hosts (used for the host network). */
export function etcHostsContent(pod: KObject, podIP: string, clusterDomain: string, nodeHosts: string): string {
  if (pod.spec?.hostNetwork) return `# Kubernetes-managed hosts file (host network).\n${nodeHosts}${nodeHosts.endsWith('\n') || !nodeHosts ? '' : '\n'}${aliases(pod)}`;
  const hostname = podHostname(pod);
  const subdomain = pod.spec?.subdomain as string | undefined;
  const names = subdomain ? `${hostname}.${subdomain}.${pod.metadata.namespace}.svc.${clusterDomain}\t${hostname}` : hostname;
  return `${MANAGED_HEADER}${LOCALHOST_ENTRIES.join('\n')}\n${podIP}\t${names}\n${aliases(pod)}`;
}

/**
 * Writes the pod's hosts file when its content changed and answers the mount for it; none when
 * the pod has no address yet (Kubernetes mounts it only then).
 */
export async function ensureEtcHosts(dataDir: string, pod: KObject, podIP: string, clusterDomain: string): Promise<Mount | undefined> {
  if (!podIP) return undefined;
  const file = etcHostsPath(dataDir, pod.metadata.uid!);
  const nodeHosts = pod.spec?.hostNetwork ? await fs.readFile('/etc/hosts', 'utf8').catch(() => '') : '';
  const content = etcHostsContent(pod, podIP, clusterDomain, nodeHosts);
  const current = await fs.readFile(file, 'utf8').catch(() => undefined);
  if (current !== content) {
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(`${file}.tmp`, content, { mode: 0o644 });
    await fs.rename(`${file}.tmp`, file);
  }
  return { containerPath: '/etc/hosts', hostPath: file, readonly: false, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' };
}
