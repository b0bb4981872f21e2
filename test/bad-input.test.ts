/**
 * Bad input, sent raw (HTTP/2 and HTTP/1.1 with the admin certificate, kubectl where a user
 * would type it): each case gets the Status kube-apiserver sends (code, reason, and its very
 * message where Kubernetes' text is known), and after every case the server still answers
 * /readyz and a sentinel object stored before is unchanged.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { encodeProtobufObject } from '../pkg/api/protobuf/index.ts';
import { clusterPerFile } from './lib/cluster.ts';
import { rawClient, type Reply } from './lib/raw.ts';
import { startTsk, type TskProcess } from './lib/tsk.ts';

const { cluster, ok, fails } = clusterPerFile();
const raw = rawClient(() => cluster().url, () => cluster().dataDir);
after(() => raw.close());

const CM = '/api/v1/namespaces/default/configmaps';
const JSON_TYPE = 'application/json';
const YAML_TYPE = 'application/yaml';
const PROTOBUF_TYPE = 'application/vnd.kubernetes.protobuf';

let sentinel: { uid: string; resourceVersion: string };

/** A Status reply with the code and reason (undefined: none), and the message when given. */
function assertStatus(r: Reply, code: number, reason: string | undefined, message?: string | RegExp): Record<string, unknown> {
  assert.equal(r.status, code, r.text);
  assert.match(String(r.headers['content-type']), /^application\/json/);
  const status = JSON.parse(r.text);
  assert.equal(status.kind, 'Status');
  assert.equal(status.status, 'Failure');
  assert.equal(status.code, code);
  assert.equal(status.reason, reason);
  if (typeof message === 'string') assert.equal(status.message, message);
  else if (message) assert.match(status.message, message);
  return status;
}

const post = (body: string | Buffer, type = JSON_TYPE, path = CM) => raw.request('POST', path, { type, body });
const hex = (body: string | Buffer) => Buffer.from(body).subarray(0, 30).toString('hex') + (Buffer.from(body).length > 30 ? ' ...' : '');
const unrecognized = (detail: string, summary: string) => `the object provided is unrecognized (must be of type ConfigMap): ${detail} (${summary})`;
const configMap = (extra: Record<string, unknown> = {}, metadata: Record<string, unknown> = { name: 'x' }) => JSON.stringify({ kind: 'ConfigMap', apiVersion: 'v1', metadata, ...extra });

describe('bad input', () => {
  before(async () => {
    const r = await raw.request('POST', CM, { type: JSON_TYPE, body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'sentinel' }, data: { keep: 'me' } }) });
    assert.equal(r.status, 201, r.text);
    const obj = JSON.parse(r.text);
    sentinel = { uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion };
  });

  afterEach(async () => {
    const ready = await raw.request('GET', '/readyz');
    assert.equal(ready.status, 200, 'the server still answers /readyz');
    assert.equal(ready.text, 'ok');
    const r = await raw.request('GET', `${CM}/sentinel`);
    assert.equal(r.status, 200, r.text);
    const obj = JSON.parse(r.text);
    assert.deepEqual(obj.data, { keep: 'me' }, 'the sentinel kept its data');
    assert.equal(obj.metadata.uid, sentinel.uid);
    assert.equal(obj.metadata.resourceVersion, sentinel.resourceVersion, 'the sentinel was not written');
  });

  describe('malformed bodies', () => {
    test('JSON: encoding/json syntax errors with a glimpse of the body', async () => {
      assertStatus(await post('{bad'), 400, 'BadRequest', unrecognized("couldn't get version/kind; json parse error: invalid character 'b' looking for beginning of object key string", '{bad'));
      assertStatus(await post(''), 400, 'BadRequest', unrecognized("couldn't get version/kind; json parse error: unexpected end of JSON input", '<empty>'));
      assertStatus(await post('{"kind":"ConfigMap"} x'), 400, 'BadRequest', unrecognized("couldn't get version/kind; json parse error: invalid character 'x' after top-level value", '{"kind":"ConfigMap"} x'));
      const longBody = `${configMap()},`;
      assertStatus(await post(longBody), 400, 'BadRequest', unrecognized("couldn't get version/kind; json parse error: invalid character ',' after top-level value", `${longBody.slice(0, 30)} ...`));
      assertStatus(await post('[]'), 400, 'BadRequest', unrecognized('couldn\'t get version/kind; json parse error: json: cannot unmarshal array into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }', '5b5d'));
      assertStatus(await post('{"kind":5}'), 400, 'BadRequest', unrecognized("couldn't get version/kind; json parse error: json: cannot unmarshal number into Go struct field .kind of type string", '{"kind":5}'));
      assertStatus(await post(configMap({}, 'x' as never)), 400, 'BadRequest', 'ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal string into Go struct field ConfigMap.metadata of type v1.ObjectMeta');
    });

    test('YAML: go-yaml errors, in hex', async () => {
      const body = 'apiVersion: v1\nkind: ConfigMap\nmetadata: name: x\n';
      assertStatus(await post(body, YAML_TYPE), 400, 'BadRequest', unrecognized('error converting YAML to JSON: yaml: line 3: mapping values are not allowed in this context', hex(body)));
    });

    test('YAML: a repeated key is a strict decoding error; the last one wins under Warn', async () => {
      const body = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: twice\ndata:\n  a: "1"\ndata:\n  b: "2"\n';
      assertStatus(await post(body, YAML_TYPE, `${CM}?fieldValidation=Strict`), 400, 'BadRequest', 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: error converting YAML to JSON: yaml: unmarshal errors:\n  line 7: key "data" already set in map');
      const warned = await post(body, YAML_TYPE);
      assert.equal(warned.status, 201, warned.text);
      assert.equal(warned.headers.warning, '299 - "line 7: key \\"data\\" already set in map"');
      assert.deepEqual(JSON.parse(warned.text).data, { b: '2' });
    });

    test('a Content-Type no decoder takes is 415', async () => {
      for (const type of ['text/plain', 'text/yaml', 'application/x-www-form-urlencoded']) {
        assertStatus(await post('{}', type), 415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf');
      }
    });

    test('protobuf: bad magic, empty, truncated, unknown kind', async () => {
      const badMagic = Buffer.from('k9s\u0000\u000a\u0000', 'latin1');
      assertStatus(await post(badMagic, PROTOBUF_TYPE), 400, 'BadRequest', unrecognized('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]', hex(badMagic)));
      const empty = Buffer.from('k8s\u0000', 'latin1');
      assertStatus(await post(empty, PROTOBUF_TYPE), 400, 'BadRequest', unrecognized('empty body', hex(empty)));
      // runtime.Unknown whose typeMeta (field 1) claims 16 bytes and brings 2.
      const truncated = Buffer.concat([empty, Buffer.from([0x0a, 0x10, 0x0a, 0x02])]);
      assertStatus(await post(truncated, PROTOBUF_TYPE), 400, 'BadRequest', unrecognized('unexpected EOF', hex(truncated)));
      const typeMeta = Buffer.concat([Buffer.from([0x0a, 2]), Buffer.from('v1'), Buffer.from([0x12, 9]), Buffer.from('Frobnicat')]);
      const unknownKind = Buffer.concat([empty, Buffer.from([0x0a, typeMeta.length]), typeMeta, Buffer.from([0x12, 0])]);
      assertStatus(await post(unknownKind, PROTOBUF_TYPE), 400, 'BadRequest', 'Frobnicat in version "v1" cannot be handled as a ConfigMap: no kind "Frobnicat" is registered for version "v1" in scheme "pkg/api/legacyscheme/scheme.go:30"');
    });

    test('absurd nesting: 100,000 levels of JSON and YAML are refused at 10,000, the server lives on', async () => {
      const arrays = `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"deep"},"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
      assertStatus(await post(arrays), 400, 'BadRequest', unrecognized("couldn't get version/kind; json parse error: invalid character '[' exceeded max depth", `${arrays.slice(0, 30)} ...`));
      const objects = `{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"deep"},"x":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`;
      assertStatus(await post(objects), 400, 'BadRequest', unrecognized("couldn't get version/kind; json parse error: invalid character '{' exceeded max depth", `${objects.slice(0, 30)} ...`));
      const yaml = `kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: deep\nx: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
      assertStatus(await post(yaml, YAML_TYPE), 400, 'BadRequest', unrecognized('error converting YAML to JSON: yaml: line 5: exceeded max depth of 10000', hex(yaml)));
      const yamlMaps = `kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: deep\nx: ${'{a: '.repeat(100_000)}1${'}'.repeat(100_000)}\n`;
      assertStatus(await post(yamlMaps, YAML_TYPE), 400, 'BadRequest', unrecognized('error converting YAML to JSON: yaml: line 5: exceeded max depth of 10000', hex(yamlMaps)));
    });

    test('a YAML alias bomb is refused, not expanded', async () => {
      const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (let i = 1; i < 9; i++) {
        const prev = String.fromCharCode(96 + i);
        levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${prev}`).join(',')}]`);
      }
      const bomb = `kind: ConfigMap\napiVersion: v1\nmetadata:\n  name: bomb\n${levels.join('\n')}\n`;
      assertStatus(await post(bomb, YAML_TYPE), 400, 'BadRequest', unrecognized('error converting YAML to JSON: yaml: document contains excessive aliasing', hex(bomb)));
    });

    test('bodies over 3 MiB are 413, with or without a content-length', async () => {
      const big = configMap({ data: { k: 'x'.repeat(3 * 1024 * 1024) } });
      assertStatus(await post(big), 413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
      assertStatus(await raw.request('POST', CM, { type: JSON_TYPE, body: big, chunked: true }), 413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    });
  });

  describe('bodies that do not fit the URL', () => {
    test('another kind, an unknown kind, another group', async () => {
      assertStatus(await post(JSON.stringify({ kind: 'Secret', apiVersion: 'v1', metadata: { name: 'x' } })), 400, 'BadRequest', 'Secret in version "v1" cannot be handled as a ConfigMap: converting (v1.Secret) to (core.ConfigMap): unknown conversion');
      assertStatus(await post(JSON.stringify({ kind: 'Frobnicat', apiVersion: 'v1', metadata: { name: 'x' } })), 400, 'BadRequest', 'Frobnicat in version "v1" cannot be handled as a ConfigMap: no kind "Frobnicat" is registered for version "v1" in scheme "pkg/api/legacyscheme/scheme.go:30"');
      assertStatus(await post(JSON.stringify({ kind: 'ConfigMap', apiVersion: 'apps/v1', metadata: { name: 'x' } })), 400, 'BadRequest', 'ConfigMap in version "v1" cannot be handled as a ConfigMap: no kind "ConfigMap" is registered for version "apps/v1" in scheme "pkg/api/legacyscheme/scheme.go:30"');
      const secret = encodeProtobufObject({ kind: 'Secret', apiVersion: 'v1', metadata: { name: 'x' } });
      assertStatus(await post(secret, PROTOBUF_TYPE), 400, 'BadRequest', 'Secret in version "v1" cannot be handled as a ConfigMap: converting (v1.Secret) to (core.ConfigMap): unknown conversion');
    });

    test('the same kind in another version of the group converts, then fails the version check', async () => {
      const hpa = JSON.stringify({ kind: 'HorizontalPodAutoscaler', apiVersion: 'autoscaling/v1', metadata: { name: 'x' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'x' }, maxReplicas: 1 } });
      assertStatus(await post(hpa, JSON_TYPE, '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers'), 400, 'BadRequest', 'the API version in the data (autoscaling/v1) does not match the expected API version (autoscaling/v2)');
    });

    test('what the body leaves out comes from the URL', async () => {
      const r = await post(JSON.stringify({ metadata: { name: 'typeless' } }));
      assert.equal(r.status, 201, r.text);
      assert.deepEqual(Object.keys(JSON.parse(r.text)).slice(0, 2), ['kind', 'apiVersion']);
    });

    test('namespace in the body differs from the URL (POST and PUT)', async () => {
      const message = 'the namespace of the provided object does not match the namespace sent on the request';
      assertStatus(await post(configMap({}, { name: 'x', namespace: 'kube-system' })), 400, 'BadRequest', message);
      assertStatus(await raw.request('PUT', `${CM}/sentinel`, { type: JSON_TYPE, body: configMap({}, { name: 'sentinel', namespace: 'kube-system' }) }), 400, 'BadRequest', message);
    });

    test('PUT: the body must carry the URL name', async () => {
      const put = (metadata: Record<string, unknown>) => raw.request('PUT', `${CM}/sentinel`, { type: JSON_TYPE, body: configMap({ data: { keep: 'changed' } }, metadata) });
      assertStatus(await put({ name: 'other' }), 400, 'BadRequest', 'the name of the object (other) does not match the name on the URL (sentinel)');
      assertStatus(await put({}), 400, 'BadRequest', 'the name of the object () does not match the name on the URL (sentinel)');
    });

    test('invalid names are 422 with the validation text', async () => {
      const subdomain = (name: string) => `ConfigMap "${name}" is invalid: metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`;
      assertStatus(await post(configMap({}, { name: 'Upper' })), 422, 'Invalid', subdomain('Upper'));
      assertStatus(await post(configMap({}, { name: '..' })), 422, 'Invalid', subdomain('..'));
      const long = 'a'.repeat(254);
      assertStatus(await post(configMap({}, { name: long })), 422, 'Invalid', `ConfigMap "${long}" is invalid: metadata.name: Invalid value: "${long}": must be no more than 253 characters`);
      assert.match(await fails(['create', 'configmap', 'Upper']), /ConfigMap "Upper" is invalid: metadata\.name: Invalid value: "Upper": a lowercase RFC 1123 subdomain/);
    });

    test('unknown fields: Strict refuses, Warn warns, a bad mode is 422', async () => {
      const body = configMap({ spec: { a: 1 }, data: { k: 'v' } }, { name: 'unknown-fields' });
      assertStatus(await post(body, JSON_TYPE, `${CM}?fieldValidation=Strict`), 400, 'BadRequest', 'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "spec"');
      const warned = await post(body, JSON_TYPE, `${CM}?fieldValidation=Warn`);
      assert.equal(warned.status, 201, warned.text);
      assert.equal(warned.headers.warning, '299 - "unknown field \\"spec\\""');
      assertStatus(await post(body, JSON_TYPE, `${CM}?fieldValidation=strict&dryRun=All&dryRun=Some`), 422, 'Invalid', 'CreateOptions.meta.k8s.io "" is invalid: [dryRun: Unsupported value: []string{"All", "Some"}: supported values: "All", fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"]');
      assert.match(await fails(['create', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: strictly\nbogus: 1\n'), /Error from server \(BadRequest\): error when creating "STDIN": ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "bogus"/);
    });
  });

  describe('bad query parameters', () => {
    test('label and field selectors', async () => {
      assertStatus(await raw.request('GET', `${CM}?labelSelector=${encodeURIComponent('a in (b')}`), 400, 'BadRequest', "unable to parse requirement: found '', expected: ',' or ')'");
      assertStatus(await raw.request('GET', `${CM}?fieldSelector=${encodeURIComponent('a==b==c')}`), 400, 'BadRequest', 'invalid field selector: unescaped character in value: =');
      assertStatus(await raw.request('GET', `${CM}?fieldSelector=${encodeURIComponent('spec.foo=bar')}`), 400, 'BadRequest', '"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"');
      assertStatus(await raw.request('GET', `/api/v1/pods?fieldSelector=${encodeURIComponent('spec.foo=bar')}`), 400, 'BadRequest', 'field label not supported: spec.foo');
      assert.match(await fails(['get', 'configmaps', '-l', 'a in (b']), /Error from server \(BadRequest\): Unable to find "\/v1, Resource=configmaps" that match label selector "a in \(b", field selector "": unable to parse requirement: found '', expected: ',' or '\)'/);
      assert.match(await fails(['get', 'pods', '--field-selector', 'spec.foo=bar']), /Error from server \(BadRequest\): Unable to find "\/v1, Resource=pods" that match label selector "", field selector "spec\.foo=bar": field label not supported: spec\.foo/);
    });

    test('resourceVersion: not a number, too large, misused match', async () => {
      const parse = 'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax';
      assertStatus(await raw.request('GET', `${CM}?resourceVersion=abc`), 400, 'BadRequest', `invalid resource version: ${parse}`);
      assertStatus(await raw.request('GET', `${CM}?resourceVersion=-1`), 400, 'BadRequest', 'invalid resource version: resourceVersion: Invalid value: "-1": strconv.ParseUint: parsing "-1": invalid syntax');
      // Kubernetes still answers a single GET's bad resourceVersion with the storage error, unclassified.
      assertStatus(await raw.request('GET', `${CM}/sentinel?resourceVersion=abc`), 500, undefined, parse);
      const tooLarge = await raw.request('GET', `${CM}/sentinel?resourceVersion=99999999999`);
      const status = assertStatus(tooLarge, 504, 'Timeout', /^Timeout: Too large resource version: 99999999999, current: \d+$/);
      assert.deepEqual(status.details, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
      assert.equal(tooLarge.headers['retry-after'], '1');
      const invalid = (text: string) => `ListOptions.meta.k8s.io "" is invalid: ${text}`;
      assertStatus(await raw.request('GET', `${CM}?resourceVersionMatch=Exact`), 422, 'Invalid', invalid('resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided'));
      assertStatus(await raw.request('GET', `${CM}?resourceVersionMatch=Exact&resourceVersion=0`), 422, 'Invalid', invalid('resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"'));
      assertStatus(await raw.request('GET', `${CM}?resourceVersionMatch=Newest&resourceVersion=1`), 422, 'Invalid', invalid('resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""'));
    });

    test('limit and continue', async () => {
      assertStatus(await raw.request('GET', `${CM}?limit=ten`), 400, 'BadRequest', 'strconv.ParseInt: parsing "ten": invalid syntax');
      const unpaged = await raw.request('GET', `${CM}?limit=-1`);
      assert.equal(unpaged.status, 200, 'a negative limit lists everything');
      assert.ok(JSON.parse(unpaged.text).items.some((i: { metadata: { name: string } }) => i.metadata.name === 'sentinel'));
      assertStatus(await raw.request('GET', `${CM}?limit=1&continue=garbage`), 400, 'BadRequest', "invalid continue token: continue key is not valid: invalid character '\\u0081' looking for beginning of value");
      const escaping = Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: 1, start: '../../secrets/' })).toString('base64url');
      assertStatus(await raw.request('GET', `${CM}?continue=${escaping}`), 400, 'BadRequest', 'invalid continue token: continue key is not valid: ../../secrets/');
      assertStatus(await raw.request('GET', `${CM}?continue=${escaping}&resourceVersion=5`), 400, 'BadRequest', 'specifying resource version is not allowed when using continue');
    });
  });

  describe('patches', () => {
    const patch = (type: string, body: string, path = `${CM}/sentinel`) => raw.request('PATCH', path, { type, body });

    test('an unsupported patch type is 415', async () => {
      for (const type of ['text/plain', 'application/json']) {
        assertStatus(await patch(type, '{}'), 415, 'UnsupportedMediaType', 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml');
      }
    });

    test('malformed JSON patches', async () => {
      const generic = 'the server rejected our request due to an error in our request';
      assertStatus(await patch('application/json-patch+json', '[{"op":"bogus","path":"/data"}]'), 422, 'Invalid', generic);
      assertStatus(await patch('application/json-patch+json', '[{"op":"replace","path":"/nope/x","value":1}]'), 422, 'Invalid', generic);
      assertStatus(await patch('application/json-patch+json', '{"op":"add"}'), 400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
      assertStatus(await patch('application/merge-patch+json', '{bad'), 400, 'BadRequest', 'Invalid JSON Patch');
      assert.match(await fails(['patch', 'configmap', 'sentinel', '--type=json', '-p', '[{"op":"test","path":"/data/keep","value":"not me"}]']), /The request is invalid: the server rejected our request due to an error in our request/);
    });

    test('a strategic merge patch that is no JSON', async () => {
      assertStatus(await patch('application/strategic-merge-patch+json', '{bad'), 400, 'BadRequest', "invalid character 'b' looking for beginning of object key string");
    });

    test('a patch may not change the name or the uid', async () => {
      assertStatus(await patch('application/merge-patch+json', '{"metadata":{"name":"renamed"}}'), 400, 'BadRequest', 'the name of the object (renamed) does not match the name on the URL (sentinel)');
      assertStatus(await patch('application/merge-patch+json', '{"metadata":{"uid":"00000000-0000-0000-0000-000000000000"}}'), 409, 'Conflict', `Operation cannot be fulfilled on configmaps "sentinel": Precondition failed: UID in precondition: 00000000-0000-0000-0000-000000000000, UID in object meta: ${sentinel.uid}`);
    });

    test('patch options', async () => {
      assertStatus(await patch('application/merge-patch+json', '{}', `${CM}/sentinel?force=false`), 422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch');
      assertStatus(await patch('application/apply-patch+yaml', 'apiVersion: v1\nkind: ConfigMap\n'), 422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    });
  });

  describe('paths and methods', () => {
    const notFound = 'the server could not find the requested resource';

    test('unknown group, version, resource, subresource; a cluster-scoped resource in a namespace', async () => {
      const plain = await raw.request('GET', '/apis/frobnicat.example.com/v1/widgets');
      assert.equal(plain.status, 404);
      assert.equal(plain.text, '404 page not found\n', 'a group nobody serves falls through to Go\'s plain 404');
      for (const path of ['/api/v2/pods', '/apis/apps/v9/deployments', '/api/v1/namespaces/default/widgets', '/api/v1/namespaces/default/nodes', `${CM}/sentinel/status`]) {
        const status = assertStatus(await raw.request('GET', path), 404, 'NotFound', notFound);
        assert.deepEqual(status.details, {}, path);
      }
    });

    test('a method the route does not take is 405', async () => {
      const cases: [string, string][] = [['POST', `${CM}/sentinel`], ['PUT', CM], ['PATCH', CM], ['DELETE', '/api/v1/namespaces'], ['GET', '/apis/authentication.k8s.io/v1/tokenreviews'], ['TRACE', CM], ['OPTIONS', `${CM}/sentinel`]];
      for (const [method, path] of cases) {
        const status = assertStatus(await raw.request(method, path, method === 'PATCH' ? { type: 'application/merge-patch+json', body: '{}' } : {}), 405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
        assert.deepEqual(status.details, {}, `${method} ${path}`);
      }
    });

    test('health and version take any method, as their handlers do', async () => {
      const health = await raw.request('TRACE', '/healthz');
      assert.equal(health.status, 200);
      assert.equal(health.text, 'ok');
      assert.deepEqual(assertStatus(await raw.request('POST', '/version'), 405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource').details, {});
    });

    test('an empty segment is no resource', async () => {
      assert.deepEqual(assertStatus(await raw.request('GET', '/api/v1/namespaces/default//configmaps'), 404, 'NotFound', notFound).details, {});
    });

    test('a name that is no path segment is refused by the store', async () => {
      assertStatus(await raw.request('GET', `${CM}/a%25b`), 400, 'BadRequest', 'Name parameter invalid: "a%b": may not contain \'%\'');
    });

    test('dot segments and double slashes are not cleaned away', async () => {
      assertStatus(await raw.request('GET', `${CM}/../secrets`), 404, 'NotFound', notFound);
      assertStatus(await raw.request('GET', `${CM}/%2e%2e/secrets`), 404, 'NotFound', notFound);
      assertStatus(await raw.request('GET', `${CM}/%2e%2e`), 400, 'BadRequest', 'Name parameter invalid: "..": may not be \'..\'');
      const doubled = await raw.request('GET', `/${CM}/sentinel`);
      assert.equal(doubled.status, 404);
      assert.equal(doubled.text, '404 page not found\n');
    });
  });

  describe('credentials', () => {
    test('without credentials: 401, but health and version answer', async () => {
      for (const path of ['/api', '/api/v1/namespaces', `${CM}/sentinel`, '/openapi/v2', '/nonexistent']) {
        assertStatus(await raw.http1('GET', path, { credentials: false }), 401, 'Unauthorized', 'Unauthorized');
      }
      for (const path of ['/healthz', '/livez', '/readyz']) {
        const r = await raw.http1('GET', path, { credentials: false });
        assert.equal(r.status, 200, path);
        assert.equal(r.text, 'ok');
      }
      const version = await raw.http1('GET', '/version', { credentials: false });
      assert.equal(version.status, 200);
      assert.match(JSON.parse(version.text).gitVersion, /^v1\.\d+\.\d+/);
    });

    test('a bad bearer token is 401 even for health', async () => {
      const r = await raw.http1('GET', '/healthz', { credentials: false, headers: { authorization: 'Bearer not-a-token' } });
      assertStatus(r, 401, 'Unauthorized', 'Unauthorized');
    });

    test('HTTP/1.1 with the certificate sees the same Status', async () => {
      assertStatus(await raw.http1('POST', CM, { type: JSON_TYPE, body: '{bad' }), 400, 'BadRequest', unrecognized("couldn't get version/kind; json parse error: invalid character 'b' looking for beginning of object key string", '{bad'));
    });
  });

  describe('watch', () => {
    test('a watch with a bad resourceVersion', async () => {
      assertStatus(await raw.request('GET', `${CM}?watch=1&resourceVersion=abc`), 500, undefined, 'resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax');
    });

    describe('from a resourceVersion the restarted server no longer holds', () => {
      let restarted: TskProcess | undefined;
      after(async () => {
        await restarted?.kill();
      });

      test('opens, then ends with one ERROR event: 410 Expired', async () => {
        const c = cluster();
        await c.server.kill();
        restarted = startTsk(['server', '--disable-agent', '--data-dir', c.dataDir, '--https-listen-port', String(c.port), '--bind-address', '127.0.0.1']);
        await restarted.waitForLog(/serving the Kubernetes API/, 30_000);
        const r = await raw.request('GET', `${CM}?watch=1&resourceVersion=1`);
        assert.equal(r.status, 200);
        const lines = r.text.trim().split('\n');
        assert.equal(lines.length, 1, r.text);
        const event = JSON.parse(lines[0]!);
        assert.equal(event.type, 'ERROR');
        assert.equal(event.object.kind, 'Status');
        assert.equal(event.object.code, 410);
        assert.equal(event.object.reason, 'Expired');
        const oldest = /^too old resource version: 1 \((\d+)\)$/.exec(event.object.message);
        assert.ok(oldest, event.object.message);
        assert.ok(Number(oldest[1]) >= Number(sentinel.resourceVersion));
        assert.match(await ok(['get', 'configmap', 'sentinel', '-o', 'jsonpath={.data.keep}']), /^me$/);
      });
    });
  });
});
