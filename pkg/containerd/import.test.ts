import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeImageName } from './import.ts';

describe('image names', () => {
  it('are completed as the CRI looks them up', () => {
    const cases: [string, string][] = [
      ['busybox', 'docker.io/library/busybox:latest'],
      ['busybox:1.36', 'docker.io/library/busybox:1.36'],
      ['me/app', 'docker.io/me/app:latest'],
      ['localhost/app:v1', 'localhost/app:v1'],
      ['localhost:5000/app', 'localhost:5000/app:latest'],
      ['tsk.local/pause:abc', 'tsk.local/pause:abc'],
      ['ghcr.io/a/b@sha256:00', 'ghcr.io/a/b@sha256:00'],
      ['docker.io/library/x:1', 'docker.io/library/x:1'],
    ];
    for (const [name, full] of cases) assert.equal(normalizeImageName(name), full, name);
  });
});
