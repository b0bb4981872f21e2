"""
Drives Debian's python3-kubernetes (22.x) against a tsk server and prints one JSON object per
line, for test/clients.test.ts to assert on.
Usage: python_client.py KUBECONFIG crud NAMESPACE | python_client.py KUBECONFIG discovery

In "crud" the node test watches stdout: when the line with "op": "watching" appears it creates,
changes and deletes a configmap named "from-node" in NAMESPACE; this script streams those events
from the resourceVersion of its list, so nothing is missed whenever the watch request lands.
"""
import json
import sys

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException


def emit(op, **fields):
    print(json.dumps({"op": op, **fields}), flush=True)


def status_of(error):
    body = json.loads(error.body) if error.body else {}
    return {"status": error.status, "kind": body.get("kind"), "reason": body.get("reason"),
            "code": body.get("code"), "message": body.get("message"), "details": body.get("details")}


def crud(namespace):
    core = client.CoreV1Api()

    emit("list_namespace", names=[ns.metadata.name for ns in core.list_namespace().items])

    created_ns = core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    emit("create_namespace", name=created_ns.metadata.name, phase=created_ns.status.phase)

    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="from-python", labels={"made-by": "python"}),
                              data={"greeting": "hello"})
    created = core.create_namespaced_config_map(namespace, body)
    emit("create_config_map", name=created.metadata.name, uid=created.metadata.uid,
         resourceVersion=created.metadata.resource_version)

    read = core.read_namespaced_config_map("from-python", namespace)
    emit("read_config_map", name=read.metadata.name, uid=read.metadata.uid, data=read.data,
         labels=read.metadata.labels)

    # A dict body makes the client send a strategic merge patch (rest.py swaps the content type).
    patched = core.patch_namespaced_config_map("from-python", namespace, {"data": {"added": "by-patch"}})
    emit("patch_config_map", data=patched.data)

    try:
        core.create_namespaced_config_map(namespace, body)
        emit("create_again", status=None)
    except ApiException as error:
        emit("create_again", **status_of(error))
    try:
        core.read_namespaced_config_map("missing", namespace)
        emit("read_missing", status=None)
    except ApiException as error:
        emit("read_missing", **status_of(error))

    listed = core.list_namespaced_config_map(namespace, label_selector="made-by=python")
    emit("list_config_maps", names=[cm.metadata.name for cm in listed.items])

    start = core.list_namespaced_config_map(namespace).metadata.resource_version
    emit("watching", resourceVersion=start)
    w = watch.Watch()
    for event in w.stream(core.list_namespaced_config_map, namespace, resource_version=start, timeout_seconds=60):
        obj = event["object"]
        emit("event", type=event["type"], name=obj.metadata.name, data=obj.data,
             resourceVersion=obj.metadata.resource_version)
        if event["type"] == "DELETED" and obj.metadata.name == "from-node":
            w.stop()

    # With timeout_seconds the client does not retry: the stream ends when the server ends it.
    quiet = core.list_namespaced_config_map(namespace).metadata.resource_version
    events = [e["type"] for e in watch.Watch().stream(core.list_namespaced_config_map, namespace,
                                                      resource_version=quiet, timeout_seconds=1)]
    emit("watch_timed_out", events=events)

    deleted = core.delete_namespaced_config_map("from-python", namespace)
    emit("delete_config_map", kind=deleted.kind, status=deleted.status)
    try:
        core.read_namespaced_config_map("from-python", namespace)
        emit("read_deleted", status=None)
    except ApiException as error:
        emit("read_deleted", **status_of(error))


def discovery():
    """The generated discovery calls; their paths end in a slash ('/version/', '/api/v1/')."""
    calls = {
        "version": lambda: client.VersionApi().get_code().git_version,
        "core_versions": lambda: client.CoreApi().get_api_versions().versions,
        "groups": lambda: [g.name for g in client.ApisApi().get_api_versions().groups],
        "apps_group": lambda: client.AppsApi().get_api_group().preferred_version.group_version,
        "core_resources": lambda: [r.name for r in client.CoreV1Api().get_api_resources().resources],
        "apps_resources": lambda: [r.name for r in client.AppsV1Api().get_api_resources().resources],
    }
    for op, call in calls.items():
        try:
            emit(op, result=call())
        except ApiException as error:
            emit(op, **status_of(error))


if __name__ == "__main__":
    config.load_kube_config(config_file=sys.argv[1])
    try:
        if sys.argv[2] == "crud":
            crud(sys.argv[3])
        else:
            discovery()
    except ApiException as error:
        emit("failed", **status_of(error))
        sys.exit(1)
