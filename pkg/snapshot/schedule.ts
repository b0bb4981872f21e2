/**
 * The server's side of snapshots: the control socket `tsk etcd-snapshot save` talks to, and
 * scheduled snapshots (--etcd-snapshot-schedule-cron) pruned to --etcd-snapshot-retention.
 */
import { logger } from '../log/log.ts';
import type { Backend } from '../kv/types.ts';
import { serveSnapshotControl } from './control.ts';
import { nextTime, parseSchedule, type Schedule } from '../controllers/cronjob/schedule.ts';
import { SnapshotError } from './errors.ts';
import { pruneSnapshots } from './files.ts';
import { saveSnapshot, type SaveOptions, type SavedSnapshot } from './save.ts';

export interface ServerSnapshotOptions {
  /** DATA_DIR/server/db: where the control socket lives. */
  dbDir: string;
  dir: string;
  /** Base name of scheduled snapshots (--etcd-snapshot-name). */
  name: string;
  node: string;
  compress: boolean;
  cron: string;
  retention: number;
  /** --etcd-disable-snapshots: no schedule (saving on request still works). */
  disableSchedule: boolean;
}

/**
 * --etcd-snapshot-schedule-cron, parsed as the CronJob controller parses schedules (robfig/cron's
 * standard parser, the one k3s uses): five fields, names, descriptors, local time.
 */
export function parseSnapshotCron(expression: string): Schedule {
  let schedule: Schedule;
  try {
    schedule = parseSchedule(expression);
  } catch (err) {
    throw new SnapshotError('bad-cron', `--etcd-snapshot-schedule-cron "${expression}": ${(err as Error).message}`);
  }
  if (!nextTime(schedule, new Date())) throw new SnapshotError('bad-cron', `--etcd-snapshot-schedule-cron "${expression}": never matches`);
  return schedule;
}

/** setTimeout takes at most 2^31-1 ms; longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export async function startServerSnapshots(backend: Backend, options: ServerSnapshotOptions): Promise<{ stop(): Promise<void> }> {
  const log = logger('snapshot');
  // One save at a time: a scheduled and a requested one in the same second would pick one name.
  let queue: Promise<unknown> = Promise.resolve();
  const save = (req: Pick<SaveOptions, 'dir' | 'name' | 'compress'>): Promise<SavedSnapshot> => {
    const next = queue.then(() => saveSnapshot(backend, { ...req, node: options.node }));
    queue = next.catch(() => {});
    return next;
  };
  const control = await serveSnapshotControl(options.dbDir, save);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  if (!options.disableSchedule) {
    const schedule = parseSnapshotCron(options.cron);
    const arm = () => {
      if (stopped) return;
      const next = nextTime(schedule, new Date());
      if (!next) return;
      const due = next.getTime();
      const wait = () => {
        const left = due - Date.now();
        if (left > 0) {
          timer = setTimeout(wait, Math.min(left, MAX_TIMER_MS));
          timer.unref();
          return;
        }
        running = takeScheduled().finally(() => {
          running = undefined;
          arm();
        });
      };
      wait();
    };
    const takeScheduled = async () => {
      try {
        const s = await save({ dir: options.dir, name: options.name, compress: options.compress });
        log.info(`saved scheduled snapshot ${s.name}: ${s.keys} keys at revision ${s.revision}, ${s.size} bytes in ${s.ms} ms`);
        const pruned = pruneSnapshots(options.dir, options.name, options.node, options.retention);
        if (pruned.length > 0) log.info(`pruned ${pruned.join(', ')} (retention ${options.retention})`);
      } catch (err) {
        log.error(`scheduled snapshot failed: ${(err as Error).message}`);
      }
    };
    arm();
    log.info(`scheduled snapshots "${options.cron}" into ${options.dir}, keeping ${options.retention}`);
  }
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      await control?.close();
    },
  };
}
