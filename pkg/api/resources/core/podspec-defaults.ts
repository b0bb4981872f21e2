/**
 * Defaults of pod specs as Kubernetes' core/v1 SetDefaults_* apply them to every PodSpec,
 * wherever it sits (pods, templates of workloads). Pod-only defaults live in pod.ts.
 */
import { defaultField, ensureObject } from '../common.ts';
import { canonicalizeResourceList } from './resourcelist.ts';
import type { Obj } from './shape.ts';

const VOLUME_DEFAULT_MODE = 420; // 0644

/** The tag of an image reference; '' when only a digest pins it, 'latest' when none is given. */
export function imageTag(image: string): string {
  const withoutDigest = image.split('@')[0]!;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  if (colon >= 0) return withoutDigest.slice(colon + 1);
  return image.includes('@') ? '' : 'latest';
}

function defaultProbe(probe: Obj | undefined): void {
  if (!probe || typeof probe !== 'object') return;
  for (const [key, value] of [['timeoutSeconds', 1], ['periodSeconds', 10], ['successThreshold', 1], ['failureThreshold', 3]] as const) {
    if (!probe[key]) probe[key] = value;
  }
  defaultHandler(probe);
  if (probe.grpc && typeof probe.grpc === 'object') defaultField(probe.grpc, 'service', '');
}

/** Probe and lifecycle handlers share HTTPGetAction defaults. */
function defaultHandler(handler: Obj | undefined): void {
  const httpGet = handler?.httpGet;
  if (!httpGet || typeof httpGet !== 'object') return;
  if (!httpGet.path) httpGet.path = '/';
  if (!httpGet.scheme) httpGet.scheme = 'HTTP';
}

function defaultEnvSources(container: Obj): void {
  for (const env of Array.isArray(container.env) ? container.env : []) {
    const fieldRef = env?.valueFrom?.fieldRef;
    if (fieldRef && typeof fieldRef === 'object' && !fieldRef.apiVersion) fieldRef.apiVersion = 'v1';
    const resourceFieldRef = env?.valueFrom?.resourceFieldRef;
    if (resourceFieldRef && typeof resourceFieldRef === 'object') defaultField(resourceFieldRef, 'divisor', '0');
  }
}

/** SetDefaults_Container; also used for init and ephemeral containers. */
export function defaultContainer(container: Obj): void {
  if (!container || typeof container !== 'object') return;
  if (!container.imagePullPolicy) {
    container.imagePullPolicy = imageTag(String(container.image ?? '')) === 'latest' ? 'Always' : 'IfNotPresent';
  }
  if (!container.terminationMessagePath) container.terminationMessagePath = '/dev/termination-log';
  if (!container.terminationMessagePolicy) container.terminationMessagePolicy = 'File';
  for (const port of Array.isArray(container.ports) ? container.ports : []) {
    if (port && typeof port === 'object' && !port.protocol) port.protocol = 'TCP';
  }
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) defaultProbe(container[probe]);
  defaultHandler(container.lifecycle?.postStart);
  defaultHandler(container.lifecycle?.preStop);
  defaultEnvSources(container);
  if (container.resources && typeof container.resources === 'object') {
    canonicalizeResourceList(container.resources.limits);
    canonicalizeResourceList(container.resources.requests);
  }
}

function defaultItemsVolume(source: Obj | undefined): void {
  if (source && typeof source === 'object') defaultField(source, 'defaultMode', VOLUME_DEFAULT_MODE);
}

/** Volume sources with a default: emptyDir when none is named, file modes, token expiry. */
export function defaultVolume(volume: Obj): void {
  if (!volume || typeof volume !== 'object') return;
  const sources = Object.keys(volume).filter((k) => k !== 'name' && volume[k] !== null && volume[k] !== undefined);
  if (sources.length === 0) volume.emptyDir = {};
  defaultItemsVolume(volume.secret);
  defaultItemsVolume(volume.configMap);
  defaultItemsVolume(volume.downwardAPI);
  defaultItemsVolume(volume.projected);
  for (const item of volume.downwardAPI?.items ?? []) if (item?.fieldRef && !item.fieldRef.apiVersion) item.fieldRef.apiVersion = 'v1';
  for (const source of volume.projected?.sources ?? []) {
    if (source?.serviceAccountToken) defaultField(source.serviceAccountToken, 'expirationSeconds', 3600);
    for (const item of source?.downwardAPI?.items ?? []) if (item?.fieldRef && !item.fieldRef.apiVersion) item.fieldRef.apiVersion = 'v1';
  }
  if (volume.hostPath && typeof volume.hostPath === 'object') defaultField(volume.hostPath, 'type', '');
  if (volume.emptyDir?.sizeLimit !== undefined) canonicalizeResourceList(volume.emptyDir, false);
}

/** With hostNetwork a container port is also the host port. */
function defaultHostNetworkPorts(containers: unknown): void {
  for (const c of Array.isArray(containers) ? containers : []) {
    for (const port of Array.isArray(c?.ports) ? c.ports : []) {
      if (port && !port.hostPort) port.hostPort = port.containerPort;
    }
  }
}

/** SetDefaults_PodSpec and the per-container, per-volume defaults under it. */
export function defaultPodSpec(spec: Obj): void {
  if (!spec || typeof spec !== 'object') return;
  if (!spec.dnsPolicy) spec.dnsPolicy = 'ClusterFirst';
  if (!spec.restartPolicy) spec.restartPolicy = 'Always';
  if (spec.hostNetwork === true) {
    defaultHostNetworkPorts(spec.containers);
    defaultHostNetworkPorts(spec.initContainers);
  }
  defaultField(spec, 'securityContext', {});
  defaultField(spec, 'terminationGracePeriodSeconds', 30);
  if (!spec.schedulerName) spec.schedulerName = 'default-scheduler';
  // The deprecated serviceAccount field mirrors serviceAccountName, as v1 conversion does.
  if (!spec.serviceAccountName && spec.serviceAccount) spec.serviceAccountName = spec.serviceAccount;
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
    for (const c of Array.isArray(spec[key]) ? spec[key] : []) defaultContainer(c);
  }
  for (const v of Array.isArray(spec.volumes) ? spec.volumes : []) defaultVolume(v);
  canonicalizeResourceList(spec.overhead);
  if (spec.resources && typeof spec.resources === 'object') {
    canonicalizeResourceList(spec.resources.limits);
    canonicalizeResourceList(spec.resources.requests);
  }
}

/** A template's spec gets the PodSpec defaults; its metadata none. */
export function defaultPodTemplateSpec(template: Obj): void {
  if (!template || typeof template !== 'object') return;
  defaultPodSpec(ensureObject(template, 'spec'));
}
