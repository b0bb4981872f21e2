/**
 * The definitions a CustomResourceDefinition version contributes, named and shaped as the
 * apiextensions-apiserver publishes them: the group reversed like a Java package
 * ('stable.example.com' → 'com.example.stable.v1.CronTab'), apiVersion/kind/metadata added to
 * the user's schema, a <Kind>List beside it, both tagged with x-kubernetes-group-version-kind.
 */
import { SCHEMA_REF_PREFIX, type SchemaNode } from '../schema.ts';

export function customResourceDefinitionName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

export interface CustomResourceVersion {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  /** spec.versions[].schema.openAPIV3Schema; absent means anything goes. */
  openAPIV3Schema?: SchemaNode;
}

const API_VERSION: SchemaNode = {
  type: 'string',
  description: 'APIVersion defines the versioned schema of this representation of an object. Servers should convert '
    + 'recognized schemas to the latest internal value, and may reject unrecognized values.',
};
const KIND: SchemaNode = {
  type: 'string',
  description: 'Kind is a string value representing the REST resource this object represents. Servers may infer this '
    + 'from the endpoint the client submits requests to. Cannot be updated. In CamelCase.',
};
const META_PREFIX = `${SCHEMA_REF_PREFIX}io.k8s.apimachinery.pkg.apis.meta.v1.`;

/** Kind and list definitions for one served CRD version, ready for OpenApiSchemas.setCustom. */
export function customResourceSchemas(crd: CustomResourceVersion): Record<string, SchemaNode> {
  const kindName = customResourceDefinitionName(crd.group, crd.version, crd.kind);
  const listName = customResourceDefinitionName(crd.group, crd.version, crd.listKind);
  const user = crd.openAPIV3Schema ?? { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const kind: SchemaNode = {
    ...user,
    type: 'object',
    properties: {
      ...user.properties,
      apiVersion: { ...API_VERSION, ...user.properties?.apiVersion },
      kind: { ...KIND, ...user.properties?.kind },
      // Users may only constrain name/generateName; the rest of metadata is always ObjectMeta.
      metadata: { allOf: [{ $ref: `${META_PREFIX}ObjectMeta` }], description: "Standard object's metadata." },
    },
    'x-kubernetes-group-version-kind': [{ group: crd.group, version: crd.version, kind: crd.kind }],
  };
  const list: SchemaNode = {
    type: 'object',
    description: `${crd.listKind} is a list of ${crd.kind}`,
    required: ['items'],
    properties: {
      apiVersion: API_VERSION,
      items: { type: 'array', items: { $ref: `${SCHEMA_REF_PREFIX}${kindName}` }, description: `List of ${crd.plural}.` },
      kind: KIND,
      metadata: { allOf: [{ $ref: `${META_PREFIX}ListMeta` }], description: 'Standard list metadata.' },
    },
    'x-kubernetes-group-version-kind': [{ group: crd.group, version: crd.version, kind: crd.listKind }],
  };
  return { [kindName]: kind, [listName]: list };
}
