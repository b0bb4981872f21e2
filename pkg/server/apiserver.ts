/**
 * `tsk server`'s API server: the built-in resource table, credentials, authentication and
 * RBAC, printers, codecs, and the objects every cluster starts with.
 */
import { builtinPrinters, defaultPrinter } from '../api/printers/index.ts';
import { ResourceTable } from '../api/registry.ts';
import { builtinResources } from '../api/resources/index.ts';
import { metricsResources } from '../api/resources/metrics/metrics.ts';
import { metricsSchemas } from '../api/resources/metrics/schemas.ts';
import type { KObject, ResourceDefinition } from '../api/types.ts';
import { ensureServiceAccountKey } from '../auth/serviceaccount/key.ts';
import { DEFAULT_ISSUER } from '../auth/serviceaccount/token.ts';
import type { ServerConfig } from '../cli/commands.ts';
import { VERSION } from '../cli/version.ts';
import { composeApiServer, type ComposedApiServer } from '../apiserver/compose.ts';
import { metricsHandlers } from '../apiserver/metrics/api.ts';
import type { DataDirLayout } from '../datadir/layout.ts';
import type { Backend } from '../kv/types.ts';
import { logger } from '../log/log.ts';
import { CrdController } from '../apiserver/crd/controller.ts';
import type { ClusterAuthorizer } from '../auth/rbac/chain.ts';
import { nodeRestrictionAdmission } from '../auth/node/restriction.ts';
import { defaultClassAdmission, podAdmission, priorityAdmission, rbacAdmission, storageProtectionAdmission } from './admission.ts';
import { cacheReader, createAuthorizer, requestAuthenticator } from './auth.ts';
import { limitRangerAdmission } from './limitranger.ts';
import { quotaAdmission } from './quota.ts';
import { ensureBootstrapObjects } from './bootstrap.ts';
import { ensureCredentials, hostAddresses, kubeconfigServer, writeAdminKubeconfigs } from './credentials.ts';
import { startEndpointReconciler } from './endpoints.ts';
import { serverBootstrapOf } from './join.ts';
import { Client } from '../client/client.ts';
import type { ServerPki } from '../auth/serverpki.ts';
import { apiExtras } from './extras.ts';
import { clusterNetworkOf } from './clusternetwork.ts';
import { followNodeDeletions, storeNodePasswords, supervisorPaths } from './supervisor.ts';
import type { NodePasswordSecrets } from '../auth/node/password.ts';

const log = logger('apiserver');

/** The Kubernetes release whose API tsk serves (what `kubectl version` shows as the server). */
export const KUBERNETES_VERSION = { major: '1', minor: '33', patch: '0' };

export function versionInfo(): Record<string, string> {
  const { major, minor, patch } = KUBERNETES_VERSION;
  return {
    major,
    minor,
    emulationMajor: major,
    emulationMinor: minor,
    minCompatibilityMajor: major,
    minCompatibilityMinor: String(Number(minor) - 1),
    gitVersion: `v${major}.${minor}.${patch}+tsk${VERSION}`,
    gitCommit: '',
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
    goVersion: `node${process.versions.node}`,
    compiler: 'tsk',
    platform: `linux/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

export interface RunningApiServer {
  api: ComposedApiServer;
  pki: ServerPki;
  joinToken: string;
  adminKubeconfig: string;
  /** In-process clients acting as system:admin: they switch to a renewed admin certificate (certrotation.ts). */
  adminClients: Client[];
  close(): Promise<void>;
}

export async function startServerApi(config: ServerConfig, layout: DataDirLayout, backend: Backend): Promise<RunningApiServer> {
  const creds = await ensureCredentials(config, layout);
  const saKey = ensureServiceAccountKey(layout.server.tls);
  // metrics.k8s.io is what k3s's packaged metrics-server serves; --disable metrics-server drops it.
  const metrics = !config.disable.includes('metrics-server');
  const table = new ResourceTable([
    ...builtinResources({ serviceCidr: config.serviceCidr, nodePortRange: [30000, 32767] }),
    ...(metrics ? metricsResources() : []),
  ]);
  const printerFor = (def: ResourceDefinition) => def.printer ?? builtinPrinters.get(`${def.group}/${def.kind}`) ?? defaultPrinter;
  // Filled in once the cache exists: token checks read service accounts, pods and secrets from it.
  let readers: { get(kind: string, ns: string, name: string): KObject | undefined } = { get: () => undefined };
  const apiAudiences = [DEFAULT_ISSUER];
  const objectGetter = {
    getServiceAccount: (ns: string, name: string) => readers.get('serviceaccounts', ns, name),
    getPod: (ns: string, name: string) => readers.get('pods', ns, name),
    getSecret: (ns: string, name: string) => readers.get('secrets', ns, name),
    getNode: (name: string) => readers.get('nodes', '', name),
  };
  const authenticator = requestAuthenticator({
    clientCaPems: [creds.pki.clientCa.certPem],
    serviceAccounts: {
      keys: [saKey],
      apiAudiences,
      lookup: objectGetter,
    },
    secrets: { get: (ns, name) => readers.get('secrets', ns, name) },
  });
  let clusterAuthorizer: ClusterAuthorizer | undefined;
  let nodePasswords: NodePasswordSecrets | undefined;
  const extras = apiExtras({ table, saKey, apiAudiences, tokens: authenticator.tokens, objects: objectGetter, serverVersion: versionInfo().gitVersion! });
  if (metrics) extras.schemas.setCustom(metricsSchemas());
  const api = await composeApiServer({
    backend,
    table,
    host: config.bindAddress,
    port: config.httpsListenPort,
    tls: { certPem: creds.pki.serving.certPem, keyPem: creds.pki.serving.keyPem, clientCaPem: creds.pki.clientCa.certPem },
    authenticator,
    admit: (ctx) => {
      const rbac = rbacAdmission(() => {
        if (!clusterAuthorizer) throw new Error('the authorizer is not ready yet');
        return clusterAuthorizer;
      });
      const defaultClasses = defaultClassAdmission(ctx);
      const priority = priorityAdmission(ctx);
      const pods = podAdmission(ctx, { notReadyTolerationSeconds: config.defaultNotReadyTolerationSeconds, unreachableTolerationSeconds: config.defaultUnreachableTolerationSeconds });
      const limitRanger = limitRangerAdmission(ctx);
      const quota = quotaAdmission(ctx);
      const nodeRestriction = nodeRestrictionAdmission();
      const storageProtection = storageProtectionAdmission();
      return async (def, obj, old, sctx) => {
        nodeRestriction(def, obj, old, sctx);
        limitRanger(def, obj, old);
        defaultClasses(def, obj, old);
        storageProtection(def, obj, old);
        priority(def, obj, old);
        pods(def, obj, old);
        rbac(def, obj, old, sctx);
        // Last, as in Kubernetes: only what every other plugin let through is charged to a quota.
        await quota(def, obj, old, sctx);
      };
    },
    authorizer: (ctx) => {
      const byResource = new Map(['serviceaccounts', 'pods', 'secrets', 'nodes'].map((r) => [r, cacheReader(ctx.cache, table, '', r)]));
      readers = { get: (kind, ns, name) => byResource.get(kind)?.get(ns, name) };
      const authorizer = createAuthorizer(ctx.cache, table);
      clusterAuthorizer = authorizer.cluster;
      extras.bind(ctx, authorizer);
      return authorizer;
    },
    printerFor,
    decodeProtobuf: async (body, expected) => (await import('../api/protobuf/index.ts')).decodeProtobufObject(body, expected),
    schemas: extras.schemas,
    patcher: extras.patcher,
    fieldProblems: extras.fieldProblems,
    typeProblem: extras.typeProblem,
    trackFields: extras.trackFields,
    virtual: extras.virtual,
    paths: extras.paths,
    unauthenticatedPaths: supervisorPaths({ pki: creds.pki, secret: creds.secret, network: clusterNetworkOf(config), nodePasswords: () => nodePasswords, 
      // Only a cluster on an external datastore can be joined by another server: a server on its own
      // sqlite file never hands out the CA keys, whatever token is shown.
      serverBootstrap: config.datastore.kind === 'sqlite' ? undefined : () => JSON.stringify(serverBootstrapOf(creds.pki, saKey)) }),
    impersonate: (user, req) => extras.impersonate(user, req),
    version: versionInfo(),
    advertise: () => `${config.advertiseAddress ?? (config.bindAddress === '0.0.0.0' ? '127.0.0.1' : config.bindAddress)}:${api.server.address.port}`,
  });
  // Logs, exec and port-forward reach kubelets with the API server's kubelet-client certificate.
  api.ctx.kubelet = { ca: creds.pki.serverCa.certPem, cert: creds.pki.kubeletClient.certPem, key: creds.pki.kubeletClient.keyPem };
  if (metrics) api.ctx.readOnly = metricsHandlers(api.ctx);
  await ensureBootstrapObjects(api.ctx, { serviceCidr: config.serviceCidr, port: api.server.address.port });
  const endpointsClient = new Client({ server: kubeconfigServer(config, api.server.address.port), ca: creds.pki.serverCa.certPem, cert: creds.pki.admin.certPem, key: creds.pki.admin.keyPem }, { userAgent: 'tsk-apiserver/endpoints' });
  const endpoints = await startEndpointReconciler({
    client: endpointsClient,
    address: config.advertiseAddress ?? hostAddresses()[0] ?? '127.0.0.1',
    port: api.server.address.port,
  });
  const crds = new CrdController(api.ctx, extras.schemas);
  crds.start();
  nodePasswords = storeNodePasswords(api.ctx);
  const stopNodePasswordCleanup = followNodeDeletions(api.ctx, nodePasswords);
  const adminKubeconfig = writeAdminKubeconfigs(config, layout, creds.pki, api.server.address.port);
  log.info(`serving the Kubernetes API on https://${config.bindAddress}:${api.server.address.port}; admin kubeconfig ${adminKubeconfig}`);
  return { api, pki: creds.pki, joinToken: creds.joinToken, adminKubeconfig, adminClients: [endpointsClient], close: async () => {
    await endpoints.stop();
    crds.stop();
    stopNodePasswordCleanup();
    await api.close();
  } };
}
