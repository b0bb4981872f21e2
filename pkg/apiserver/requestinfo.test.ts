import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorizationInfo, BadPathError, isTrue, parseRequestInfo, type RequestInfo } from './requestinfo.ts';

function info(method: string, url: string): RequestInfo {
  const u = new URL(url, 'https://localhost');
  return parseRequestInfo(method, u.pathname, u.searchParams);
}

/** verb group version namespace resource subresource name, as one line to compare at a glance. */
function shape(method: string, url: string): string {
  const i = info(method, url);
  assert.equal(i.isResourceRequest, true, `${method} ${url} is a resource request`);
  return [i.verb, i.group, i.version, i.namespace, i.resource, i.subresource, i.name].join(' ');
}

describe('resource requests, as Kubernetes RequestInfoFactory reads them', () => {
  const cases: [string, string, string][] = [
    ['GET', '/api/v1/namespaces', 'list  v1  namespaces  '],
    ['GET', '/api/v1/namespaces/other', 'get  v1 other namespaces  other'],
    ['GET', '/api/v1/namespaces/other/pods', 'list  v1 other pods  '],
    ['GET', '/api/v1/namespaces/other/pods/foo', 'get  v1 other pods  foo'],
    ['HEAD', '/api/v1/namespaces/other/pods/foo', 'get  v1 other pods  foo'],
    ['GET', '/api/v1/pods', 'list  v1  pods  '],
    ['HEAD', '/api/v1/pods', 'list  v1  pods  '],
    ['GET', '/api/v1/nodes/n1', 'get  v1  nodes  n1'],
    ['GET', '/api/v1/namespaces/other/pods/foo/status', 'get  v1 other pods status foo'],
    ['GET', '/api/v1/namespaces/other/pods/foo/log', 'get  v1 other pods log foo'],
    ['PUT', '/api/v1/namespaces/other/status', 'update  v1 other namespaces status other'],
    ['PUT', '/api/v1/namespaces/other/finalize', 'update  v1 other namespaces finalize other'],
    ['DELETE', '/api/v1/namespaces/other', 'delete  v1 other namespaces  other'],
    ['PATCH', '/api/v1/namespaces/other/pods/foo', 'patch  v1 other pods  foo'],
    ['PUT', '/api/v1/namespaces/other/pods/foo', 'update  v1 other pods  foo'],
    ['DELETE', '/api/v1/namespaces/other/pods/foo', 'delete  v1 other pods  foo'],
    ['POST', '/api/v1/namespaces/other/pods', 'create  v1 other pods  '],
    ['POST', '/api/v1/namespaces/other/pods/foo/eviction', 'create  v1 other pods eviction foo'],
    ['DELETE', '/api/v1/nodes', 'deletecollection  v1  nodes  '],
    ['DELETE', '/api/v1/namespaces', 'deletecollection  v1  namespaces  '],
    ['DELETE', '/api/v1/namespaces/other/pods', 'deletecollection  v1 other pods  '],
    ['DELETE', '/apis/apps/v1/namespaces/other/deployments', 'deletecollection apps v1 other deployments  '],
    ['POST', '/apis/apps/v1/namespaces/other/deployments', 'create apps v1 other deployments  '],
    ['PUT', '/apis/apps/v1/namespaces/other/deployments/web/scale', 'update apps v1 other deployments scale web'],
    ['GET', '/apis/rbac.authorization.k8s.io/v1/clusterroles/admin', 'get rbac.authorization.k8s.io v1  clusterroles  admin'],
    ['GET', '/apis/apps/v1beta3/deployments', 'list apps v1beta3  deployments  '],
    ['OPTIONS', '/api/v1/pods', '  v1  pods  '],
  ];
  for (const [method, url, want] of cases) {
    it(`${method} ${url}`, () => assert.equal(shape(method, url), want));
  }

  it('keeps path segments past the subresource', () => {
    const i = info('GET', '/api/v1/namespaces/other/pods/foo/proxy/subpath/x');
    assert.equal(i.subresource, 'proxy');
    assert.deepEqual(i.rest, ['subpath', 'x']);
  });

  it('ignores trailing slashes', () => {
    assert.equal(shape('GET', '/api/v1/namespaces/other/pods/'), 'list  v1 other pods  ');
  });
});

describe('watch', () => {
  it('is a list with watch=<anything but 0/false>', () => {
    for (const v of ['1', 'true', 'True', 'TRUE', 't', 'yes', '']) {
      assert.equal(info('GET', `/api/v1/pods?watch=${v}`).verb, 'watch', `watch=${v}`);
    }
    for (const v of ['0', 'false', 'False', 'FALSE']) {
      assert.equal(info('GET', `/api/v1/pods?watch=${v}`).verb, 'list', `watch=${v}`);
    }
  });

  it('is the verb of /watch/ paths, for collections and single objects', () => {
    assert.equal(shape('GET', '/api/v1/watch/pods'), 'watch  v1  pods  ');
    assert.equal(shape('GET', '/api/v1/watch/namespaces/other/pods'), 'watch  v1 other pods  ');
    assert.equal(shape('GET', '/api/v1/watch/namespaces/other/pods/foo'), 'watch  v1 other pods  foo');
    assert.equal(shape('GET', '/apis/apps/v1/watch/namespaces/other/deployments'), 'watch apps v1 other deployments  ');
  });

  it('does not turn a get of one object into a watch (Kubernetes serves the object)', () => {
    assert.equal(info('GET', '/api/v1/namespaces/other/pods/foo?watch=1').verb, 'get');
  });

  it('/watch alone names nothing', () => {
    assert.throws(() => info('GET', '/api/v1/watch'), BadPathError);
  });
});

describe('proxy paths', () => {
  it('take the verb from the path and keep everything after the name', () => {
    const i = info('GET', '/api/v1/proxy/namespaces/other/pods/foo/subpath/not/a/subresource');
    assert.equal([i.verb, i.namespace, i.resource, i.name, i.subresource].join(' '), 'proxy other pods foo ');
    assert.deepEqual(i.rest, ['subpath', 'not', 'a', 'subresource']);
  });
});

describe('fieldSelector=metadata.name on list and watch', () => {
  it('names the object, so RBAC resourceNames apply', () => {
    assert.equal(shape('GET', '/apis/g/v1/things?fieldSelector=metadata.name%3Dname1'), 'list g v1  things  name1');
    assert.equal(shape('GET', '/apis/g/v1/things?watch=true&fieldSelector=metadata.name%3D%3Dname1'), 'watch g v1  things  name1');
  });

  it('only when the list options parse and the name is a path segment', () => {
    assert.equal(info('GET', '/apis/g/v1/things?fieldSelector=foo%3Dbar').name, '');
    assert.equal(info('GET', '/apis/g/v1/things?fieldSelector=metadata.name!%3Dname1').name, '');
    assert.equal(info('GET', '/apis/g/v1/things?fieldSelector=metadata.name%3Dname1,foo').name, '');
    assert.equal(info('GET', '/apis/g/v1/things?fieldSelector=metadata.name%3Dname1,foo&watch=true').verb, 'watch');
    assert.equal(info('GET', '/apis/g/v1/things?fieldSelector=metadata.name%3Dname1&labelSelector=a%20b').name, '');
    assert.equal(info('GET', '/apis/g/v1/things?fieldSelector=metadata.name%3D..').name, '');
  });

  it('does not apply to deletecollection', () => {
    assert.equal(shape('DELETE', '/api/v1/namespaces/ns/pods?fieldSelector=metadata.name%3Dx'), 'deletecollection  v1 ns pods  ');
  });
});

describe('names in paths', () => {
  it('decodes %-escapes per segment', () => {
    assert.equal(info('GET', '/api/v1/namespaces/ns/configmaps/a%3Ab').name, 'a:b');
    assert.equal(info('GET', '/api/v1/namespaces/ns/configmaps/a%2Fb').name, 'a/b');
  });

  it('keeps dot segments as names, escaped or not; refuses bad escapes', () => {
    // Dot segments are names like any other here; the store refuses them as names.
    assert.equal(parseRequestInfo('GET', '/api/v1/namespaces/ns/secrets/..', new URLSearchParams()).name, '..');
    const dotted = parseRequestInfo('GET', '/api/v1/namespaces/ns/pods/%2e%2e/x', new URLSearchParams());
    assert.deepEqual([dotted.resource, dotted.name, dotted.subresource], ['pods', '..', 'x']);
    assert.equal(parseRequestInfo('GET', '/api/v1/namespaces/./pods', new URLSearchParams()).namespace, '.');
    assert.throws(() => parseRequestInfo('GET', '/api/v1/namespaces/ns/pods/%zz', new URLSearchParams()), BadPathError);
  });
});

describe('non-resource requests', () => {
  const cases = ['/', '/api', '/api/v1', '/api/v1/', '/apis', '/apis/apps', '/apis/apps/v1', '/apis/v1/pods', '/healthz', '/version', '/openapi/v2', '/badprefix/v1/pods'];
  for (const path of cases) {
    it(path, () => {
      const i = info('GET', path);
      assert.equal(i.isResourceRequest, false);
      assert.equal(i.verb, 'get');
      assert.equal(i.path, path);
    });
  }

  it('keep the lowercased method as the verb', () => {
    assert.equal(info('POST', '/healthz').verb, 'post');
  });
});

describe('isTrue reads query booleans as Kubernetes does', () => {
  it('absent, 0 and false are false; anything else is true', () => {
    assert.equal(isTrue(null), false);
    assert.equal(isTrue(undefined), false);
    assert.equal(isTrue('0'), false);
    assert.equal(isTrue('fAlSe'), false);
    assert.equal(isTrue(''), true);
    assert.equal(isTrue('1'), true);
    assert.equal(isTrue('f'), true);
    assert.equal(isTrue('anything'), true);
  });
});

describe('authorizationInfo', () => {
  it('authorizes a GET exec, attach or portforward (WebSocket) as create, and nothing else', () => {
    for (const sub of ['exec', 'attach', 'portforward']) {
      assert.equal(authorizationInfo(info('GET', `/api/v1/namespaces/ns/pods/p/${sub}`)).verb, 'create', sub);
      assert.equal(authorizationInfo(info('POST', `/api/v1/namespaces/ns/pods/p/${sub}`)).verb, 'create', sub);
    }
    assert.equal(authorizationInfo(info('GET', '/api/v1/namespaces/ns/pods/p/log')).verb, 'get');
    assert.equal(authorizationInfo(info('GET', '/api/v1/namespaces/ns/pods/p')).verb, 'get');
    assert.equal(authorizationInfo(info('GET', '/api/v1/namespaces/ns/services/p/exec')).verb, 'get');
  });
});
