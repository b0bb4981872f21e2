/**
 * Cluster plumbing: RBAC bindings, PriorityClass, Lease, RuntimeClass,
 * CertificateSigningRequest and admission configuration kinds.
 */
import type { KObject } from '../types.ts';
import { ageColumn, ageOf, col, conditionsOf, int, nameColumn, nameOf, printer, str, wide } from './columns.ts';
import { doc } from './descriptions.ts';
import { humanDuration } from './duration.ts';

interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}

/** rbac.SubjectsStrings: users, groups and "namespace/name" service accounts. */
function subjectColumns(subjects: Subject[] | undefined): string[] {
  const users: string[] = [];
  const groups: string[] = [];
  const serviceAccounts: string[] = [];
  for (const s of subjects ?? []) {
    if (s.kind === 'ServiceAccount') serviceAccounts.push(`${s.namespace ?? ''}/${s.name ?? ''}`);
    else if (s.kind === 'User') users.push(s.name ?? '');
    else if (s.kind === 'Group') groups.push(s.name ?? '');
  }
  return [users.join(', '), groups.join(', '), serviceAccounts.join(', ')];
}

function bindingPrinter(roleRefDoc: string, noun: string) {
  return printer(
    [
      nameColumn,
      col('Role', roleRefDoc),
      ageColumn,
      wide('Users', `Users in the ${noun}`),
      wide('Groups', `Groups in the ${noun}`),
      wide('ServiceAccounts', `ServiceAccounts in the ${noun}`),
    ],
    (binding, now) => [
      nameOf(binding),
      `${str(binding.roleRef?.kind)}/${str(binding.roleRef?.name)}`,
      ageOf(binding, now),
      ...subjectColumns(binding.subjects),
    ],
  );
}

export const roleBindingPrinter = bindingPrinter(doc.roleBindingRoleRef, 'roleBinding');
export const clusterRoleBindingPrinter = bindingPrinter(doc.clusterRoleBindingRoleRef, 'clusterRoleBinding');

export const priorityClassPrinter = printer(
  [
    nameColumn,
    col('Value', doc.pcValue, 'integer'),
    col('Global-Default', doc.pcGlobalDefault, 'boolean'),
    ageColumn,
    col('PreemptionPolicy', doc.pcPreemption),
  ],
  (pc, now) => [nameOf(pc), int(pc.value), pc.globalDefault === true, ageOf(pc, now), str(pc.preemptionPolicy)],
);

export const leasePrinter = printer(
  [nameColumn, col('Holder', doc.leaseHolder), ageColumn],
  (lease, now) => [nameOf(lease), str(lease.spec?.holderIdentity), ageOf(lease, now)],
);

/** Kubernetes describes the Handler column with ObjectMeta's doc for "handler", which is empty. */
export const runtimeClassPrinter = printer(
  [nameColumn, col('Handler', ''), ageColumn],
  (rc, now) => [nameOf(rc), str(rc.handler), ageOf(rc, now)],
);

/** Denied beats Approved; Failed and Issued are appended. */
function csrCondition(csr: KObject): string {
  const types = new Set(conditionsOf(csr.status).map((c) => c.type));
  let status = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) status += ',Failed';
  if (csr.status?.certificate) status += ',Issued';
  return status;
}

export const certificateSigningRequestPrinter = printer(
  [
    nameColumn,
    ageColumn,
    col('SignerName', doc.csrSigner),
    col('Requestor', doc.csrRequest),
    col('RequestedDuration', doc.csrExpiration),
    col('Condition', doc.csrConditions),
  ],
  (csr, now) => {
    const seconds = csr.spec?.expirationSeconds;
    return [
      nameOf(csr),
      ageOf(csr, now),
      csr.spec?.signerName || '<none>',
      str(csr.spec?.username),
      typeof seconds === 'number' ? humanDuration(seconds * 1000) : '<none>',
      csrCondition(csr),
    ];
  },
);

const webhooksColumn = col(
  'Webhooks',
  'Webhooks indicates the number of webhooks registered in this configuration',
  'integer',
);

export const webhookConfigurationPrinter = printer([nameColumn, webhooksColumn, ageColumn], (config, now) => [
  nameOf(config),
  (config.webhooks ?? []).length,
  ageOf(config, now),
]);

export const validatingAdmissionPolicyPrinter = printer(
  [
    nameColumn,
    col('Validations', 'Validations indicates the number of validation rules defined in this configuration', 'integer'),
    col('ParamKind', 'ParamKind specifies the kind of resources used to parameterize this policy'),
    ageColumn,
  ],
  (policy, now) => {
    const kind = policy.spec?.paramKind;
    return [
      nameOf(policy),
      (policy.spec?.validations ?? []).length,
      kind ? `${str(kind.apiVersion)}/${str(kind.kind)}` : '<unset>',
      ageOf(policy, now),
    ];
  },
);

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key?: string; operator?: string; values?: string[] }[];
}

/** The Go (gogo-protobuf) String() of a metav1.LabelSelector, which Kubernetes prints here. */
function goLabelSelectorString(selector: LabelSelector): string {
  const labels = selector.matchLabels ?? {};
  const labelText = Object.keys(labels)
    .sort()
    .map((k) => `${k}: ${labels[k]},`)
    .join('');
  const expressionText = (selector.matchExpressions ?? [])
    .map((e) => `LabelSelectorRequirement{Key:${e.key ?? ''},Operator:${e.operator ?? ''},Values:[${(e.values ?? []).join(' ')}],},`)
    .join('');
  return `&LabelSelector{MatchLabels:map[string]string{${labelText}},MatchExpressions:[]LabelSelectorRequirement{${expressionText}},}`;
}

function paramRefText(ref: { name?: string; namespace?: string; selector?: LabelSelector } | undefined): string {
  if (!ref) return '<unset>';
  // Without a namespace the param may be cluster-scoped; Kubernetes writes "*/" then.
  if (ref.name) return ref.namespace ? `${ref.namespace}/${ref.name}` : `*/${ref.name}`;
  if (ref.selector) return goLabelSelectorString(ref.selector);
  return '<unset>';
}

export const validatingAdmissionPolicyBindingPrinter = printer(
  [
    nameColumn,
    col('PolicyName', 'PolicyName indicates the policy definition which the policy binding binded to'),
    col('ParamRef', 'ParamRef indicates the param resource which sets the configration param'),
    ageColumn,
  ],
  (binding, now) => [nameOf(binding), str(binding.spec?.policyName), paramRefText(binding.spec?.paramRef), ageOf(binding, now)],
);
