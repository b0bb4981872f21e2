/**
 * Which message encodes each apiVersion/kind. Definitions are parsed the first time a protobuf
 * body arrives, not at start-up: most clients never send one and the server must idle small.
 */
import { apps } from './defs/apps.ts';
import { authentication } from './defs/authentication.ts';
import { authorization } from './defs/authorization.ts';
import { autoscalingV1, autoscalingV2 } from './defs/autoscaling.ts';
import { batch } from './defs/batch.ts';
import { certificates } from './defs/certificates.ts';
import { coordination, discovery, events, storage } from './defs/cluster.ts';
import { core } from './defs/core.ts';
import { meta } from './defs/meta.ts';
import { networking } from './defs/networking.ts';
import { policy } from './defs/policy.ts';
import { rbac } from './defs/rbac.ts';
import { scheduling } from './defs/scheduling.ts';
import { type MessageDef, buildMessages } from './messages.ts';

/** One Go package of Kubernetes types and the group versions that serve its kinds. */
export interface ApiPackage {
  name: string;
  apiVersions: string[];
  /** Packages searched, in order, for type names this one does not define. */
  fallbacks: string[];
  /** Kinds served, space separated; `Kind+` also has a `KindList` (metadata + items). */
  kinds: string;
  messages: string;
}

const PACKAGES: ApiPackage[] = [
  meta,
  core,
  apps,
  batch,
  rbac,
  policy,
  networking,
  scheduling,
  authentication,
  authorization,
  autoscalingV1,
  autoscalingV2,
  certificates,
  coordination,
  discovery,
  events,
  storage,
];

export interface KindRegistry {
  /** The message for apiVersion/kind; meta kinds (Status, DeleteOptions, …) under any known apiVersion. */
  lookup(apiVersion: string, kind: string): MessageDef | undefined;
}

function listLines(pkg: ApiPackage): string {
  return pkg.kinds
    .split(/\s+/)
    .filter((k) => k.endsWith('+'))
    .map((k) => `${k.slice(0, -1)}List: 1 metadata ListMeta, 2 items! []${k.slice(0, -1)}`)
    .join('\n');
}

function build(): KindRegistry {
  const messages = buildMessages(
    PACKAGES.map((pkg) => ({ name: pkg.name, fallbacks: pkg.fallbacks, text: `${pkg.messages}\n${listLines(pkg)}` })),
  );
  const byVersion = new Map<string, Map<string, MessageDef>>();
  let metaKinds = new Map<string, MessageDef>();
  for (const pkg of PACKAGES) {
    const kinds = new Map<string, MessageDef>();
    for (const token of pkg.kinds.split(/\s+/)) {
      const kind = token.replace(/\+$/, '');
      kinds.set(kind, messages.get(`${pkg.name}.${kind}`)!);
      if (token.endsWith('+')) kinds.set(`${kind}List`, messages.get(`${pkg.name}.${kind}List`)!);
    }
    if (pkg === meta) metaKinds = kinds;
    for (const apiVersion of pkg.apiVersions) byVersion.set(apiVersion, kinds);
  }
  return {
    lookup(apiVersion, kind) {
      const kinds = byVersion.get(apiVersion);
      if (!kinds) return undefined;
      return kinds.get(kind) ?? metaKinds.get(kind);
    },
  };
}

let registry: KindRegistry | undefined;

export function kindRegistry(): KindRegistry {
  registry ??= build();
  return registry;
}
