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
