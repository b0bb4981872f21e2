import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { describe, mock, test } from 'node:test';
import { createCa, issueServingCert } from '../auth/pki.ts';
import { guardSession, serverUrlsOfEndpoints, ServerList } from './servers.ts';

describe('ServerList', () => {
  test('a failed connection moves to the next server, round and round', () => {
    const list = new ServerList('https://a:6443', ['https://b:6443', 'https://c:6443']);
    assert.equal(list.current(), 'https://a:6443');
    list.failed('https://a:6443');
    assert.equal(list.current(), 'https://b:6443');
    list.failed('https://b:6443');
    list.failed('https://c:6443');
    assert.equal(list.current(), 'https://a:6443');
  });

  test('a failure of a server no longer in use moves nothing (many streams of one dead session)', () => {
    const list = new ServerList('https://a:6443', ['https://b:6443', 'https://c:6443']);
    list.failed('https://a:6443');
    list.failed('https://a:6443');
    assert.equal(list.current(), 'https://b:6443');
  });

  test('learning servers keeps --server first and the one in use in use', () => {
    const list = new ServerList('https://a:6443/');
    list.failed('https://a:6443');
    assert.equal(list.current(), 'https://a:6443', 'alone, it stays');
    let seen: readonly string[] = [];
    list.onChange((urls) => (seen = urls));
    assert.equal(list.update(['https://b:6443', 'https://a:6443']), true);
    assert.deepEqual(seen, ['https://a:6443', 'https://b:6443']);
    list.failed('https://a:6443');
    assert.equal(list.update(['https://c:6443', 'https://b:6443']), true);
    assert.deepEqual(list.all(), ['https://a:6443', 'https://c:6443', 'https://b:6443']);
    assert.equal(list.current(), 'https://b:6443');
    assert.equal(list.update(['https://c:6443', 'https://b:6443']), false);
  });
});

test('serverUrlsOfEndpoints: one URL per address and port of the kubernetes Endpoints', () => {
  const urls = serverUrlsOfEndpoints({
    subsets: [
      { addresses: [{ ip: '10.0.0.2' }, { ip: '10.0.0.1' }], ports: [{ name: 'https', port: 6443 }] },
      { addresses: [{ ip: 'fd00::1' }], ports: [{ name: 'https', port: 7443 }] },
      { addresses: [{ ip: '10.0.0.9' }], ports: [] },
    ],
  });
  assert.deepEqual(urls, ['https://10.0.0.1:6443', 'https://10.0.0.2:6443', 'https://[fd00::1]:7443']);
});

test('guardSession: a server that stops answering (a host gone, not a process) has its session destroyed', async () => {
  // A TCP server that accepts and then never says a word: the TLS handshake never completes.
  const sockets: net.Socket[] = [];
  const silent = net.createServer((s) => sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  try {
    const session = http2.connect(url, { rejectUnauthorized: false });
    const failed = new Promise<Error>((resolve) => session.on('error', resolve));
    guardSession(session, url);
    mock.timers.tick(10_000);
    assert.equal(session.destroyed, true);
    assert.match((await failed).message, /no TLS connection to .* within 10 s/);
  } finally {
    mock.timers.reset();
    for (const s of sockets) s.destroy();
    silent.close();
  }
});

test('guardSession: a connected server whose host stops answering (pings unanswered) has its session destroyed', async () => {
  const ca = await createCa('test');
  const serving = await issueServingCert(ca, { commonName: 'test', dnsNames: [], ips: ['127.0.0.1'] });
  const server = http2.createSecureServer({ cert: serving.certPem, key: serving.keyPem });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  // A TCP relay in between that can go silent, as a host that is cut off does.
  const relays: net.Socket[] = [];
  let frozen = false;
  const relay = net.createServer((inbound) => {
    const outbound = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    relays.push(inbound, outbound);
    inbound.on('data', (d) => !frozen && outbound.write(d));
    outbound.on('data', (d) => !frozen && inbound.write(d));
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  const url = `https://127.0.0.1:${(relay.address() as net.AddressInfo).port}`;
  mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  try {
    const session = http2.connect(url, { ca: ca.certPem });
    const failed = new Promise<Error>((resolve) => session.on('error', resolve));
    guardSession(session, url);
    await new Promise((r) => session.once('connect', r));
    // Ping rounds answered (setImmediate is not mocked: it lets the answers arrive).
    const answered = () => new Promise<void>((resolve) => session.ping(() => resolve()));
    for (let i = 0; i < 3; i++) {
      mock.timers.tick(10_000);
      await answered();
    }
    assert.equal(session.destroyed, false, 'a server that answers keeps its session');
    frozen = true;
    mock.timers.tick(10_000);
    assert.equal(session.destroyed, false, 'a ping is given its time');
    mock.timers.tick(10_000);
    assert.equal(session.destroyed, true, 'a ping unanswered for 10 s ends the session');
    assert.match((await failed).message, /did not answer a ping within 10 s/);
  } finally {
    mock.timers.reset();
    for (const s of relays) s.destroy();
    relay.close();
    server.close();
  }
});
