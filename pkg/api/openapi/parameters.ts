/**
 * Query and path parameters of Kubernetes' REST operations, as its OpenAPI v3 documents list
 * them (inline, `schema` with `uniqueItems: true`). kubectl reads these: it only sends
 * fieldValidation=Strict when the PATCH operation of the kind lists `fieldValidation`.
 */

export interface Parameter {
  name: string;
  in: 'query' | 'path';
  description: string;
  required?: boolean;
  schema: { type: 'string' | 'integer' | 'boolean'; uniqueItems: true };
}

const CATALOG: Record<string, [Parameter['schema']['type'], string]> = {
  allowWatchBookmarks: ['boolean', 'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers may send them at their discretion; clients must not rely on their timing. Ignored when not watching.'],
  continue: ['string', 'The continue token of a previous list response, to fetch the next chunk of a paged list. Expired tokens answer 410 Gone.'],
  dryRun: ['string', 'When present, modifications are validated but not persisted. The only valid value is "All".'],
  fieldManager: ['string', 'fieldManager is the name of the actor making the change: at most 128 printable characters. Required for apply patches.'],
  fieldSelector: ['string', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'],
  fieldValidation: ['string', 'fieldValidation tells the server how to treat unknown and duplicate fields in the request body: Ignore (drop them), Warn (drop them and answer with a Warning header per field; the default), or Strict (fail the request with BadRequest).'],
  force: ['boolean', 'Force takes ownership of fields another manager owns when applying; it must be unset for non-apply patches.'],
  gracePeriodSeconds: ['integer', 'The duration in seconds before the object should be deleted: a non-negative integer, 0 meaning delete immediately. Defaults to the per-object value.'],
  ignoreStoreReadErrorWithClusterBreakingPotential: ['boolean', 'If set, an object that cannot be read from storage (corrupt or undecryptable) is deleted without running finalizers or admission. Dangerous; defaults to false.'],
  labelSelector: ['string', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'],
  limit: ['integer', 'limit is the maximum number of items to return in one list response; use the continue token of the response to fetch the rest.'],
  orphanDependents: ['boolean', 'Deprecated: use propagationPolicy. Whether dependent objects are orphaned.'],
  pretty: ['string', "If 'true', then the output is pretty printed."],
  propagationPolicy: ['string', "Whether and how garbage collection is performed: 'Orphan', 'Background' or 'Foreground'."],
  resourceVersion: ['string', 'resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.'],
  resourceVersionMatch: ['string', 'resourceVersionMatch determines how resourceVersion is applied to list calls: Exact or NotOlderThan.'],
  sendInitialEvents: ['boolean', 'With watch=true, begin the watch stream with synthetic ADDED events for the current state, followed by a BOOKMARK annotated "k8s.io/initial-events-end": "true". Requires resourceVersionMatch=NotOlderThan.'],
  timeoutSeconds: ['integer', 'Timeout for the list/watch call, regardless of any activity or inactivity.'],
  watch: ['boolean', 'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.'],
  // pods/log
  container: ['string', 'The container for which to stream logs (or which to exec or attach to). Defaults to the only container if there is one.'],
  follow: ['boolean', 'Follow the log stream of the pod. Defaults to false.'],
  insecureSkipTLSVerifyBackend: ['boolean', 'Do not verify the serving certificate of the kubelet the logs come from.'],
  limitBytes: ['integer', 'The number of bytes to read from the server before terminating the log output.'],
  previous: ['boolean', 'Return previous terminated container logs. Defaults to false.'],
  sinceSeconds: ['integer', 'A relative time in seconds before the current time from which to show logs.'],
  stream: ['string', 'Which container log stream to return: All, Stdout or Stderr. Defaults to All.'],
  tailLines: ['integer', 'If set, the number of lines from the end of the logs to show.'],
  timestamps: ['boolean', 'If true, add an RFC3339 timestamp at the beginning of every line of log output.'],
  // pods/exec, pods/attach, pods/portforward
  command: ['string', 'Command is the remote command to execute; one argument per command parameter.'],
  stdin: ['boolean', 'Redirect the standard input stream of the pod for this call. Defaults to false.'],
  stdout: ['boolean', 'Redirect the standard output stream of the pod for this call.'],
  stderr: ['boolean', 'Redirect the standard error stream of the pod for this call.'],
  tty: ['boolean', 'TTY if true indicates that a tty will be allocated for the call. Defaults to false.'],
  ports: ['integer', 'List of ports to forward.'],
  path: ['string', 'Path is the URL path to use for the current proxy request.'],
};

export function query(name: keyof typeof CATALOG & string): Parameter {
  const entry = CATALOG[name];
  if (!entry) throw new Error(`unknown parameter ${name}`);
  return { name, in: 'query', description: entry[1], schema: { type: entry[0], uniqueItems: true } };
}

export function pathParameter(name: 'name' | 'namespace' | 'path', kind: string): Parameter {
  const description = name === 'namespace'
    ? 'object name and auth scope, such as for teams and projects'
    : name === 'name' ? `name of the ${kind}` : 'path to the resource';
  return { name, in: 'path', description, required: true, schema: { type: 'string', uniqueItems: true } };
}

export const LIST_PARAMETERS = ['allowWatchBookmarks', 'continue', 'fieldSelector', 'labelSelector', 'limit',
  'resourceVersion', 'resourceVersionMatch', 'sendInitialEvents', 'timeoutSeconds', 'watch'];
export const WRITE_PARAMETERS = ['dryRun', 'fieldManager', 'fieldValidation'];
export const PATCH_PARAMETERS = [...WRITE_PARAMETERS, 'force'];
export const DELETE_PARAMETERS = ['dryRun', 'gracePeriodSeconds', 'ignoreStoreReadErrorWithClusterBreakingPotential',
  'orphanDependents', 'propagationPolicy'];
export const DELETE_COLLECTION_PARAMETERS = [...new Set([...DELETE_PARAMETERS, ...LIST_PARAMETERS.filter((p) => p !== 'watch' && p !== 'allowWatchBookmarks')])].sort();
export const LOG_PARAMETERS = ['container', 'follow', 'insecureSkipTLSVerifyBackend', 'limitBytes', 'previous',
  'sinceSeconds', 'stream', 'tailLines', 'timestamps'];
export const EXEC_PARAMETERS = ['command', 'container', 'stderr', 'stdin', 'stdout', 'tty'];
export const ATTACH_PARAMETERS = ['container', 'stderr', 'stdin', 'stdout', 'tty'];
