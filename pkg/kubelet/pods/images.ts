/**
 * Makes a container's image present before it is created, honouring imagePullPolicy, with
 * Kubernetes' events and waiting reasons (ErrImagePull, ImagePullBackOff, ErrImageNeverPull).
 * ImageStatus is asked first: nodes here usually have no registry, their images come from
 * tarballs. One deliberate difference from Kubernetes: with policy Always, a failed pull of an
 * image the node already has uses that image (with a warning) instead of failing the pod, so
 * `:latest` images imported for an air-gapped node run.
 */
import type { KObject } from '../../api/types.ts';
import type { EventSink } from '../../client/events.ts';
import type { Image, PodSandboxConfig, RuntimeService } from '../runtime.ts';
import { Backoff } from './backoff.ts';
import type { ContainerSpec } from './labels.ts';

/** The user an image runs as by default (from its config), for the runAsNonRoot check. */
export interface ImageUser {
  uid?: number;
  username?: string;
}

export type ImageResult = { ok: true; imageRef: string; user: ImageUser } | { ok: false; reason: 'ErrImagePull' | 'ImagePullBackOff' | 'ErrImageNeverPull'; message: string; retryMs?: number };

/** Kubernetes' default: Always for :latest or an untagged image, else IfNotPresent. */
export function pullPolicy(container: ContainerSpec): 'Always' | 'IfNotPresent' | 'Never' {
  const set = container.imagePullPolicy as 'Always' | 'IfNotPresent' | 'Never' | undefined;
  if (set) return set;
  const image = container.image ?? '';
  if (image.includes('@')) return 'IfNotPresent';
  const lastPart = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastPart.includes(':') ? lastPart.slice(lastPart.indexOf(':') + 1) : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function userOf(image: Image | undefined): ImageUser {
  return { uid: image?.uid?.value, username: image?.username || undefined };
}

export class ImageManager {
  private readonly backoff: Backoff;

  constructor(private readonly runtime: RuntimeService, private readonly recorder: EventSink, private readonly now: () => number) {
    this.backoff = new Backoff(now);
  }

  /** `signal` cancels a pull this needs (the pod was deleted meanwhile). */
  async ensure(pod: KObject, container: ContainerSpec, sandboxConfig: PodSandboxConfig, signal?: AbortSignal): Promise<ImageResult> {
    const image = container.image ?? '';
    const policy = pullPolicy(container);
    const found = await this.status(image);
    const present = found?.id;
    if (policy === 'Never') {
      if (present) return { ok: true, imageRef: present, user: userOf(found) };
      const message = `Container image "${image}" is not present with pull policy of Never`;
      this.recorder.event(pod, 'Warning', 'ErrImageNeverPull', message);
      return { ok: false, reason: 'ErrImageNeverPull', message };
    }
    if (policy === 'IfNotPresent' && present) {
      this.recorder.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return { ok: true, imageRef: present, user: userOf(found) };
    }
    const key = `${pod.metadata.uid}/${image}`;
    const wait = this.backoff.remaining(key);
    if (wait > 0) {
      if (present) return { ok: true, imageRef: present, user: userOf(found) };
      const message = `Back-off pulling image "${image}"`;
      this.recorder.event(pod, 'Normal', 'BackOff', message);
      this.recorder.event(pod, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      return { ok: false, reason: 'ImagePullBackOff', message, retryMs: wait };
    }
    this.recorder.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`);
    const started = this.now();
    try {
      const { imageRef } = await this.runtime.pullImage({ image: { image }, sandboxConfig }, { signal });
      this.backoff.forget(key);
      const took = `${((this.now() - started) / 1000).toFixed(3)}s`;
      const pulled = await this.status(image);
      const size = pulled?.size;
      this.recorder.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${took} (${took} including waiting).${size ? ` Image size: ${size} bytes.` : ''}`);
      return { ok: true, imageRef: imageRef || pulled?.id || image, user: userOf(pulled) };
    } catch (err) {
      this.backoff.next(key);
      const message = `Failed to pull image "${image}": ${(err as Error).message}`;
      if (present) {
        this.recorder.event(pod, 'Warning', 'Failed', `${message}; using the image present on the node`);
        return { ok: true, imageRef: present, user: userOf(found) };
      }
      this.recorder.event(pod, 'Warning', 'Failed', message);
      this.recorder.event(pod, 'Warning', 'Failed', 'Error: ErrImagePull');
      return { ok: false, reason: 'ErrImagePull', message: (err as Error).message, retryMs: this.backoff.remaining(key) };
    }
  }

  /** Forgets a pod's pull back-offs (it is gone). */
  forget(podUid: string): void {
    this.backoff.forgetPrefix(`${podUid}/`);
  }

  private async status(image: string): Promise<Image | undefined> {
    const { image: found } = await this.runtime.imageStatus({ image: { image } });
    return found?.id ? found : undefined;
  }
}
