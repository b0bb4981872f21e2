/**
 * GET and LIST of kinds computed on request (ReadOnlyHandler): the handler makes the objects,
 * this answers them as the stored kinds are answered, in the form the client asked for. Such
 * lists have no resourceVersion (there is no revision they were read at), as metrics-server's.
 */
import { apiVersionOf, toVersion } from '../storage/codec.ts';
import { sendObject } from '../http/respond.ts';
import type { ReadOnlyHandler, Scope } from './context.ts';
import { sendOne } from './list.ts';
import { buildTable, partialMetadata } from './table.ts';

export async function handleReadOnly(scope: Scope, handler: ReadOnlyHandler): Promise<void> {
  const { def, output, ctx } = scope;
  if (scope.info.verb === 'get') {
    sendOne(scope, 200, toVersion(def, await handler.get(scope)));
    return;
  }
  const items = (await handler.list(scope)).map((obj) => toVersion(def, obj));
  if (output.kind === 'table') {
    sendObject(scope.res, 200, buildTable(ctx.printerFor(def), items, { now: ctx.now(), query: scope.query, resourceVersion: '' }), output);
  } else if (output.kind === 'partial') {
    sendObject(scope.res, 200, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: {}, items: items.map(partialMetadata) }, output);
  } else {
    sendObject(scope.res, 200, { kind: def.listKind, apiVersion: apiVersionOf(def), metadata: {}, items }, output);
  }
}
