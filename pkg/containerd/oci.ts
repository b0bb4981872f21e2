/**
 * Writes single-platform images as OCI image-layout tarballs (oci-layout, index.json,
 * blobs/sha256/…), the format `ctr images import` and tsk's image folder take. Layers are
 * stored uncompressed (their digest is then also their diff_id): the archives stay local.
 */
import { createHash } from 'node:crypto';
import { type TarEntry, tarArchive } from './tar.ts';

export interface OciImage {
  /** Full reference, e.g. `tsk.local/pause:abc`: containerd names the image after it. */
  name: string;
  /** OCI architecture (`amd64`, `arm64`); the platform containerd unpacks must match it. */
  architecture: string;
  /** Each layer's files, bottom layer first. */
  layers: TarEntry[][];
  config: { Entrypoint?: string[]; Cmd?: string[]; Env?: string[]; WorkingDir?: string; User?: string };
}

const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
};

interface Blob {
  digest: string;
  size: number;
  data: Buffer;
}

function blob(data: Buffer): Blob {
  return { digest: `sha256:${createHash('sha256').update(data).digest('hex')}`, size: data.length, data };
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** The tag part of a reference (`latest` when it has none), for org.opencontainers.image.ref.name. */
function tagOf(name: string): string {
  const lastPart = name.slice(name.lastIndexOf('/') + 1);
  return lastPart.includes(':') ? lastPart.slice(lastPart.indexOf(':') + 1) : 'latest';
}

/** The OCI layout of `image` as one tar archive. */
export function ociImageArchive(image: OciImage): Buffer {
  const layers = image.layers.map((entries) => blob(tarArchive(entries)));
  const config = blob(
    json({
      architecture: image.architecture,
      os: 'linux',
      config: image.config,
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      history: layers.map(() => ({ created_by: 'tsk' })),
    }),
  );
  const manifest = blob(
    json({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config: { mediaType: MEDIA.config, digest: config.digest, size: config.size },
      layers: layers.map((l) => ({ mediaType: MEDIA.layer, digest: l.digest, size: l.size })),
    }),
  );
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA.index,
    manifests: [
      {
        mediaType: MEDIA.manifest,
        digest: manifest.digest,
        size: manifest.size,
        platform: { architecture: image.architecture, os: 'linux' },
        // containerd names the image after io.containerd.image.name; other tools read the tag.
        annotations: { 'io.containerd.image.name': image.name, 'org.opencontainers.image.ref.name': tagOf(image.name) },
      },
    ],
  };
  const blobs = new Map([...layers, config, manifest].map((b) => [b.digest, b]));
  return tarArchive([
    { type: 'file', path: 'oci-layout', data: json({ imageLayoutVersion: '1.0.0' }) },
    { type: 'file', path: 'index.json', data: json(index) },
    { type: 'dir', path: 'blobs' },
    { type: 'dir', path: 'blobs/sha256' },
    ...[...blobs.values()].map((b): TarEntry => ({ type: 'file', path: `blobs/sha256/${b.digest.slice('sha256:'.length)}`, data: b.data })),
  ]);
}
