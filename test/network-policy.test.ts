/**
 * NetworkPolicy end to end on one node (issue 6): the real `dist/tsk server` with its agent on
 * containerd and CNI, policies written in YAML and applied with real kubectl, and busybox in
 * labelled pods of two namespaces fetching from each other over HTTP on two ports, by pod IP
 * and through a Service's ClusterIP. A blocked connection must fail with "Connection refused"
 * (tsk rejects TCP with a reset, or with ICMP port-unreachable when a Service's DNAT brought
 * it), never hang until a timeout. (busybox wget connects blocking: it takes the ICMP error
 * from the SYN's retransmit, so a refusal through the ClusterIP costs it a second.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BUSYBOX_IMAGE, defaultRouteAddress, kubectlOk, startAgentCluster, type AgentCluster } from './lib/agent.ts';
import type { KubectlOptions } from './lib/cluster.ts';
import { until } from './lib/until.ts';

let c: AgentCluster;
const ok = (args: string[], opts: KubectlOptions = {}) => kubectlOk(c, args, opts);
const applyYaml = (yaml: string) => ok(['apply', '-f', '-'], { input: yaml });

/** Who fetches, as namespace/name; every pod of both namespaces. */
const SOURCES = ['np-a/client', 'np-a/stranger', 'np-a/server', 'np-b/client', 'np-b/server'] as const;
type Source = (typeof SOURCES)[number];
/** What is fetched, in the column order of the matrices below. */
const TARGETS = ['np-a/server:8080', 'np-a/server:9090', 'svc np-a/server:80', 'svc np-a/server:90', 'np-b/server:8080'] as const;
const urls: string[] = [];

/**
 * One row per source, one letter per target: o answered, x refused at once (reset), - not
 * tried (a pod to itself), ? anything else (a hang cut off by the timeout, an error).
 */
type Matrix = Record<Source, string>;

const server = (ns: string) => `
apiVersion: v1
kind: Pod
metadata: {name: server, namespace: ${ns}, labels: {app: server}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: httpd
    image: ${BUSYBOX_IMAGE}
    # Two servers, so that policies can open one port and not the other.
    command: [sh, -c, 'mkdir -p /www && hostname > /www/index.html && touch /www/ready && httpd -p 9090 -h /www && exec httpd -f -p 8080 -h /www']
    ports: [{name: http, containerPort: 8080}, {name: alt, containerPort: 9090}]
    # The kubelet's probe comes from the node: it must pass whatever the policies say.
    readinessProbe: {httpGet: {path: /ready, port: 8080}, periodSeconds: 1, failureThreshold: 1}
`;

const sleeper = (ns: string, name: string, role: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}, labels: {role: ${role}}}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: sh, image: ${BUSYBOX_IMAGE}, command: [sleep, '3600']}]
`;

before(async () => {
  c = await startAgentCluster({ nodeIp: defaultRouteAddress() });
  await setUp().catch(async (err: Error) => {
    const pods = await c.kubectl(['get', 'pods', '-A', '-o', 'wide']);
    const events = await c.kubectl(['get', 'events', '-A']);
    throw new Error(`${err.message}\n${pods.stdout}\n${events.stdout.split('\n').slice(-20).join('\n')}\nthe server's last log lines:\n${c.server().stderr().split('\n').slice(-40).join('\n')}`);
  });
});
after(async () => {
  await c?.stop();
});

async function setUp(): Promise<void> {
  await applyYaml(`
apiVersion: v1
kind: Namespace
metadata: {name: np-a, labels: {team: a}}
---
apiVersion: v1
kind: Namespace
metadata: {name: np-b, labels: {team: b}}
`);
  await applyYaml([server('np-a'), server('np-b'), sleeper('np-a', 'client', 'client'), sleeper('np-a', 'stranger', 'stranger'), sleeper('np-b', 'client', 'client')].join('---\n'));
  await applyYaml(`
apiVersion: v1
kind: Service
metadata: {name: server, namespace: np-a}
spec:
  selector: {app: server}
  ports: [{name: http, port: 80, targetPort: 8080}, {name: alt, port: 90, targetPort: 9090}]
`);
  for (const ns of ['np-a', 'np-b']) {
    // A busy machine starts five pods slowly: poll, rather than hold one kubectl open.
    await until(`the pods of ${ns} to be Ready`, async () => {
      const ready = await ok(['get', 'pods', '-n', ns, '-o', 'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{" "}{end}']);
      const states = ready.trim().split(' ');
      return states.length === (ns === 'np-a' ? 3 : 2) && states.every((s) => s === 'True') ? true : undefined;
    }, 180_000);
  }
  const ip = async (ns: string) => (await ok(['get', 'pod', 'server', '-n', ns, '-o', 'jsonpath={.status.podIP}'])).trim();
  const [a, b] = [await ip('np-a'), await ip('np-b')];
  const svc = (await ok(['get', 'service', 'server', '-n', 'np-a', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
  urls.push(`http://${a}:8080/`, `http://${a}:9090/`, `http://${svc}:80/`, `http://${svc}:90/`, `http://${b}:8080/`);
}

/** Runs a shell script in a pod; its stdout. */
function inPod(source: string, script: string): Promise<string> {
  const [ns, name] = source.split('/');
  return ok(['exec', '-n', ns!, name!, '--', 'sh', '-c', script], { timeoutMs: 120_000 });
}

/**
 * One fetch: o when it answered, x when the connection was refused (the reset the policy
 * sends), ? with the details otherwise. busybox-static's wget crashes on -T: timeout bounds it.
 */
const FETCH = 'out=$(timeout 5 wget -q -O - "$1" 2>&1); rc=$?; case "$rc:$out" in 0:*) echo o;; *"Connection refused"*) echo x;; *) echo "? rc=$rc $out";; esac';

/** What the fetches that answered neither o nor x said, for the failure message. */
let oddities: string[] = [];

async function row(source: Source, pattern: string): Promise<string> {
  const wanted = urls.filter((_, i) => pattern[i] !== '-');
  const script = `fetch() { ${FETCH}; }; for u in ${wanted.join(' ')}; do fetch $u; done`;
  const answers = (await inPod(source, script)).split('\n').filter(Boolean);
  let i = 0;
  return [...pattern].map((p, column) => {
    if (p === '-') return '-';
    const answer = answers[i++] ?? '? no answer';
    if (answer === 'o' || answer === 'x') return answer;
    oddities.push(`${source} → ${TARGETS[column]}: ${answer}`);
    return '?';
  }).join('');
}

async function matrix(like: Matrix): Promise<Matrix> {
  oddities = [];
  const out = {} as Matrix;
  for (const s of SOURCES) out[s] = await row(s, like[s]);
  return out;
}

/** Waits until every source reaches exactly what `want` says (policies take effect within a sync). */
async function expectMatrix(want: Matrix): Promise<void> {
  let last: Matrix | undefined;
  try {
    await until('the policies to take effect', async () => {
      last = await matrix(want);
      return JSON.stringify(last) === JSON.stringify(want) ? true : undefined;
    }, 90_000);
  } catch {
    assert.deepEqual(last, want, `columns: ${TARGETS.join(', ')}${oddities.length ? `\n${oddities.join('\n')}` : ''}`);
  }
}

async function readyStatus(ns: string, pod: string): Promise<string> {
  return (await ok(['get', 'pod', pod, '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'])).trim();
}

/** A policy as users write it: `spec` is the YAML under `spec:`. */
const netpol = (namespace: string, name: string, spec: string) => `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}, namespace: ${namespace}}
spec:${spec}`;

/** Lets the pods of namespaces labelled team=b in to np-a's server; `ports` ends its one rule. */
const serverFromTeamB = (ports: string) => netpol('np-a', 'server-from-team-b', `
  podSelector:
    matchLabels: {app: server}
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {team: b}${ports}
`);

/** The rows of np-a's own pods once its server lets in clients only (and np-a denies by default). */
const NP_A_CLIENTS_ONLY = { 'np-a/client': 'ooooo', 'np-a/stranger': 'xxxxo', 'np-a/server': '----o' };

const everyoneReachesEveryone: Matrix = {
  'np-a/client': 'ooooo',
  'np-a/stranger': 'ooooo',
  'np-a/server': '----o',
  'np-b/client': 'ooooo',
  'np-b/server': 'oooo-',
};

describe('NetworkPolicy on one node', () => {
  it('without policies every pod reaches every pod, by pod IP and through the Service', async () => {
    await expectMatrix(everyoneReachesEveryone);
  });

  it('default deny ingress in np-a: nobody gets in (refused, not left to time out), its pods still get out', async () => {
    await applyYaml(netpol('np-a', 'default-deny-ingress', `
  podSelector: {}
  policyTypes: [Ingress]
`));
    await expectMatrix({
      'np-a/client': 'xxxxo',
      'np-a/stranger': 'xxxxo',
      'np-a/server': '----o',
      'np-b/client': 'xxxxo',
      'np-b/server': 'xxxx-',
    });
  });

  it('the kubelet\'s HTTP readiness probe still reaches the isolated pod', async () => {
    assert.equal(await readyStatus('np-a', 'server'), 'True');
    // Not a Ready condition left over from before: the probe turns it both ways under the policy.
    await ok(['exec', '-n', 'np-a', 'server', '--', 'rm', '/www/ready']);
    await until('the probe to fail', async () => ((await readyStatus('np-a', 'server')) === 'False' ? true : undefined));
    await ok(['exec', '-n', 'np-a', 'server', '--', 'touch', '/www/ready']);
    await until('the probe to pass again', async () => ((await readyStatus('np-a', 'server')) === 'True' ? true : undefined));
  });

  it('allowing from a podSelector lets in only those pods of the same namespace', async () => {
    await applyYaml(netpol('np-a', 'server-from-clients', `
  podSelector:
    matchLabels: {app: server}
  ingress:
  - from:
    - podSelector:
        matchLabels: {role: client}
`));
    await expectMatrix({
      'np-a/client': 'ooooo',
      'np-a/stranger': 'xxxxo',
      'np-a/server': '----o',
      // role=client too, but in another namespace: a podSelector alone means the policy's own.
      'np-b/client': 'xxxxo',
      'np-b/server': 'xxxx-',
    });
  });

  it('allowing from a namespaceSelector lets in every pod of that namespace', async () => {
    await applyYaml(serverFromTeamB(''));
    await expectMatrix({
      ...NP_A_CLIENTS_ONLY,
      'np-b/client': 'ooooo',
      'np-b/server': 'oooo-',
    });
  });

  it('a rule with ports opens those ports only, by pod IP and through the Service', async () => {
    // The same policy, changed in place.
    await applyYaml(serverFromTeamB(`
    ports:
    - protocol: TCP
      port: 8080`));
    await expectMatrix({
      ...NP_A_CLIENTS_ONLY,
      'np-b/client': 'oxoxo',
      'np-b/server': 'oxox-',
    });
  });

  it('egress deny-all with DNS allowed to kube-system: names resolve, connections are refused', async () => {
    await applyYaml(netpol('np-b', 'client-dns-only', `
  podSelector:
    matchLabels: {role: client}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: kube-system}
    ports:
    - {protocol: UDP, port: 53}
    - {protocol: TCP, port: 53}
`));
    await expectMatrix({
      ...NP_A_CLIENTS_ONLY,
      'np-b/client': 'xxxxx',
      'np-b/server': 'oxox-',
    });
    const svc = (await ok(['get', 'service', 'server', '-n', 'np-a', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    const lookup = await inPod('np-b/client', 'nslookup server.np-a.svc.cluster.local');
    assert.match(lookup, new RegExp(`Address: ${svc.replace(/\./g, '\\.')}`));
    // The name resolves through the search path, then the connection is refused by egress policy.
    assert.equal((await inPod('np-b/client', `fetch() { ${FETCH}; }; fetch http://server.np-a/`)).trim(), 'x');
  });

  it('egress deny-all without a DNS rule still resolves: the DNS server is on the node, and traffic to the own node is always allowed', async () => {
    await applyYaml(netpol('np-b', 'server-deny-egress', `
  podSelector:
    matchLabels: {app: server}
  policyTypes: [Egress]
`));
    await expectMatrix({
      ...NP_A_CLIENTS_ONLY,
      'np-b/client': 'xxxxx',
      'np-b/server': 'xxxx-',
    });
    const svc = (await ok(['get', 'service', 'server', '-n', 'np-a', '-o', 'jsonpath={.spec.clusterIP}'])).trim();
    assert.match(await inPod('np-b/server', 'nslookup server.np-a.svc.cluster.local'), new RegExp(`Address: ${svc.replace(/\./g, '\\.')}`));
  });

  it('deleting the policies gives everyone their access back', async () => {
    await ok(['delete', 'networkpolicy', '--all', '-n', 'np-a']);
    await ok(['delete', 'networkpolicy', '--all', '-n', 'np-b']);
    await expectMatrix(everyoneReachesEveryone);
  });
});
