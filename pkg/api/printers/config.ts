/**
 * Namespaces and the objects that configure them: ConfigMap, Secret, ServiceAccount,
 * ResourceQuota, plus ComponentStatus.
 */
import { ageColumn, ageOf, col, nameColumn, nameOf, printer, str } from './columns.ts';
import { doc } from './descriptions.ts';
import { quantityString } from './quantity.ts';

function count(map: unknown): number {
  return map && typeof map === 'object' ? Object.keys(map).length : 0;
}

export const namespacePrinter = printer(
  [nameColumn, col('Status', 'The status of the namespace'), ageColumn],
  (ns, now) => [nameOf(ns), str(ns.status?.phase), ageOf(ns, now)],
);

export const configMapPrinter = printer(
  [nameColumn, col('Data', doc.configMapData), ageColumn],
  (cm, now) => [nameOf(cm), count(cm.data) + count(cm.binaryData), ageOf(cm, now)],
);

export const secretPrinter = printer(
  [nameColumn, col('Type', doc.secretType), col('Data', doc.secretData), ageColumn],
  (secret, now) => [nameOf(secret), str(secret.type), count(secret.data), ageOf(secret, now)],
);

export const serviceAccountPrinter = printer(
  [nameColumn, col('Secrets', doc.saSecrets), ageColumn],
  (sa, now) => [nameOf(sa), Array.isArray(sa.secrets) ? sa.secrets.length : 0, ageOf(sa, now)],
);

/**
 * REQUEST and LIMIT: "resource: used/hard" for every hard limit, sorted by name; names
 * starting with "limits." go to LIMIT, everything else to REQUEST.
 */
function quotaColumns(status: { hard?: Record<string, string>; used?: Record<string, string> } | undefined) {
  const hard = status?.hard ?? {};
  const used = status?.used ?? {};
  const request: string[] = [];
  const limit: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const text = `${name}: ${quantityString(used[name])}/${quantityString(hard[name])}`;
    const pieces = name.split('.');
    (pieces.length > 1 && pieces[0] === 'limits' ? limit : request).push(text);
  }
  return [request.join(', '), limit.join(', ')];
}

export const resourceQuotaPrinter = printer(
  [
    nameColumn,
    col('Request', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    col(
      'Limit',
      'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
    ),
    ageColumn,
  ],
  (quota, now) => [nameOf(quota), ...quotaColumns(quota.status), ageOf(quota, now)],
);

export const componentStatusPrinter = printer(
  [
    nameColumn,
    col('Status', 'Status of the component conditions'),
    col('Message', 'Message of the component conditions'),
    col('Error', 'Error of the component conditions'),
  ],
  (cs) => {
    const healthy = (cs.conditions ?? []).find((c: { type?: string }) => c.type === 'Healthy');
    if (!healthy) return [nameOf(cs), 'Unknown', '', ''];
    return [nameOf(cs), healthy.status === 'True' ? 'Healthy' : 'Unhealthy', str(healthy.message), str(healthy.error)];
  },
);
