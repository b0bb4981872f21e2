/**
 * How a core/v1 table entry is spelled out: the parts every core kind shares (group '',
 * version v1, list kind, singular, OpenAPI name, standard verbs) and the ObjectMeta checks
 * every strategy runs before its own.
 */
import type { FieldError, KObject, ResourceDefinition, Strategy, StrategyContext } from '../../types.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from '../../validation/index.ts';
import { STANDARD_VERBS } from '../common.ts';

export type CoreDefinitionParts = Pick<ResourceDefinition, 'kind' | 'plural' | 'namespaced' | 'strategy'> &
  Partial<Omit<ResourceDefinition, 'group' | 'version' | 'kind' | 'plural' | 'namespaced' | 'strategy'>>;

/**
 * Labels, annotations, owner references and finalizers of every object, then the kind's own
 * checks. Name, generateName and namespace are the store's (Strategy.nameRule).
 */
export function withMetadataValidation(strategy: Strategy): Strategy {
  const own = strategy;
  return {
    ...own,
    validate(obj: KObject, ctx: StrategyContext): FieldError[] {
      return [...validateObjectMeta(obj.metadata), ...(own.validate?.(obj, ctx) ?? [])];
    },
    validateUpdate(obj: KObject, old: KObject, ctx: StrategyContext): FieldError[] {
      return [...validateObjectMetaUpdate(obj.metadata, old.metadata), ...(own.validateUpdate?.(obj, old, ctx) ?? [])];
    },
  };
}

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
    strategy: withMetadataValidation(parts.strategy),
  };
}
