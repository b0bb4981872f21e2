/**
 * metrics.k8s.io/v1beta1, the resource metrics API that metrics-server serves in Kubernetes
 * (through an APIService) and that `kubectl top` and the HorizontalPodAutoscaler read:
 * NodeMetrics and PodMetrics, get and list only, computed on request from the kubelets'
 * /metrics/resource and never stored (the API server answers them with a read-only handler,
 * pkg/apiserver/metrics). Their tables are metrics-server's: name, cpu, memory and window.
 */
import { nameColumn, nameOf } from '../../printers/columns.ts';
import type { KObject, PrinterColumn, ResourceDefinition, TablePrinter } from '../../types.ts';
import { addQuantities, formatQuantity, parseQuantity, type Quantity } from '../../validation/quantity.ts';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';

const usageColumns: PrinterColumn[] = [
  { name: 'cpu', type: 'string', format: 'quantity', description: '', priority: 0 },
  { name: 'memory', type: 'string', format: 'quantity', description: '', priority: 0 },
  { name: 'Window', type: 'string', format: 'duration', description: '', priority: 0 },
];

type Usage = Record<string, string>;

/** A pod's usage is the sum of its containers', as metrics-server's table shows it. */
function podUsage(obj: KObject): Usage {
  const sums = new Map<string, Quantity>();
  for (const c of (obj.containers ?? []) as { usage?: Usage }[]) {
    for (const [resource, value] of Object.entries(c.usage ?? {})) {
      const q = parseQuantity(value);
      const sum = sums.get(resource);
      sums.set(resource, sum ? addQuantities(sum, q) : q);
    }
  }
  return Object.fromEntries([...sums].map(([r, q]) => [r, formatQuantity(q)]));
}

function usagePrinter(usage: (obj: KObject) => Usage): TablePrinter {
  return {
    columns: [nameColumn, ...usageColumns],
    row: (obj) => {
      const u = usage(obj);
      return [nameOf(obj), u.cpu ?? '0', u.memory ?? '0', obj.window ?? ''];
    },
  };
}

function metricsDefinition(kind: 'NodeMetrics' | 'PodMetrics', plural: 'nodes' | 'pods', namespaced: boolean, printer: TablePrinter): ResourceDefinition {
  return {
    group: METRICS_GROUP,
    version: METRICS_VERSION,
    kind,
    listKind: `${kind}List`,
    plural,
    // metrics-server lists no singular names: kubectl then guesses them from the kinds, which is
    // what makes `kubectl get podmetrics` and `kubectl get nodemetrics` work.
    singular: '',
    namespaced,
    verbs: ['get', 'list'],
    schema: `io.k8s.metrics.pkg.apis.metrics.v1beta1.${kind}`,
    strategy: {},
    printer,
    storagePath: `${METRICS_GROUP}/${plural}`,
    virtual: true,
  };
}

export function metricsResources(): ResourceDefinition[] {
  return [
    metricsDefinition('NodeMetrics', 'nodes', false, usagePrinter((obj) => obj.usage ?? {})),
    metricsDefinition('PodMetrics', 'pods', true, usagePrinter(podUsage)),
  ];
}
