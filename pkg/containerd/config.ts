/**
 * The managed containerd's config.toml (version 2, the format containerd 1.6 reads). Every
 * path containerd owns lives under DATA_DIR/agent/containerd, so two agents on one machine (the
 * tests run a second one in a network namespace) never share a root, a state dir, a socket, a
 * runc root or pod network namespaces.
 *
 * One thing containerd 1.6 does not let us move: shim sockets sit in /run/containerd/s/<hash>,
 * but the hash covers our own gRPC address, so two containerds never collide there.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The CRI streaming server's port (exec, attach, port-forward URLs): k3s pins it to 10010 too. */
export const DEFAULT_STREAM_SERVER_PORT = 10010;
/** Where Debian's containernetworking-plugins package installs the CNI plugins. */
export const DEFAULT_CNI_BIN_DIR = '/usr/lib/cni';

export type Snapshotter = 'overlayfs' | 'native';

export interface ContainerdConfigOptions {
  /** DATA_DIR/agent/containerd: config, root, state, sockets and log live here. */
  dir: string;
  /** The CRI sandbox image: tsk's built-in pause image (see pause.ts). */
  sandboxImage: string;
  streamServerPort?: number;
  cniBinDir?: string;
  /** Default DATA_DIR/agent/etc/cni/net.d (the sibling of `dir`'s parent). */
  cniConfDir?: string;
  /** Chosen by the caller once per start: see probeSnapshotter. */
  snapshotter: Snapshotter;
  /** Must agree with the kubelet's cgroup driver; cgroupfs (false) unless the host runs systemd's. */
  systemdCgroup?: boolean;
}

/** The paths ManagedContainerd and the CRI client need, derived from the folder alone. */
export interface ContainerdPaths {
  dir: string;
  config: string;
  root: string;
  state: string;
  socket: string;
  ttrpcSocket: string;
  runcRoot: string;
  log: string;
  pidFile: string;
  /** The image folder's memory of what it imported (images.ts). */
  importState: string;
}

export function containerdPaths(dir: string): ContainerdPaths {
  return {
    dir,
    config: path.join(dir, 'config.toml'),
    root: path.join(dir, 'root'),
    state: path.join(dir, 'state'),
    socket: path.join(dir, 'containerd.sock'),
    ttrpcSocket: path.join(dir, 'containerd.sock.ttrpc'),
    runcRoot: path.join(dir, 'runc'),
    log: path.join(dir, 'containerd.log'),
    pidFile: path.join(dir, 'containerd.pid'),
    importState: path.join(dir, 'imported-images.json'),
  };
}

type TomlValue = string | number | boolean | string[];
type TomlTable = { [key: string]: TomlValue | TomlTable };

/** The config as data: tables nest, the renderer below turns them into TOML sections. */
export function containerdConfig(options: ContainerdConfigOptions): TomlTable {
  const paths = containerdPaths(options.dir);
  const cniConfDir = options.cniConfDir ?? path.join(path.dirname(options.dir), 'etc', 'cni', 'net.d');
  return {
    version: 2,
    root: paths.root,
    state: paths.state,
    grpc: { address: paths.socket },
    ttrpc: { address: paths.ttrpcSocket },
    plugins: {
      // The `opt` plugin would otherwise install into the host-wide /opt/containerd.
      'io.containerd.internal.v1.opt': { path: path.join(paths.root, 'opt') },
      'io.containerd.grpc.v1.cri': {
        sandbox_image: options.sandboxImage,
        stream_server_address: '127.0.0.1',
        stream_server_port: String(options.streamServerPort ?? DEFAULT_STREAM_SERVER_PORT),
        enable_selinux: false,
        // Always on: without CAP_SYS_RESOURCE (containers, VMs like this one, rootless) runc
        // fails to raise a pod's oom_score_adj; with the capability the setting changes nothing
        // but lowering values below ours, which the kubelet never asks for.
        restrict_oom_score_adj: true,
        // Pod network namespaces under our state dir instead of the host-wide /var/run/netns.
        netns_mounts_under_state_dir: true,
        containerd: {
          snapshotter: options.snapshotter,
          default_runtime_name: 'runc',
          runtimes: {
            runc: {
              runtime_type: 'io.containerd.runc.v2',
              options: { Root: paths.runcRoot, SystemdCgroup: options.systemdCgroup ?? false },
            },
          },
        },
        cni: { bin_dir: options.cniBinDir ?? DEFAULT_CNI_BIN_DIR, conf_dir: cniConfDir },
      },
    },
  };
}

function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

/** JSON string escapes are valid TOML basic-string escapes for everything we write. */
function tomlValue(value: TomlValue): string {
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Scalars of a table first, then its sub-tables as `[a.b.c]` sections, as TOML requires. */
export function renderToml(table: TomlTable, prefix: string[] = []): string {
  const scalars: string[] = [];
  const sections: string[] = [];
  for (const [key, value] of Object.entries(table)) {
    if (typeof value === 'object' && !Array.isArray(value)) sections.push(renderToml(value, [...prefix, key]));
    else scalars.push(`${tomlKey(key)} = ${tomlValue(value)}\n`);
  }
  const header = prefix.length > 0 && scalars.length > 0 ? `\n[${prefix.map(tomlKey).join('.')}]\n` : '';
  return header + scalars.join('') + sections.join('');
}

/** Writes config.toml (0600: it names our sockets) and creates the folders containerd expects. */
export function writeContainerdConfig(options: ContainerdConfigOptions): ContainerdPaths {
  const paths = containerdPaths(options.dir);
  fs.mkdirSync(options.dir, { recursive: true, mode: 0o711 });
  const text = `# Written by tsk at every agent start: edits here are lost.\n${renderToml(containerdConfig(options))}`;
  fs.writeFileSync(paths.config, text, { mode: 0o600 });
  return paths;
}
