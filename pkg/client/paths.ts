/** REST paths of the Kubernetes API, built from the parts a controller knows. */
export interface ResourceRef {
  /** '' or absent for the core group. */
  group?: string;
  version: string;
  /** Plural resource name: pods, deployments, leases. */
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export function resourcePath(ref: ResourceRef): string {
  let p = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  if (ref.namespace) p += `/namespaces/${encodeURIComponent(ref.namespace)}`;
  p += `/${ref.resource}`;
  if (ref.name !== undefined) p += `/${encodeURIComponent(ref.name)}`;
  if (ref.subresource) {
    if (ref.name === undefined) throw new Error(`subresource ${ref.subresource} needs a name`);
    p += `/${ref.subresource}`;
  }
  return p;
}

/** `?a=1&b=2` from the defined values only; '' when none. */
export function queryString(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Appends a query string to a path that may already carry one. */
export function withQuery(p: string, params: Record<string, string | number | boolean | undefined>): string {
  const q = queryString(params);
  if (!q) return p;
  return p.includes('?') ? `${p}&${q.slice(1)}` : `${p}${q}`;
}
