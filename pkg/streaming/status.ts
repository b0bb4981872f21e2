/**
 * The metav1.Status documents of the remotecommand error channel: Success, or a Failure
 * kubectl prints (with exit codes in details.causes when a command exited non-zero, which
 * the backend writes itself).
 */
import { UpgradeRefusedError } from './upgrade.ts';

export const SUCCESS_STATUS = Buffer.from(JSON.stringify({ metadata: {}, status: 'Success' }));

/** A Failure Status for an error of our own (the backend could not be reached or refused the stream). */
export function failureStatus(err: unknown): Buffer {
  if (err instanceof UpgradeRefusedError) {
    const body = err.body.toString('utf8').trim();
    if (body.startsWith('{')) {
      try {
        const parsed = JSON.parse(body) as { kind?: string };
        if (parsed.kind === 'Status') return Buffer.from(body);
      } catch {
        // not JSON after all: report it as text below
      }
    }
    return status(err.status >= 400 ? err.status : 500, body || `the backend answered HTTP ${err.status}`);
  }
  return status(500, `error dialing backend: ${(err as Error).message}`);
}

function status(code: number, message: string): Buffer {
  const reason = code === 404 ? 'NotFound' : code === 403 ? 'Forbidden' : code === 400 ? 'BadRequest' : 'InternalError';
  return Buffer.from(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
}
