/** The HPACK reader/writer and the :authority rewriter (authority.ts) against RFC vectors and Node's own HTTP/2. */
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { describe, it } from 'node:test';
import { cleanAuthority, RewritingConnection } from './authority.ts';
import { encodeLiterals, HpackDecoder, HpackError, huffmanCode, huffmanDecode } from './hpack.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('HPACK', () => {
  it('builds the RFC 7541 Huffman code from the code lengths', () => {
    assert.deepEqual(huffmanCode(0), { code: 0x1ff8, bits: 13 });
    assert.deepEqual(huffmanCode('0'.charCodeAt(0)), { code: 0x0, bits: 5 });
    assert.deepEqual(huffmanCode('a'.charCodeAt(0)), { code: 0x3, bits: 5 });
    assert.deepEqual(huffmanCode(' '.charCodeAt(0)), { code: 0x14, bits: 6 });
    assert.deepEqual(huffmanCode(':'.charCodeAt(0)), { code: 0x5c, bits: 7 });
    assert.deepEqual(huffmanCode(10), { code: 0x3ffffffc, bits: 30 });
    assert.deepEqual(huffmanCode(255), { code: 0x3ffffee, bits: 26 });
    assert.deepEqual(huffmanCode(256), { code: 0x3fffffff, bits: 30 });
  });

  it('decodes the RFC 7541 C.4 request examples (Huffman, dynamic table)', () => {
    const d = new HpackDecoder();
    const plain = (fields: Array<{ name: string; value: string }>) => fields.map((f) => [f.name, f.value]);
    assert.deepEqual(plain(d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'))), [
      [':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'],
    ]);
    assert.deepEqual(plain(d.decode(hex('8286 84be 5886 a8eb 1064 9cbf'))), [
      [':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com'], ['cache-control', 'no-cache'],
    ]);
    assert.deepEqual(plain(d.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'))), [
      [':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value'],
    ]);
  });

  it('round-trips literals and refuses malformed blocks', () => {
    const fields = [{ name: ':authority', value: 'h:1', sensitive: false }, { name: 'x-long', value: 'v'.repeat(300), sensitive: true }];
    assert.deepEqual(new HpackDecoder().decode(encodeLiterals(fields)), fields);
    assert.throws(() => new HpackDecoder().decode(hex('ff')), HpackError);
    assert.throws(() => new HpackDecoder().decode(hex('be')), HpackError);
    assert.throws(() => new HpackDecoder().decode(hex('0085 ffff')), HpackError);
    assert.throws(() => huffmanDecode(hex('00')), HpackError);
  });
});

describe(':authority rewriting', () => {
  it('keeps valid authorities and cleans the ones Go etcd clients send', () => {
    assert.equal(cleanAuthority('127.0.0.1:2379'), '127.0.0.1:2379');
    assert.equal(cleanAuthority('[::1]:2379'), '[::1]:2379');
    assert.equal(cleanAuthority('http://127.0.0.1:2379'), '127.0.0.1:2379');
    assert.equal(cleanAuthority('unix:///run/tsk/etcd.sock'), 'localhost');
    assert.equal(cleanAuthority('#initially=[http://127.0.0.1:2379]'), 'localhost');
  });

  it('lets Node\'s HTTP/2 server accept requests whose authority it would refuse, headers intact', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const h2 = http2.createServer();
    h2.on('stream', (stream, headers) => {
      seen.push({ ...headers });
      stream.respond({ ':status': 200 });
      stream.end('ok');
    });
    const listener = net.createServer((socket) => h2.emit('connection', new RewritingConnection(socket)));
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as net.AddressInfo).port;
    const client = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const get = (headers: http2.OutgoingHttpHeaders) => new Promise<number>((resolve, reject) => {
        const req = client.request(headers);
        req.on('response', (h) => resolve(Number(h[':status'])));
        req.on('error', reject);
        req.resume();
        req.end();
      });
      // Valid first (passed through untouched), then invalid (re-encoded from then on), with
      // repeated headers so the client's encoder uses its dynamic table and Huffman strings.
      assert.equal(await get({ ':path': '/a', ':authority': `127.0.0.1:${port}`, 'x-token': 'secret-1', 'x-same': 'same value' }), 200);
      for (let i = 0; i < 3; i++) {
        assert.equal(await get({ ':path': `/b${i}`, ':authority': `http://127.0.0.1:${port}`, 'x-token': `secret-${i}`, 'x-same': 'same value' }), 200);
      }
      assert.equal(await get({ ':path': '/c', ':authority': `127.0.0.1:${port}`, 'x-same': 'same value', 'x-big': 'z'.repeat(40_000) }), 200);
    } finally {
      client.close();
      listener.close();
      h2.close();
    }
    assert.deepEqual(seen.map((h) => [h[':path'], h[':authority'], h['x-token'], h['x-same']]), [
      ['/a', `127.0.0.1:${port}`, 'secret-1', 'same value'],
      ['/b0', `127.0.0.1:${port}`, 'secret-0', 'same value'],
      ['/b1', `127.0.0.1:${port}`, 'secret-1', 'same value'],
      ['/b2', `127.0.0.1:${port}`, 'secret-2', 'same value'],
      ['/c', `127.0.0.1:${port}`, undefined, 'same value'],
    ]);
    assert.equal(seen[4]!['x-big'], 'z'.repeat(40_000));
  });
});
