/**
 * The CRI sandbox of a pod: its hostname, resolv.conf, host ports, log directory, cgroup
 * parent and Linux namespaces, labelled so the agent finds it again after a restart.
 */
import path from 'node:path';
import type { KObject } from '../../api/types.ts';
import type { NamespaceOption, PodSandboxConfig, PortMapping, SecurityProfile } from '../runtime.ts';
import { podDnsConfig, type ClusterDns } from './dns.ts';
import { podLabels, type ContainerSpec } from './labels.ts';
import { cgroupParent, qosClass, type CgroupDriver } from './resources.ts';
import type { DNSConfig } from '../runtime.ts';

export interface SandboxSettings {
  dataDir: string;
  dns: ClusterDns;
  hostDns: DNSConfig;
  cgroupDriver: CgroupDriver;
  cgroupRoot: string;
}

const MAX_HOSTNAME = 63;

/** DATA_DIR/agent/logs/pods/<namespace>_<name>_<uid>: where the pod's container logs go. */
export function podLogDirectory(dataDir: string, meta: { namespace?: string; name?: string; uid?: string }): string {
  const { namespace, name, uid } = meta;
  return path.join(dataDir, 'agent', 'logs', 'pods', `${namespace}_${name}_${uid}`);
}

/** Init, regular and ephemeral containers: every name the pod's containers can have. */
export function allContainers(pod: KObject): ContainerSpec[] {
  const list = (field: string) => (pod.spec?.[field] as ContainerSpec[] | undefined) ?? [];
  return [...list('initContainers'), ...list('containers'), ...list('ephemeralContainers')];
}

/** spec.hostname or the pod's name, cut to a DNS label (Kubernetes' GeneratePodHostNameAndDomain). */
export function podHostname(pod: KObject): string {
  const name = (pod.spec?.hostname as string | undefined) || pod.metadata.name!;
  return name.length <= MAX_HOSTNAME ? name : name.slice(0, MAX_HOSTNAME).replace(/[-.]+$/, '');
}

/** The pod's namespaces; pid is per container unless the pod shares it or uses the host's. */
export function namespaceOptions(pod: KObject): NamespaceOption {
  const spec = pod.spec ?? {};
  return {
    network: spec.hostNetwork ? 'NODE' : 'POD',
    pid: spec.hostPID ? 'NODE' : spec.shareProcessNamespace ? 'POD' : 'CONTAINER',
    ipc: spec.hostIPC ? 'NODE' : 'POD',
  };
}

/** A pod or container seccompProfile as a CRI SecurityProfile. */
export function seccompProfile(profile: { type?: string; localhostProfile?: string } | undefined): SecurityProfile | undefined {
  if (!profile?.type) return undefined;
  if (profile.type === 'Localhost') return { profileType: 'Localhost', localhostRef: profile.localhostProfile ?? '' };
  return { profileType: profile.type === 'RuntimeDefault' ? 'RuntimeDefault' : 'Unconfined' };
}

/** The pod's supplementalGroups and its fsGroup: the groups of every container's first process. */
export function podSupplementalGroups(pod: KObject): number[] {
  const sc = pod.spec?.securityContext ?? {};
  return [...((sc.supplementalGroups as number[] | undefined) ?? []), ...(sc.fsGroup !== undefined ? [sc.fsGroup as number] : [])];
}

function portMappings(pod: KObject): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of allContainers(pod)) {
    for (const p of (c.ports ?? []) as { containerPort: number; hostPort?: number; protocol?: string; hostIP?: string }[]) {
      if (!p.hostPort) continue;
      out.push({ protocol: (p.protocol ?? 'TCP') as PortMapping['protocol'], containerPort: p.containerPort, hostPort: p.hostPort, ...(p.hostIP ? { hostIp: p.hostIP } : {}) });
    }
  }
  return out;
}

export function sandboxConfig(pod: KObject, attempt: number, settings: SandboxSettings): PodSandboxConfig {
  const spec = pod.spec ?? {};
  const podSc = (spec.securityContext ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const { name, namespace, uid } = pod.metadata as { name: string; namespace: string; uid: string };
  const supplementalGroups = podSupplementalGroups(pod);
  const seccomp = seccompProfile(podSc.seccompProfile);
  return {
    metadata: { name, namespace, uid, attempt },
    // The host network keeps the node's hostname.
    ...(spec.hostNetwork ? {} : { hostname: podHostname(pod) }),
    logDirectory: podLogDirectory(settings.dataDir, pod.metadata),
    dnsConfig: podDnsConfig(pod, settings.dns, settings.hostDns),
    portMappings: portMappings(pod),
    labels: { ...(pod.metadata.labels ?? {}), ...podLabels(pod) },
    annotations: { ...(pod.metadata.annotations ?? {}) },
    linux: {
      cgroupParent: cgroupParent(pod, qosClass(pod), settings.cgroupDriver, settings.cgroupRoot),
      securityContext: {
        namespaceOptions: namespaceOptions(pod),
        ...(podSc.runAsUser !== undefined ? { runAsUser: { value: podSc.runAsUser } } : {}),
        ...(podSc.runAsGroup !== undefined ? { runAsGroup: { value: podSc.runAsGroup } } : {}),
        ...(supplementalGroups.length ? { supplementalGroups } : {}),
        privileged: allContainers(pod).some((c) => c.securityContext?.privileged === true),
        ...(seccomp ? { seccomp } : {}),
      },
      sysctls: Object.fromEntries(((podSc.sysctls ?? []) as { name: string; value: string }[]).map((s) => [s.name, s.value])),
    },
  };
}
