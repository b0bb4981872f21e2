/**
 * tsk's kube-controller-manager: the controllers that keep desired state, run only while this
 * process holds the kube-system/kube-controller-manager Lease (so two servers never both act).
 * Reads go through one set of shared informers under the manager's own identity
 * (system:kube-controller-manager); each controller writes with its own service account's
 * token (kube-system/<name>, bound by the bootstrap policy to system:controller:<name>), as
 * kube-controller-manager does with --use-service-account-credentials.
 */
import os from 'node:os';
import crypto from 'node:crypto';
import type { KObject } from '../api/types.ts';
import { Client, type ClientCredentials } from '../client/client.ts';
import { isClientError } from '../client/errors.ts';
import { EventRecorder, type EventSink } from '../client/events.ts';
import { InformerFactory, type InformerPool } from '../client/factory.ts';
import { LeaderElector } from '../client/leaderelection.ts';
import { resourcePath } from '../client/paths.ts';
import { logger } from '../log/log.ts';

const log = logger('controller-manager');

/** What the controllers need to know of the cluster's configuration. */
export interface ControllerConfig {
  clusterCidr: string;
  serviceCidr: string;
  /** A node whose Lease is older than this becomes Unknown. */
  nodeMonitorGracePeriodMs: number;
  defaultNotReadyTolerationSeconds: number;
  defaultUnreachableTolerationSeconds: number;
  /** PEM of the CA that signs the API server's certificate (kube-root-ca.crt). */
  rootCaPem: string;
  /** --cluster-dns: the kube-dns Service's ClusterIP. */
  clusterDns: string;
  /** Controllers not to run, by name (--disable servicelb, --disable coredns). */
  disabled: string[];
}

export interface ControllerContext {
  /** Shared informers; create them in init(), they are synced before run(). */
  informers: InformerFactory;
  /** A client acting as kube-system/<serviceAccount> (e.g. 'replicaset-controller'). */
  clientFor(serviceAccount: string): Client;
  /** Events recorded as `component` through that service account's client. */
  recorderFor(serviceAccount: string, component: string): EventSink;
  config: ControllerConfig;
}

/**
 * One controller: init() makes its informers and enqueues from their events into a paused
 * WorkQueue; run() is called once every informer has its first list and resumes the queue.
 * Reconciling before then would act on half a picture (create pods that already exist).
 */
export interface Controller {
  readonly name: string;
  init(ctx: ControllerContext): void | Promise<void>;
  run(): void;
  stop(): void | Promise<void>;
}

export type ControllerFactory = () => Controller;

/** Tokens are asked for this long and renewed at 80 % of it. */
const TOKEN_SECONDS = 3600;

export class ControllerManager {
  private elector: LeaderElector | undefined;
  private running: { controllers: Controller[]; informers: InformerFactory; clients: Map<string, Client>; timers: NodeJS.Timeout[] } | undefined;
  private readonly identity = `${os.hostname()}_${crypto.randomUUID()}`;
  private generation = 0;

  constructor(
    private readonly client: Client,
    private readonly config: ControllerConfig,
    private readonly factories: ControllerFactory[],
    /** `informers`: shared with other components of this thread (default: its own). */
    private readonly options: { leaseDurationSeconds?: number; informers?: InformerPool } = {},
  ) {}

  start(): void {
    this.elector = new LeaderElector(this.client, {
      namespace: 'kube-system',
      name: 'kube-controller-manager',
      identity: this.identity,
      leaseDurationSeconds: this.options.leaseDurationSeconds,
      onStartedLeading: () => {
        const generation = ++this.generation;
        this.lead(generation).catch((err: unknown) => log.error(`could not start the controllers: ${(err as Error).message}`));
      },
      onStoppedLeading: () => {
        this.generation++;
        void this.standDown();
      },
    });
    this.elector.start();
  }

  async stop(): Promise<void> {
    this.generation++;
    await this.standDown();
    await this.elector?.stop({ release: true });
    this.client.close();
  }

  private async lead(generation: number): Promise<void> {
    log.info('leading: starting controllers');
    const informers = new InformerFactory(this.client, this.options.informers);
    const clients = new Map<string, Client>();
    const timers: NodeJS.Timeout[] = [];
    const controllers = this.factories.map((f) => f()).filter((c) => !this.config.disabled.includes(c.name));
    this.running = { controllers, informers, clients, timers };
    const pending: Promise<void>[] = [];
    const clientFor = (serviceAccount: string): Client => {
      let c = clients.get(serviceAccount);
      if (!c) {
        // No client certificate: the API server would authenticate the certificate before the token.
        const { server, ca } = this.client.credentials;
        c = new Client({ server, ca } as ClientCredentials, { userAgent: `tsk-controller-manager/${serviceAccount}` });
        // Until the token arrives, requests would go out as the manager: hold them back instead.
        const ready = this.serviceAccountToken(serviceAccount, c, timers);
        pending.push(ready);
        c = withTokenFirst(c, ready);
        clients.set(serviceAccount, c);
      }
      return c;
    };
    const recorders = new Map<string, EventSink>();
    const ctx: ControllerContext = {
      informers,
      clientFor,
      recorderFor: (serviceAccount, component) => {
        const key = `${serviceAccount}\0${component}`;
        let r = recorders.get(key);
        if (!r) recorders.set(key, (r = new EventRecorder(clientFor(serviceAccount), { component })));
        return r;
      },
      config: this.config,
    };
    // One controller that cannot start must not keep the others from running.
    const ready: Controller[] = [];
    for (const c of controllers) {
      try {
        await c.init(ctx);
        ready.push(c);
      } catch (err) {
        log.error(`${c.name} could not start: ${(err as Error).message}`);
      }
    }
    informers.start();
    await Promise.all([informers.waitForSync(), ...pending]);
    if (generation !== this.generation) return;
    for (const c of ready) {
      try {
        c.run();
        log.debug(`started ${c.name}`);
      } catch (err) {
        log.error(`${c.name} could not run: ${(err as Error).message}`);
      }
    }
    log.info(`${ready.length} controllers running`);
  }

  private async standDown(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    if (!running) return;
    log.info('stopping controllers');
    for (const c of running.controllers) await c.stop();
    running.informers.stop();
    for (const t of running.timers) clearTimeout(t);
    for (const c of running.clients.values()) c.close();
  }

  /** Ensures kube-system/<name> exists and keeps `client` holding a fresh token for it. */
  private async serviceAccountToken(name: string, client: Client, timers: NodeJS.Timeout[]): Promise<void> {
    const saPath = resourcePath({ version: 'v1', resource: 'serviceaccounts', namespace: 'kube-system' });
    for (let attempt = 0; ; attempt++) {
      try {
        try {
          await this.client.create(saPath, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'kube-system' } } as KObject);
        } catch (err) {
          if (!isClientError(err) || err.code !== 409) throw err;
        }
        const review = await this.client.create<KObject & { status?: { token?: string } }>(`${saPath}/${name}/token`, {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          metadata: {},
          spec: { expirationSeconds: TOKEN_SECONDS },
        } as unknown as KObject);
        client.setToken(review.status!.token!);
        const t = setTimeout(() => void this.serviceAccountToken(name, client, timers), TOKEN_SECONDS * 800);
        t.unref();
        timers.push(t);
        return;
      } catch (err) {
        if (!this.running) return;
        log.warn(`token for kube-system/${name}: ${(err as Error).message}; retrying`);
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)));
      }
    }
  }
}

/** A client whose requests wait until its first token is in place. */
function withTokenFirst(client: Client, ready: Promise<void>): Client {
  let done = false;
  void ready.then(() => (done = true));
  const original = client.request.bind(client);
  client.request = async <T>(method: string, path: string, body?: string, contentType?: string): Promise<T> => {
    if (!done) await ready;
    return original<T>(method, path, body, contentType);
  };
  return client;
}
