/**
 * authorization.k8s.io/v1.
 * Field numbers, JSON names and Go field shapes follow Kubernetes' types (see ../messages.ts).
 */
import type { ApiPackage } from '../registry.ts';

export const authorization: ApiPackage = {
  name: 'authorization',
  apiVersions: ['authorization.k8s.io/v1'],
  fallbacks: ['meta', 'core'],
  kinds: 'SubjectAccessReview SelfSubjectAccessReview LocalSubjectAccessReview SelfSubjectRulesReview',
  messages: `
SubjectAccessReview: 1 metadata ObjectMeta, 2 spec SubjectAccessReviewSpec, 3 status SubjectAccessReviewStatus
SelfSubjectAccessReview: 1 metadata ObjectMeta, 2 spec SelfSubjectAccessReviewSpec, 3 status SubjectAccessReviewStatus
LocalSubjectAccessReview: 1 metadata ObjectMeta, 2 spec SubjectAccessReviewSpec, 3 status SubjectAccessReviewStatus
ResourceAttributes: 1 namespace, 2 verb, 3 group, 4 version, 5 resource, 6 subresource, 7 name, 8 fieldSelector *FieldSelectorAttributes, 9 labelSelector *LabelSelectorAttributes
LabelSelectorAttributes: 1 rawSelector, 2 requirements []LabelSelectorRequirement
FieldSelectorAttributes: 1 rawSelector, 2 requirements []FieldSelectorRequirement
NonResourceAttributes: 1 path, 2 verb
SubjectAccessReviewSpec: 1 resourceAttributes *ResourceAttributes, 2 nonResourceAttributes *NonResourceAttributes, 3 user, 4 groups []s, 5 extra {}ExtraValue, 6 uid
SelfSubjectAccessReviewSpec: 1 resourceAttributes *ResourceAttributes, 2 nonResourceAttributes *NonResourceAttributes
SubjectAccessReviewStatus: 1 allowed! b, 4 denied b, 2 reason, 3 evaluationError
SelfSubjectRulesReview: 1 metadata ObjectMeta, 2 spec SelfSubjectRulesReviewSpec, 3 status SubjectRulesReviewStatus
SelfSubjectRulesReviewSpec: 1 namespace
SubjectRulesReviewStatus: 1 resourceRules []ResourceRule, 2 nonResourceRules []NonResourceRule, 3 incomplete! b, 4 evaluationError
ResourceRule: 1 verbs []s, 2 apiGroups []s, 3 resources []s, 4 resourceNames []s
NonResourceRule: 1 verbs []s, 2 nonResourceURLs []s
`,
};
