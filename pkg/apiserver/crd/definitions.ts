/**
 * From a CustomResourceDefinition to what the API server serves: one ResourceDefinition per
 * served version (storage under /registry/<group>/<plural>, as the apiextensions-apiserver
 * keys them), its schemas for OpenAPI and validation, and its Table columns.
 */
import { customResourceDefinitionName, customResourceSchemas } from '../../api/openapi/crd.ts';
import { applyDefaults, prune } from '../../api/openapi/pruning.ts';
import { validateStructural } from '../../api/openapi/structural.ts';
import { customResourcePrinter, type CustomResourceColumn } from '../../api/printers/index.ts';
import type { SchemaNode } from '../../api/schema.ts';
import type { KObject, ResourceDefinition, Strategy } from '../../api/types.ts';

export interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: SchemaNode };
  subresources?: { status?: object; scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string } };
  additionalPrinterColumns?: CustomResourceColumn[];
}

export interface ServedCustomResource {
  definitions: ResourceDefinition[];
  schemas: Record<string, SchemaNode>;
}

const ALL_VERBS: ResourceDefinition['verbs'] = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];

function strategyFor(schema: SchemaNode | undefined): Strategy {
  const check = (obj: KObject) => {
    if (!schema) return [];
    const { metadata: _m, ...rest } = obj;
    // metadata is ObjectMeta, validated by the store; the user's schema covers the rest.
    const body = { ...rest };
    const shape: SchemaNode = { ...schema, properties: { ...schema.properties } };
    delete shape.properties!.metadata;
    return validateStructural(body, shape);
  };
  return {
    defaults(obj) {
      if (!schema) return;
      prune(obj, schema);
      applyDefaults(obj, schema);
    },
    validate: (obj) => check(obj),
    validateUpdate: (obj) => check(obj),
    nameRule: 'dns1123-subdomain',
  };
}

export function servedCustomResource(crd: KObject): ServedCustomResource {
  const spec = crd.spec ?? {};
  const group: string = spec.group;
  const names = spec.names ?? {};
  const versions: CrdVersion[] = spec.versions ?? [];
  const storage = versions.find((v) => v.storage)?.name ?? versions[0]?.name;
  const definitions: ResourceDefinition[] = [];
  const schemas: Record<string, SchemaNode> = {};
  for (const v of versions) {
    if (v.served === false) continue;
    const kind: string = names.kind;
    const listKind: string = names.listKind ?? `${kind}List`;
    Object.assign(schemas, customResourceSchemas({ group, version: v.name, kind, listKind, plural: names.plural, openAPIV3Schema: v.schema?.openAPIV3Schema }));
    const subresources: string[] = [];
    if (v.subresources?.status) subresources.push('status');
    if (v.subresources?.scale) subresources.push('scale');
    const apiVersionOf = (version: string) => `${group}/${version}`;
    const def: ResourceDefinition = {
      group,
      version: v.name,
      kind,
      listKind,
      plural: names.plural,
      singular: names.singular ?? kind.toLowerCase(),
      namespaced: spec.scope !== 'Cluster',
      shortNames: names.shortNames,
      categories: names.categories,
      verbs: ALL_VERBS,
      subresources,
      scale: v.subresources?.scale,
      schema: customResourceDefinitionName(group, v.name, kind),
      strategy: strategyFor(v.schema?.openAPIV3Schema),
      storagePath: `${group}/${names.plural}`,
      custom: true,
      preferred: v.name === storage,
      printer: customResourcePrinter(v.additionalPrinterColumns ?? []),
    };
    // Versions of one CRD differ only in apiVersion (conversion strategy None).
    if (v.name !== storage) {
      def.conversion = {
        toStored: (obj) => ({ ...obj, apiVersion: apiVersionOf(storage!) }),
        fromStored: (obj) => ({ ...obj, apiVersion: apiVersionOf(v.name) }),
      };
    }
    definitions.push(def);
  }
  return { definitions, schemas };
}
