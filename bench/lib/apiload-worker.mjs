// Worker side of lib/apiload.ts, plain JavaScript: Node 20 does not apply tsx's loader inside
// worker threads. Runs `clients` HTTP/2 connections over `requests` and posts back
// [index, sent, done] per request (hrtime nanoseconds as strings).
import http2 from 'node:http2';
import { parentPort, workerData } from 'node:worker_threads';

function request(session, r) {
  return new Promise((resolve, reject) => {
    const headers = { ':method': r.method, ':path': r.path, accept: 'application/json' };
    if (r.body !== undefined) headers['content-type'] = 'application/json';
    const req = session.request(headers);
    let status = 0;
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', () => {});
    req.on('end', () => resolve(status));
    req.on('error', reject);
    req.end(r.body === undefined ? undefined : JSON.stringify(r.body));
  });
}

const { offset, url, creds, clients, requests } = workerData;
const sessions = Array.from({ length: clients }, () => http2.connect(url, creds));
const timings = [];
let next = 0;
try {
  await Promise.all(sessions.map(async (s) => {
    while (next < requests.length) {
      const index = next++;
      const r = requests[index];
      const sent = process.hrtime.bigint();
      const status = await request(s, r);
      if (status !== r.expect) throw new Error(`${r.method} ${r.path}: ${status}`);
      timings.push([offset + index, String(sent), String(process.hrtime.bigint())]);
    }
  }));
  parentPort.postMessage(timings);
} catch (err) {
  parentPort.postMessage({ error: err.message });
} finally {
  for (const s of sessions) s.close();
}
