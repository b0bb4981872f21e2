import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { ServerConfig } from './commands.ts';
import { runCli, type CommandHandlers } from './program.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsk-cli-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const EMPTY = path.join(tmp, 'empty.yaml');
fs.writeFileSync(EMPTY, '');

async function run(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const calls: string[] = [];
  let server: ServerConfig | undefined;
  const handlers: CommandHandlers = {
    server: async (c) => {
      server = c;
      calls.push('server');
      return 0;
    },
    agent: async () => (calls.push('agent'), 3),
    agentJoin: async () => (calls.push('agent join'), 0),
    simulate: async () => (calls.push('simulate'), 0),
    checkConfig: async () => (calls.push('check-config'), 1),
    certificate: async (c) => (calls.push(`${c.command} ${c.dataDir} ${c.services.join(',')}`.trim()), 0),
    etcdSnapshot: async (c, args) => (calls.push(`${c.command} dir=${c.dir} name=${c.name} gzip=${c.compress} keep=${c.retention} [${args.join(',')}]`), 0),
  };
  const code = await runCli(argv, handlers, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), env });
  return { code, stdout, stderr, calls, server };
}

describe('command line', () => {
  it('dispatches to the command with its typed config and returns its exit code', async () => {
    const r = await run(['server', '--config', EMPTY, '--https-listen-port', '7443', '--tls-san', 'a', '--tls-san', 'b,c']);
    assert.equal(r.code, 0);
    assert.deepEqual(r.calls, ['server']);
    assert.equal(r.server?.httpsListenPort, 7443);
    assert.deepEqual(r.server?.tlsSans, ['a', 'b', 'c']);
    assert.equal((await run(['agent', '--config', EMPTY])).code, 3);
  });

  it('gives agent join its own flags, not the parent agent\'s', async () => {
    const r = await run(['agent', 'join', '--config', EMPTY, '--data-dir', '/x', '--server', 'https://h:6443', '--token', `K10${'0'.repeat(64)}::server:s`]);
    assert.equal(r.stderr, '');
    assert.deepEqual(r.calls, ['agent join']);
  });

  it('runs check-config, which takes no flags, and returns its exit code', async () => {
    const r = await run(['check-config']);
    assert.equal(r.code, 1);
    assert.deepEqual(r.calls, ['check-config']);
    const bad = await run(['check-config', '--data-dir', '/x']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^tsk: unknown option '--data-dir' \(see tsk check-config --help\)\n$/);
    assert.deepEqual(bad.calls, []);
  });

  it('runs certificate rotate with its services and certificate check; an unknown service is refused', async () => {
    const r = await run(['certificate', 'rotate', '--config', EMPTY, '--data-dir', '/x', '--service', 'admin', '--service', 'api-server,admin']);
    assert.equal(r.stderr, '');
    assert.deepEqual(r.calls, ['certificate rotate /x admin,api-server']);
    assert.deepEqual((await run(['certificate', 'check', '--config', EMPTY], { TSK_DATA_DIR: '/y' })).calls, ['certificate check /y']);
    const bad = await run(['certificate', 'rotate', '--config', EMPTY, '--service', 'etcd']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^tsk: --service: "etcd" is not one of admin, api-server, controller-manager, scheduler, kubelet/);
    assert.deepEqual(bad.calls, []);
  });

  it("runs the etcd-snapshot commands with k3s's flags, with or without the etcd- prefix", async () => {
    const save = await run(['etcd-snapshot', 'save', '--config', EMPTY, '--data-dir', '/x', '--snapshot-compress', '--name', 'nightly']);
    assert.equal(save.stderr, '');
    assert.deepEqual(save.calls, ['etcd-snapshot save dir=/x/server/db/snapshots name=nightly gzip=true keep=0 []']);
    assert.deepEqual((await run(['etcd-snapshot', 'list', '--config', EMPTY, '--etcd-snapshot-dir', '/s'])).calls, ['etcd-snapshot ls dir=/s name=on-demand gzip=false keep=0 []']);
    assert.deepEqual((await run(['etcd-snapshot', 'delete', '--config', EMPTY, '--dir', '/s', 'a', 'b'])).calls, ['etcd-snapshot delete dir=/s name=on-demand gzip=false keep=0 [a,b]']);
    assert.deepEqual((await run(['etcd-snapshot', 'prune', '--config', EMPTY, '--dir', '/s', '--snapshot-retention', '2'])).calls, ['etcd-snapshot prune dir=/s name=on-demand gzip=false keep=2 []']);
    assert.deepEqual((await run(['etcd-snapshot', 'prune', '--config', EMPTY, '--dir', '/s'])).calls, ['etcd-snapshot prune dir=/s name=on-demand gzip=false keep=5 []']);
    const restore = await run(['etcd-snapshot', 'restore', '--config', EMPTY, '--data-dir', '/x']);
    assert.equal(restore.code, 1);
    assert.match(restore.stderr, /^tsk: missing required argument 'snapshot'/);
    const reset = await run(['server', '--config', EMPTY, '--cluster-reset-restore-path', '/s/x']);
    assert.match(reset.stderr, /^tsk: --cluster-reset-restore-path: needs --cluster-reset as well/);
    const restorePath = await run(['server', '--config', EMPTY, '--cluster-reset', '--cluster-reset-restore-path', '/s/x']);
    assert.equal(restorePath.server?.clusterResetRestorePath, '/s/x');
    const cron = await run(['server', '--config', EMPTY, '--etcd-snapshot-schedule-cron', '0 */12 * *']);
    assert.equal(cron.code, 1);
    assert.match(cron.stderr, /^tsk: --etcd-snapshot-schedule-cron: "0 \*\/12 \* \*" is not a cron schedule/);
  });

  it('prints help and version and exits 0', async () => {
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /server/);
    const version = await run(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^tsk version v\d+\.\d+\.\d+\nnode version v\d+/);
    const agentHelp = await run(['agent', '--help']);
    assert.match(agentHelp.stdout, /join/);
    assert.deepEqual(agentHelp.calls, []);
  });

  it('reports a bad flag or value on one line starting with "tsk: " and exits 1', async () => {
    for (const argv of [['server', '--bogus'], ['server', '--config', EMPTY, '--kubelet-port', 'abc'], ['nope'], ['agent', 'extra']]) {
      const r = await run(argv);
      assert.equal(r.code, 1, argv.join(' '));
      assert.match(r.stderr, /^tsk: [^\n]+\n$/, argv.join(' '));
      assert.deepEqual(r.calls, []);
    }
    assert.match((await run(['server', '--bogus'])).stderr, /unknown option '--bogus' \(see tsk server --help\)/);
    assert.match((await run(['server', '--config', EMPTY, '--kubelet-port', 'abc'])).stderr, /^tsk: --kubelet-port: must be a port/);
  });

  it('prints the resolved config with --print-config instead of running', async () => {
    const r = await run(['server', '--config', EMPTY, '--print-config', '--token', 'hush'], { TSK_CLUSTER_DOMAIN: 'corp.local' });
    assert.equal(r.code, 0);
    assert.deepEqual(r.calls, []);
    assert.equal(JSON.parse(r.stdout).clusterDomain, 'corp.local');
    assert.equal(JSON.parse(r.stdout).token, '(redacted)');
  });
});
