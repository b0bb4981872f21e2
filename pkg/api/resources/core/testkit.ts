/** Fakes for strategy tests: a context and an in-memory lookup over stored objects. */
import type { GroupVersionResource, KObject, ObjectLookup, StrategyContext } from '../../types.ts';
import { fieldErrorMessage } from '../../../apiserver/errors.ts';
import type { FieldError } from '../../types.ts';

export function fakeLookup(objects: Record<string, KObject[]> = {}): ObjectLookup & { add(resource: string, obj: KObject): void } {
  return {
    get: (r: GroupVersionResource, ns: string, name: string) =>
      (objects[r.resource] ?? []).find((o) => o.metadata.name === name && (o.metadata.namespace ?? '') === ns),
    list: (r: GroupVersionResource, ns?: string) => (objects[r.resource] ?? []).filter((o) => ns === undefined || o.metadata.namespace === ns),
    add(resource: string, obj: KObject) {
      (objects[resource] ??= []).push(obj);
    },
  };
}

export function ctx(overrides: Partial<StrategyContext> = {}): StrategyContext {
  return { user: { username: 'admin', groups: ['system:masters'] }, now: new Date('2026-01-02T03:04:05.678Z'), dryRun: false, subresource: '', ...overrides };
}

export const messages = (errs: FieldError[]): string[] => errs.map(fieldErrorMessage);
