// A client for the proxy tests and bench, run inside a network namespace: COUNT requests to
// HOST:PORT over HTTP (a new connection each, so each goes through conntrack NAT) or UDP (a new
// socket each), CONCURRENCY at a time, INTERVAL ms apart per worker. Prints one JSON array:
// per request its start (Date.now()), latency in ms, and the answer or the error code.
// Mode udp-socket sends every datagram from one socket (one conntrack flow).
// Usage: node testkit-client.mjs http|udp|udp-socket HOST PORT COUNT [CONCURRENCY] [INTERVAL_MS] [TIMEOUT_MS]
import dgram from 'node:dgram';
import http from 'node:http';

const [mode, host, port, count, concurrency = '1', interval = '0', timeout = '2000'] = process.argv.slice(2);
const timeoutMs = Number(timeout);

function httpOnce() {
  return new Promise((resolve) => {
    const req = http.get({ host, port: Number(port), path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => (body += c)).on('end', () => resolve({ answer: body }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err) => resolve({ error: err.code ?? err.message }));
  });
}

function udpOnce() {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const timer = setTimeout(() => { sock.close(); resolve({ error: 'ETIMEDOUT' }); }, timeoutMs);
    sock.on('message', (msg) => { clearTimeout(timer); sock.close(); resolve({ answer: msg.toString() }); });
    sock.on('error', (err) => { clearTimeout(timer); sock.close(); resolve({ error: err.code ?? err.message }); });
    sock.send('?', Number(port), host);
  });
}

let shared;
function udpSocketOnce() {
  if (!shared) {
    shared = dgram.createSocket('udp4');
    shared.on('message', (msg) => shared.pending?.({ answer: msg.toString() }));
  }
  return new Promise((resolve) => {
    const timer = setTimeout(() => { shared.pending = undefined; resolve({ error: 'ETIMEDOUT' }); }, timeoutMs);
    shared.pending = (r) => { clearTimeout(timer); shared.pending = undefined; resolve(r); };
    shared.send('?', Number(port), host);
  });
}

const once = mode === 'udp' ? udpOnce : mode === 'udp-socket' ? udpSocketOnce : httpOnce;
const results = [];
let next = 0;
async function worker() {
  while (next < Number(count)) {
    next++;
    const t = Date.now();
    const t0 = process.hrtime.bigint();
    const r = await once();
    results.push({ t, ms: Number(process.hrtime.bigint() - t0) / 1e6, ...r });
    if (Number(interval) > 0) await new Promise((r) => setTimeout(r, Number(interval)));
  }
}
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
shared?.close();
process.stdout.write(JSON.stringify(results));
