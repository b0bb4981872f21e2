import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { MessageTypeDefinition, MethodDefinition } from '@grpc/proto-loader';
import { CriError, isNotFound, toCriError } from './errors.ts';
import { criPackageDefinition, IMAGE_SERVICE, RUNTIME_SERVICE } from './proto.ts';

const definition = criPackageDefinition();

function service(name: string): Record<string, MethodDefinition<object, object>> {
  return definition[name] as unknown as Record<string, MethodDefinition<object, object>>;
}

/** The field numbers of a message, by camelCase name, as the embedded schema declares them. */
function fieldNumbers(message: string): Record<string, number> {
  const type = (definition[`runtime.v1.${message}`] as MessageTypeDefinition<object, object>).type as { field: { name: string; number: number }[] };
  return Object.fromEntries(type.field.map((f) => [f.name, f.number]));
}

describe('embedded CRI v1 schema', () => {
  it('exposes every RuntimeService and ImageService method the kubelet calls', () => {
    const runtime = ['Version', 'RunPodSandbox', 'StopPodSandbox', 'RemovePodSandbox', 'PodSandboxStatus', 'ListPodSandbox', 'CreateContainer', 'StartContainer', 'StopContainer', 'RemoveContainer', 'ListContainers', 'ContainerStatus', 'UpdateContainerResources', 'ReopenContainerLog', 'ExecSync', 'Exec', 'Attach', 'PortForward', 'ContainerStats', 'ListContainerStats', 'PodSandboxStats', 'ListPodSandboxStats', 'UpdateRuntimeConfig', 'Status'];
    const image = ['ListImages', 'ImageStatus', 'PullImage', 'RemoveImage', 'ImageFsInfo'];
    assert.deepEqual(Object.keys(service(RUNTIME_SERVICE)).sort(), [...runtime].sort());
    assert.deepEqual(Object.keys(service(IMAGE_SERVICE)).sort(), [...image].sort());
    for (const name of runtime) assert.equal(service(RUNTIME_SERVICE)[name]!.path, `/runtime.v1.RuntimeService/${name}`);
    for (const name of image) assert.equal(service(IMAGE_SERVICE)[name]!.path, `/runtime.v1.ImageService/${name}`);
  });

  it('keeps the real field numbers where api.proto numbers out of order', () => {
    // Facts from k8s.io/cri-api pkg/apis/runtime/v1/api.proto.
    assert.deepEqual(fieldNumbers('LinuxSandboxSecurityContext'), { namespaceOptions: 1, selinuxOptions: 2, runAsUser: 3, readonlyRootfs: 4, supplementalGroups: 5, privileged: 6, runAsGroup: 8, seccomp: 9, apparmor: 10 });
    assert.equal(fieldNumbers('LinuxContainerSecurityContext').runAsGroup, 12);
    assert.equal(fieldNumbers('LinuxContainerSecurityContext').noNewPrivs, 11);
    assert.equal(fieldNumbers('ImageSpec').userSpecifiedImage, 18);
    assert.equal(fieldNumbers('Mount').recursiveReadOnly, 8);
    assert.equal(fieldNumbers('Namespace').options, 2);
    assert.equal(fieldNumbers('ContainerStatus').imageId, 17);
    assert.equal(fieldNumbers('UpdateContainerResourcesRequest').annotations, 4);
  });

  it('encodes camelCase requests and decodes responses with defaults, numbers, enum names and Buffers', () => {
    const execSync = service(RUNTIME_SERVICE).ExecSync!;
    // container_id = 1 ("c"), cmd = 2 ("ls"), timeout = 3 (5): tag bytes 0x0a, 0x12, 0x18.
    assert.deepEqual([...execSync.requestSerialize({ containerId: 'c', cmd: ['ls'], timeout: 5 })], [0x0a, 1, 0x63, 0x12, 2, 0x6c, 0x73, 0x18, 5]);
    assert.deepEqual(execSync.responseDeserialize(Buffer.from([0x0a, 2, 0x68, 0x69, 0x18, 7])), { stdout: Buffer.from('hi'), stderr: Buffer.alloc(0), exitCode: 7 });

    // An empty ImageStatusResponse is how a runtime says "no such image".
    assert.deepEqual(service(IMAGE_SERVICE).ImageStatus!.responseDeserialize(Buffer.alloc(0)), { image: null, info: {} });

    const status = service(RUNTIME_SERVICE).ContainerStatus!;
    // status = 1 { state = 3: CONTAINER_EXITED (2), created_at = 4: 2^40 }
    const encoded = Buffer.from([0x0a, 9, 0x18, 2, 0x20, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
    const decoded = status.responseDeserialize(encoded) as { status: { state: string; createdAt: number; exitCode: number; labels: object } };
    assert.equal(decoded.status.state, 'CONTAINER_EXITED');
    assert.equal(decoded.status.createdAt, 2 ** 40);
    assert.equal(decoded.status.exitCode, 0);
    assert.deepEqual(decoded.status.labels, {});
  });
});

describe('CriError', () => {
  it('names the gRPC status and keeps the runtime text', () => {
    const err = toCriError(Object.assign(new Error('5 NOT_FOUND: x'), { code: GrpcStatus.NOT_FOUND, details: 'container "abc" not found', metadata: undefined }), 'RuntimeService/ContainerStatus');
    assert.ok(err instanceof CriError);
    assert.equal(err.code, 'NotFound');
    assert.equal(err.grpcCode, GrpcStatus.NOT_FOUND);
    assert.equal(err.details, 'container "abc" not found');
    assert.equal(err.message, 'CRI RuntimeService/ContainerStatus: NotFound: container "abc" not found');
    assert.ok(isNotFound(err));
  });

  it('calls anything that is not a gRPC status Unknown', () => {
    const err = toCriError(new Error('boom'), 'ImageService/PullImage');
    assert.equal(err.code, 'Unknown');
    assert.equal(err.grpcCode, GrpcStatus.UNKNOWN);
    assert.equal(isNotFound(err), false);
    assert.equal(new CriError('Unavailable', 'r', 'd').grpcCode, GrpcStatus.UNAVAILABLE);
  });
});
