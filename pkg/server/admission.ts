/**
 * Admission that needs more than one object: RBAC's privilege-escalation rule (a user may only
 * create or change a Role, ClusterRole or binding granting what they hold themselves, unless
 * they may `escalate` or `bind`), checked on every write of those kinds as Kubernetes does in
 * its RBAC storage.
 */
import type { KObject, ResourceDefinition, StrategyContext } from '../api/types.ts';
import type { ApiContext } from '../apiserver/handlers/context.ts';
import { storageKey } from '../apiserver/storage/codec.ts';
import { generateName } from '../apiserver/storage/meta.ts';
import type { ClusterAuthorizer } from '../auth/rbac/chain.ts';
import { apiErrors } from '../apiserver/errors.ts';
import { checkBindingWrite, checkRoleWrite, onlyGarbageCollectionFieldsChanged } from '../auth/rbac/escalation.ts';
import { RBAC_GROUP } from '../auth/rbac/types.ts';

export function rbacAdmission(authorizer: () => ClusterAuthorizer) {
  return (def: ResourceDefinition, obj: KObject, old: KObject | undefined, ctx: StrategyContext): void => {
    if (def.group !== RBAC_GROUP) return;
    if (old && onlyGarbageCollectionFieldsChanged(obj, old)) return;
    const a = authorizer();
    const namespace = obj.metadata.namespace ?? '';
    const name = obj.metadata.name ?? '';
    const requestName = old ? name : '';
    let refused;
    if (def.kind === 'Role' || def.kind === 'ClusterRole') {
      refused = checkRoleWrite(a, a.rbac.resolver, {
        user: ctx.user,
        kind: def.kind,
        namespace,
        name,
        requestName,
        rules: obj.rules ?? [],
        aggregationRule: obj.aggregationRule,
        oldAggregationRule: old?.aggregationRule,
      });
    } else if (def.kind === 'RoleBinding' || def.kind === 'ClusterRoleBinding') {
      refused = checkBindingWrite(a, a.rbac.resolver, { user: ctx.user, kind: def.kind, namespace, name, roleRef: obj.roleRef });
    }
    if (refused) throw refused;
  };
}

/**
 * DefaultStorageClass and DefaultIngressClass: a PersistentVolumeClaim or Ingress created
 * without a class gets the one marked default (the newest, if several are), as with
 * k3s's local-path StorageClass.
 */
export function defaultClassAdmission(ctx: ApiContext) {
  const newestDefault = (group: string, resource: string, annotation: string): string | undefined => {
    const def = ctx.table.get(group, 'v1', resource);
    if (!def) return undefined;
    const defaults = ctx.cache.list(def.storagePath).map((c) => c.obj).filter((o) => o.metadata.annotations?.[annotation] === 'true');
    defaults.sort((a, b) => (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') || (a.metadata.name! < b.metadata.name! ? -1 : 1));
    return defaults[0]?.metadata.name;
  };
  return (def: ResourceDefinition, obj: KObject, old: KObject | undefined): void => {
    if (old) return;
    if (def.group === '' && def.kind === 'PersistentVolumeClaim' && obj.spec && obj.spec.storageClassName === undefined) {
      const name = newestDefault('storage.k8s.io', 'storageclasses', 'storageclass.kubernetes.io/is-default-class');
      if (name) obj.spec.storageClassName = name;
    }
    if (def.group === 'networking.k8s.io' && def.kind === 'Ingress' && obj.spec && obj.spec.ingressClassName === undefined && !obj.metadata.annotations?.['kubernetes.io/ingress.class']) {
      const name = newestDefault('networking.k8s.io', 'ingressclasses', 'ingressclass.kubernetes.io/is-default-class');
      if (name) obj.spec.ingressClassName = name;
    }
  };
}

/**
 * StorageObjectInUseProtection: a new claim carries kubernetes.io/pvc-protection and a new
 * volume kubernetes.io/pv-protection from the start, so one deleted at once is still held
 * while in use (the protection controllers add them too, and take them off).
 */
export function storageProtectionAdmission() {
  return (def: ResourceDefinition, obj: KObject, old: KObject | undefined): void => {
    if (old || def.group !== '') return;
    const finalizer = def.kind === 'PersistentVolumeClaim' ? 'kubernetes.io/pvc-protection' : def.kind === 'PersistentVolume' ? 'kubernetes.io/pv-protection' : undefined;
    if (!finalizer) return;
    const list: string[] = (obj.metadata.finalizers ??= []);
    if (!list.includes(finalizer)) list.push(finalizer);
  };
}

/**
 * Priority: a new pod's spec.priority (and preemptionPolicy) come from its PriorityClass, or
 * from the globalDefault class (0 when there is none); a pod may not name a class that does
 * not exist nor set a priority of its own that disagrees, as the Priority admission plugin rules.
 */
export function priorityAdmission(ctx: ApiContext) {
  const classes = () => {
    const def = ctx.table.get('scheduling.k8s.io', 'v1', 'priorityclasses');
    return def ? ctx.cache.list(def.storagePath).map((c) => c.obj) : [];
  };
  return (def: ResourceDefinition, pod: KObject, old: KObject | undefined): void => {
    if (old || def.group !== '' || def.kind !== 'Pod' || !pod.spec) return;
    const spec = pod.spec;
    const all = classes();
    let chosen: KObject | undefined;
    if (spec.priorityClassName) {
      chosen = all.find((c) => c.metadata.name === spec.priorityClassName);
      if (!chosen) throw apiErrors.forbidden(`pods "${pod.metadata.name ?? pod.metadata.generateName ?? ''}" is forbidden: no PriorityClass with name ${spec.priorityClassName} was found`, { group: '', resource: 'pods' }, pod.metadata.name);
    } else {
      const defaults = all.filter((c) => c.globalDefault === true);
      defaults.sort((a, b) => (a.value ?? 0) - (b.value ?? 0));
      chosen = defaults[0];
      if (chosen) spec.priorityClassName = chosen.metadata.name;
    }
    const value: number = chosen?.value ?? 0;
    if (spec.priority !== undefined && spec.priority !== null && spec.priority !== value) {
      throw apiErrors.forbidden(`pods "${pod.metadata.name ?? ''}" is forbidden: the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`, { group: '', resource: 'pods' }, pod.metadata.name);
    }
    spec.priority = value;
    if (spec.preemptionPolicy === undefined) spec.preemptionPolicy = chosen?.preemptionPolicy ?? 'PreemptLowerPriority';
  };
}

export interface PodAdmissionOptions {
  notReadyTolerationSeconds: number;
  unreachableTolerationSeconds: number;
}

const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * Two default admission plugins for new pods. DefaultTolerationSeconds: pods tolerate a
 * not-ready or unreachable node for a while (300 s by default) before they are evicted from
 * it. ServiceAccount: the pod's service account token, the cluster CA and the namespace are
 * mounted at /var/run/secrets/kubernetes.io/serviceaccount through a projected volume
 * (kube-api-access-xxxxx), unless automounting is turned off on the pod or its account.
 */
export function podAdmission(ctx: ApiContext, opts: PodAdmissionOptions) {
  const accounts = () => ctx.table.get('', 'v1', 'serviceaccounts');
  return (def: ResourceDefinition, pod: KObject, old: KObject | undefined): void => {
    if (old || def.group !== '' || def.kind !== 'Pod' || !pod.spec) return;
    const spec = pod.spec;
    const tolerations: { key?: string; effect?: string }[] = spec.tolerations ?? [];
    for (const [key, seconds] of [['node.kubernetes.io/not-ready', opts.notReadyTolerationSeconds], ['node.kubernetes.io/unreachable', opts.unreachableTolerationSeconds]] as const) {
      if (tolerations.some((t) => t.key === key && (t.effect === undefined || t.effect === '' || t.effect === 'NoExecute'))) continue;
      tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds } as never);
    }
    spec.tolerations = tolerations;

    if (pod.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined) return;
    const saDef = accounts();
    const sa = saDef ? ctx.cache.get(saDef.storagePath, storageKey(saDef, pod.metadata.namespace!, spec.serviceAccountName ?? 'default'))?.obj : undefined;
    const automount = spec.automountServiceAccountToken ?? sa?.automountServiceAccountToken ?? true;
    if (!automount) return;
    const containers: { volumeMounts?: { mountPath: string }[] }[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
    if (containers.every((c) => (c.volumeMounts ?? []).some((m) => m.mountPath === TOKEN_MOUNT_PATH))) return;
    const name = generateName('kube-api-access-');
    spec.volumes = [...(spec.volumes ?? []), {
      name,
      projected: {
        defaultMode: 0o644,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    }];
    for (const c of containers) {
      if ((c.volumeMounts ?? []).some((m) => m.mountPath === TOKEN_MOUNT_PATH)) continue;
      c.volumeMounts = [...(c.volumeMounts ?? []), { name, readOnly: true, mountPath: TOKEN_MOUNT_PATH } as never];
    }
  };
}
