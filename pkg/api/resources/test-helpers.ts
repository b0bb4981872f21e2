/** Shared by the resource tests: a strategy context and the messages kubectl would print. */
import { fieldErrorMessage } from '../../apiserver/errors.ts';
import type { FieldError, KObject, Strategy, StrategyContext } from '../types.ts';

export function context(subresource = '', username = 'admin', groups = ['system:masters']): StrategyContext {
  return { user: { username, groups }, now: new Date('2026-01-02T03:04:05Z'), dryRun: false, subresource };
}

export const messages = (errors: FieldError[]): string[] => errors.map(fieldErrorMessage);

/** What the store does on create: defaults, create preparation, validation. */
export function create(strategy: Strategy, obj: KObject, ctx = context()): { obj: KObject; errors: string[] } {
  strategy.defaults?.(obj);
  void strategy.prepareForCreate?.(obj, ctx);
  return { obj, errors: messages(strategy.validate?.(obj, ctx) ?? []) };
}

/** What the store does on update: defaults, update preparation, update validation. */
export function update(strategy: Strategy, obj: KObject, old: KObject, ctx = context()): { obj: KObject; errors: string[] } {
  strategy.defaults?.(obj);
  void strategy.prepareForUpdate?.(obj, old, ctx);
  return { obj, errors: messages(strategy.validateUpdate?.(obj, old, ctx) ?? []) };
}
