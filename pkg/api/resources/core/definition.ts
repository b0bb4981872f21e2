/**
 * How a core/v1 table entry is spelled out: the parts every core kind shares (group '',
 * version v1, list kind, singular, OpenAPI name, standard verbs). ObjectMeta is validated by
 * the generic store for every kind.
 */
import type { ResourceDefinition } from '../../types.ts';
import { STANDARD_VERBS } from '../common.ts';

export type CoreDefinitionParts = Pick<ResourceDefinition, 'kind' | 'plural' | 'namespaced' | 'strategy'> &
  Partial<Omit<ResourceDefinition, 'group' | 'version' | 'kind' | 'plural' | 'namespaced' | 'strategy'>>;


export function coreDefinition(parts: CoreDefinitionParts): ResourceDefinition {
  return {
    group: '',
    version: 'v1',
    listKind: `${parts.kind}List`,
    singular: parts.kind.toLowerCase(),
    verbs: STANDARD_VERBS,
    schema: `io.k8s.api.core.v1.${parts.kind}`,
    storagePath: parts.plural,
    ...parts,
  };
}
