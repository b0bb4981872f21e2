/**
 * What a ReplicaSet pass asks of each pod, worked out once per pod object. Every pass visits
 * every pod of the ReplicaSet (10,000 at scale), and reading the same few fields of objects
 * decoded from JSON, each of its own shape, cost several times the pass itself. Informer
 * objects are never changed (a change arrives as a new object), so the answers hold as long
 * as the object: callers must pass informer objects only.
 */
import type { KObject, OwnerReference } from '../../api/types.ts';
import { labelSelectorMatches, type LabelSelector } from '../../api/validation/index.ts';
import { controllerOf, isPodActive, isPodReady, podReadySince } from './pods.ts';

interface Facts {
  active: boolean;
  controller: OwnerReference | undefined;
  ready: boolean;
  /** When it last became Ready (ms), 0 when not ready or unknown. */
  readySince: number;
  /** The last selector asked about (by its text) and the answer. */
  selector?: string;
  selected?: boolean;
}

const known = new WeakMap<KObject, Facts>();

export function factsOf(obj: KObject): Facts {
  let facts = known.get(obj);
  if (!facts) {
    facts = { active: isPodActive(obj), controller: controllerOf(obj), ready: isPodReady(obj), readySince: podReadySince(obj) };
    known.set(obj, facts);
  }
  return facts;
}

/** A selector in the form selects() takes: its text is the memo key. */
export interface Selector {
  text: string;
  selector: LabelSelector | undefined;
}

export function selectorOf(selector: LabelSelector | undefined): Selector {
  return { text: JSON.stringify(selector ?? null), selector };
}

/** labelSelectorMatches, remembered for the object's last selector. */
export function selects(s: Selector, obj: KObject): boolean {
  const facts = factsOf(obj);
  if (facts.selector !== s.text) {
    facts.selector = s.text;
    facts.selected = labelSelectorMatches(s.selector, obj.metadata.labels);
  }
  return facts.selected!;
}
