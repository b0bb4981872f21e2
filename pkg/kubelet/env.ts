/**
 * A container's environment as kubelet computes it (makeEnvironmentVariables): envFrom sources
 * first, then env in declaration order, each value expanded against what came before and the
 * service variables; then the service variables not overridden. valueFrom reads configmaps,
 * secrets, pod fields and container resources. A required key or object that is missing is a
 * CreateContainerConfigError for the pod worker (EnvError); envFrom keys that are not valid
 * variable names are skipped with a Warning event, as Kubernetes does.
 */
import type { KObject } from '../api/types.ts';
import type { EventSink } from '../client/events.ts';
import type { EnvResolver as PodEnv, KeyValue } from './runtime.ts';
import { podFieldValue, resourceFieldValue, type Allocatable, type ContainerSpec } from './volumes/downward.ts';
import { secretData, type ObjectReader } from './volumes/objects.ts';

/** The pod cannot start this container yet: its worker reports CreateContainerConfigError with this message. */
export class EnvError extends Error {
  readonly reason = 'CreateContainerConfigError';
}

export interface EnvResolverDeps {
  objects: ObjectReader;
  /** Services of a namespace (a services informer's namespace index). */
  services: (namespace: string) => KObject[];
  allocatable: Allocatable;
  recorder?: EventSink;
  /** Where the `kubernetes` service lives (Kubernetes' masterServiceNamespace). */
  masterServiceNamespace?: string;
}

/**
 * Kubernetes' $(VAR) expansion: a defined variable is replaced, an undefined one is left as
 * written, `$$` is a literal `$`, any other `$x` stays as it is.
 */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) continue;
    out += input.slice(checkpoint, cursor);
    const next = input[cursor + 1];
    if (next === '$') {
      out += '$';
      cursor += 1;
    } else if (next === '(') {
      const close = input.indexOf(')', cursor + 2);
      if (close < 0) {
        out += '$(';
        cursor += 1;
      } else {
        const name = input.slice(cursor + 2, close);
        out += lookup(name) ?? `$(${name})`;
        cursor = close;
      }
    } else {
      out += `$${next}`;
      cursor += 1;
    }
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}

/**
 * kubelet's check of envFrom keys (utilvalidation.IsEnvVarName): letters, digits, '-', '.',
 * '_', not starting with a digit, and not '.', '..' or '..'-prefixed.
 */
export function isEnvVarName(name: string): boolean {
  return /^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(name) && name !== '.' && !name.startsWith('..');
}

const serviceVarName = (name: string) => name.toUpperCase().replace(/-/g, '_');

function isServiceIpSet(svc: KObject): boolean {
  const ip = svc.spec?.clusterIP;
  return typeof ip === 'string' && ip !== '' && ip !== 'None';
}

/** The variables Kubernetes derives from services (envvars.FromServices): *_SERVICE_HOST/PORT and the Docker-link style *_PORT_* set. */
export function serviceEnv(services: KObject[]): KeyValue[] {
  const out: KeyValue[] = [];
  for (const svc of services) {
    if (!isServiceIpSet(svc)) continue;
    const name = serviceVarName(svc.metadata.name!);
    const ip: string = svc.spec.clusterIP;
    const ports: { name?: string; port: number; protocol?: string }[] = svc.spec.ports ?? [];
    out.push({ key: `${name}_SERVICE_HOST`, value: ip });
    if (ports.length === 0) continue;
    out.push({ key: `${name}_SERVICE_PORT`, value: String(ports[0]!.port) });
    for (const p of ports) if (p.name) out.push({ key: `${name}_SERVICE_PORT_${serviceVarName(p.name)}`, value: String(p.port) });
    const host = ip.includes(':') ? `[${ip}]` : ip;
    const url = (p: (typeof ports)[number]) => `${(p.protocol ?? 'TCP').toLowerCase()}://${host}:${p.port}`;
    out.push({ key: `${name}_PORT`, value: url(ports[0]!) });
    for (const p of ports) {
      const prefix = `${name}_PORT_${p.port}_${(p.protocol ?? 'TCP').toUpperCase()}`;
      out.push({ key: prefix, value: url(p) }, { key: `${prefix}_PROTO`, value: (p.protocol ?? 'TCP').toLowerCase() }, { key: `${prefix}_PORT`, value: String(p.port) }, { key: `${prefix}_ADDR`, value: ip });
    }
  }
  return out;
}

export class EnvResolver implements PodEnv {
  constructor(private readonly deps: EnvResolverDeps) {}

  /**
   * The environment of `container` in `pod`. status.podIP(s) and status.hostIP(s) are read from
   * the pod given: the worker passes the pod with the sandbox's addresses filled in.
   */
  async envFor(pod: KObject, spec: Record<string, unknown>): Promise<KeyValue[]> {
    const container = spec as ContainerSpec;
    const namespace = pod.metadata.namespace!;
    const services = new Map(serviceEnv(this.servicesFor(pod)).map((v) => [v.key, v.value]));
    const env = new Map<string, string>();
    for (const source of (container.envFrom ?? []) as KObject[]) await this.addEnvFrom(pod, source, env);
    const lookup = (name: string) => env.get(name) ?? services.get(name);
    for (const v of (container.env ?? []) as KObject[]) {
      if (v.value !== undefined && v.value !== '') {
        env.set(v.name, expand(v.value, lookup));
        continue;
      }
      if (!v.valueFrom) {
        env.set(v.name, '');
        continue;
      }
      const value = await this.valueFrom(pod, container, namespace, v.valueFrom).catch((err: Error) => {
        throw err instanceof EnvError ? err : new EnvError(`env ${v.name}: ${err.message}`);
      });
      if (value !== undefined) env.set(v.name, value);
    }
    const out: KeyValue[] = [...env].map(([key, value]) => ({ key, value }));
    for (const [key, value] of services) if (!env.has(key)) out.push({ key, value });
    return out;
  }

  /** The `kubernetes` service always; the pod's namespace's services unless enableServiceLinks is false. */
  private servicesFor(pod: KObject): KObject[] {
    const master = this.deps.masterServiceNamespace ?? 'default';
    const byName = new Map<string, KObject>();
    for (const svc of this.deps.services(master)) if (svc.metadata.name === 'kubernetes' && isServiceIpSet(svc)) byName.set('kubernetes', svc);
    // A service of the pod's own namespace wins over the master service of the same name.
    if (pod.spec?.enableServiceLinks !== false) {
      for (const svc of this.deps.services(pod.metadata.namespace!)) if (isServiceIpSet(svc)) byName.set(svc.metadata.name!, svc);
    }
    return [...byName.values()];
  }

  private async addEnvFrom(pod: KObject, source: KObject, env: Map<string, string>): Promise<void> {
    const namespace = pod.metadata.namespace!;
    const ref = source.configMapRef ?? source.secretRef;
    if (!ref) return;
    const kind = source.configMapRef ? 'configmap' : 'secret';
    const obj = kind === 'configmap' ? await this.deps.objects.configMap(namespace, ref.name) : await this.deps.objects.secret(namespace, ref.name);
    if (!obj) {
      if (ref.optional) return;
      throw new EnvError(`${kind} "${ref.name}" not found`);
    }
    const data: [string, string][] = kind === 'configmap'
      ? Object.entries((obj.data ?? {}) as Record<string, string>)
      : [...secretData(obj)].map(([k, v]) => [k, v.toString('utf8')]);
    const invalid: string[] = [];
    for (const [key, value] of data) {
      const name = `${source.prefix ?? ''}${key}`;
      if (!isEnvVarName(name)) invalid.push(name);
      else env.set(name, value);
    }
    if (invalid.length > 0) {
      const what = kind === 'configmap' ? 'configMap' : 'secret';
      this.deps.recorder?.event(pod, 'Warning', 'InvalidEnvironmentVariableNames', `Keys [${invalid.sort().join(', ')}] from the EnvFrom ${what} ${namespace}/${ref.name} were skipped since they are considered invalid environment variable names.`);
    }
  }

  /** undefined: an optional source that is absent (the variable is not set). */
  private async valueFrom(pod: KObject, container: ContainerSpec, namespace: string, from: KObject): Promise<string | undefined> {
    if (from.fieldRef) return podFieldValue(pod, from.fieldRef.fieldPath);
    if (from.resourceFieldRef) return resourceFieldValue(pod, from.resourceFieldRef, this.deps.allocatable, container.name);
    const cmRef = from.configMapKeyRef;
    if (cmRef) {
      const cm = await this.deps.objects.configMap(namespace, cmRef.name);
      if (!cm) return missing(cmRef.optional, `configmap "${cmRef.name}" not found`);
      const value = (cm.data as Record<string, string> | undefined)?.[cmRef.key];
      return value ?? missing(cmRef.optional, `couldn't find key ${cmRef.key} in ConfigMap ${namespace}/${cmRef.name}`);
    }
    const secretRef = from.secretKeyRef;
    if (secretRef) {
      const secret = await this.deps.objects.secret(namespace, secretRef.name);
      if (!secret) return missing(secretRef.optional, `secret "${secretRef.name}" not found`);
      const value = secretData(secret).get(secretRef.key);
      return value?.toString('utf8') ?? missing(secretRef.optional, `couldn't find key ${secretRef.key} in Secret ${namespace}/${secretRef.name}`);
    }
    throw new EnvError(`unsupported valueFrom source: ${Object.keys(from).join(', ')}`);
  }
}

function missing(optional: boolean | undefined, message: string): undefined {
  if (optional) return undefined;
  throw new EnvError(message);
}
