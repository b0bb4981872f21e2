// The load client of bench/network.ts, plain JavaScript so that it starts as `node podclient.mjs`
// inside a pod's network namespace (nsenter --net=/proc/PID/ns/net), where the bench cannot run
// itself. It reads one JSON command per line on stdin and writes one JSON line per command:
//   {op:'http', host, port, count, concurrency, keepAlive}   → {seconds, ms[], errors, by{}}
//   {op:'dns', server, name, type, count, concurrency}        → {seconds, ms[], rcodes{}, timeouts}
//   {op:'until', host, port, want, name?, quiet?, timeoutMs}  → {at, attempts, errors}
// Every 'until' request is a new connection, so each one takes the kernel's NAT decision anew.
// want 'answer': `at` is when the first request that got an answer (from `name`, if given) started.
// want 'gone': polls until `quiet` answers in a row came from others than `name`; `at` is when the
//   first request after the last answer from `name` started.
// want 'refused': `at` is when the first request that got no answer started.
// Times (`at`) are performance.timeOrigin + performance.now(): comparable across processes.
import dgram from 'node:dgram';
import http from 'node:http';
import readline from 'node:readline';
import packet from 'dns-packet';

const now = () => performance.timeOrigin + performance.now();

function get(host, port, agent, timeoutMs) {
  return new Promise((resolve) => {
    const req = http.get({ host, port, path: '/', agent, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => (body += c)).on('end', () => resolve({ answer: body.trim() }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => resolve({ error: err.code ?? err.message }));
  });
}

async function httpLoad({ host, port, count, concurrency, keepAlive }) {
  const agent = keepAlive ? new http.Agent({ keepAlive: true, maxSockets: concurrency }) : false;
  const ms = [];
  const by = {};
  let errors = 0;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      next++;
      const s = performance.now();
      const r = await get(host, port, agent, 5000);
      if (r.error) errors++;
      else {
        ms.push(performance.now() - s);
        by[r.answer] = (by[r.answer] ?? 0) + 1;
      }
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  if (agent) agent.destroy();
  return { seconds, ms, errors, by };
}

async function dnsLoad({ server, name, type = 'A', count, concurrency }) {
  const sock = dgram.createSocket('udp4');
  await new Promise((r) => sock.bind(0, r));
  const started = new Map();
  const ms = [];
  const rcodes = {};
  let sent = 0;
  let timeouts = 0;
  let id = 0;
  const t0 = performance.now();
  await new Promise((resolve) => {
    const settle = () => {
      if (ms.length + timeouts === count) resolve();
      else send();
    };
    const send = () => {
      if (sent >= count) return;
      sent++;
      id = (id + 1) & 0xffff;
      const mine = id;
      const timer = setTimeout(() => {
        if (!started.delete(mine)) return;
        timeouts++;
        settle();
      }, 2000);
      started.set(mine, { at: performance.now(), timer });
      sock.send(packet.encode({ type: 'query', id: mine, flags: packet.RECURSION_DESIRED, questions: [{ name, type }] }), 53, server);
    };
    sock.on('message', (msg) => {
      const q = started.get(msg.readUInt16BE(0));
      if (!q) return;
      started.delete(msg.readUInt16BE(0));
      clearTimeout(q.timer);
      ms.push(performance.now() - q.at);
      const rcode = packet.decode(msg).rcode;
      rcodes[rcode] = (rcodes[rcode] ?? 0) + 1;
      settle();
    });
    for (let i = 0; i < concurrency; i++) send();
  });
  sock.close();
  return { seconds: (performance.now() - t0) / 1000, ms, rcodes, timeouts };
}

async function until({ host, port, want, name, quiet = 30, timeoutMs = 60_000, gapMs = 2 }) {
  const deadline = performance.now() + timeoutMs;
  let attempts = 0;
  let errors = 0;
  let firstAfterLast;
  let others = 0;
  while (performance.now() < deadline) {
    const at = now();
    attempts++;
    const r = await get(host, port, false, 1000);
    if (r.error) errors++;
    if (want === 'answer' && !r.error && (name === undefined || r.answer === name)) return { at, attempts, errors };
    if (want === 'refused' && r.error) return { at, attempts, errors };
    if (want === 'gone' && !r.error) {
      if (r.answer === name) {
        firstAfterLast = undefined;
        others = 0;
      } else {
        firstAfterLast ??= at;
        if (++others >= quiet) return { at: firstAfterLast, attempts, errors };
      }
    }
    await new Promise((r) => setTimeout(r, gapMs));
  }
  return { error: `no ${want} from ${host}:${port} in ${timeoutMs} ms`, attempts, errors };
}

const ops = { http: httpLoad, dns: dnsLoad, until };
const lines = readline.createInterface({ input: process.stdin });
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
for await (const line of lines) {
  const command = JSON.parse(line);
  let reply;
  try {
    reply = await ops[command.op](command);
  } catch (err) {
    reply = { error: err.stack ?? String(err) };
  }
  process.stdout.write(`${JSON.stringify(reply)}\n`);
}
