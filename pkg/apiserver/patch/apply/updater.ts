/**
 * structured-merge-diff's Updater: who owns what after an update or an apply. Changed fields
 * move to the writer; an apply owns exactly the fields of its configuration, prunes what it
 * owned before and no longer sets (unless someone else owns it), and conflicts with other
 * managers whose fields it would change.
 */
import type { SchemaNode } from '../../../api/schema.ts';
import type { Json } from '../../../api/types.ts';
import { deepEqual } from '../json.ts';
import { FieldSet, type Path } from './fieldpath.ts';
import type { Managed, ManagerId } from './managed.ts';
import type { SchemaTypes } from './schema-type.ts';
import { toFieldSet } from './typed.ts';
import { compare, merge, removeItems, type Comparison } from './typed-ops.ts';

export interface Conflict {
  manager: ManagerId;
  path: Path;
}

export class ConflictsError extends Error {
  override name = 'ConflictsError';
  constructor(readonly conflicts: Conflict[]) {
    super(`${conflicts.length} conflict(s)`);
  }
}

export interface UpdaterContext {
  types: SchemaTypes;
  root: SchemaNode | undefined;
  apiVersion: string;
  /** Fields no manager owns through this endpoint (e.g. status on the main resource). */
  ignored: FieldSet;
}

/** Update: the writer (managed[key], created if needed) takes every field it added or changed. */
export function updateOwnership(ctx: UpdaterContext, live: Json, next: Json, managed: Managed, key: string, id: ManagerId): void {
  const comparison = reconcile(ctx, live, next, managed, key, true);
  const previous = managed.get(key)?.set ?? new FieldSet();
  const set = previous.difference(comparison.removed).union(comparison.modified).union(comparison.added).recursiveDifference(ctx.ignored);
  if (set.isEmpty()) managed.delete(key);
  else managed.set(key, { id, set, apiVersion: ctx.apiVersion, time: managed.get(key)?.time });
}

/**
 * Apply: returns the merged object, or null when nothing changed; throws ConflictsError
 * unless forced. `managed` is updated in place.
 */
export function applyOwnership(ctx: UpdaterContext, live: Json, config: Json, managed: Managed, key: string, id: ManagerId, force: boolean): Json | null {
  const merged = merge(ctx.types, live, config, ctx.root) as Json;
  const lastSet = managed.get(key)?.set;
  const newSet = toFieldSet(ctx.types, config, ctx.root).recursiveDifference(ctx.ignored);
  const before = new Map(managed);
  managed.set(key, { id, set: newSet, apiVersion: ctx.apiVersion, time: managed.get(key)?.time });
  const pruned = prune(ctx, merged, managed, lastSet);
  try {
    reconcile(ctx, live, pruned, managed, key, force);
  } catch (e) {
    managed.clear();
    for (const [k, v] of before) managed.set(k, v);
    throw e;
  }
  return deepEqual(live, pruned) ? null : pruned;
}

/**
 * Removes what the applier owned last time and no longer applies, unless another manager (or
 * the new configuration) still owns it. Named struct fields with owned children count as owned.
 */
function prune(ctx: UpdaterContext, merged: Json, managed: Managed, lastSet: FieldSet | undefined): Json {
  if (lastSet === undefined || lastSet.isEmpty()) return merged;
  let owned = new FieldSet();
  for (const entry of managed.values()) owned = owned.union(entry.set);
  const stale = withNamedFields(ctx, lastSet, ctx.root).difference(withNamedFields(ctx, owned, ctx.root));
  return removeItems(ctx.types, merged, stale, ctx.root);
}

/** EnsureNamedFieldsAreMembers: a struct field with owned children is itself a member. */
function withNamedFields(ctx: UpdaterContext, set: FieldSet, node: SchemaNode | undefined): FieldSet {
  const out = new FieldSet();
  for (const [k, pe] of set.members) out.members.set(k, pe);
  const view = ctx.types.view(node);
  for (const [k, child] of set.children) {
    let childNode: SchemaNode | undefined;
    if (view.kind === 'map' && 'field' in child.pe) {
      childNode = ctx.types.child(view, child.pe.field).node;
      if (child.pe.field in view.fields) out.members.set(k, child.pe);
    } else if (view.kind === 'list') {
      childNode = view.element;
    }
    out.children.set(k, { pe: child.pe, set: withNamedFields(ctx, child.set, childNode) });
  }
  return out;
}

/**
 * Updater.update: other managers lose fields the writer changed (a conflict unless forced)
 * and fields that no longer exist; managers left with nothing disappear.
 */
function reconcile(ctx: UpdaterContext, live: Json, next: Json, managed: Managed, key: string, force: boolean): Comparison {
  const raw = compare(ctx.types, live, next, ctx.root, ctx.ignored);
  const comparison: Comparison = {
    added: raw.added.recursiveDifference(ctx.ignored),
    modified: raw.modified.recursiveDifference(ctx.ignored),
    removed: raw.removed.recursiveDifference(ctx.ignored),
  };
  const changed = comparison.modified.union(comparison.added);
  const conflicts: Conflict[] = [];
  const taken = new Map<string, FieldSet>();
  for (const [other, entry] of managed) {
    if (other === key) continue;
    const overlap = entry.set.intersection(changed);
    if (overlap.isEmpty()) continue;
    taken.set(other, overlap);
    for (const path of overlap.paths()) conflicts.push({ manager: entry.id, path });
  }
  if (!force && conflicts.length > 0) throw new ConflictsError(conflicts);
  for (const [other, entry] of [...managed]) {
    if (other === key) continue;
    let set = entry.set;
    const lost = taken.get(other);
    if (lost) set = set.difference(lost);
    if (!comparison.removed.isEmpty()) set = set.difference(comparison.removed);
    if (set.isEmpty()) managed.delete(other);
    else managed.set(other, { ...entry, set });
  }
  if (managed.get(key)?.set.isEmpty()) managed.delete(key);
  return comparison;
}
