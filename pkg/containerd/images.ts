/**
 * The agent's image folder (DATA_DIR/agent/images, k3s's air-gap folder): image tarballs put
 * there are imported into containerd at start and when they appear. Also imports tsk's
 * built-in pause image at every start, so sandboxes never need a registry.
 *
 * A file still being copied must not be imported half-written: a file is taken only once its
 * size and mtime stayed the same for `settleMs`. What was imported is remembered by path, size
 * and mtime in a state file, so an agent restart does not import everything again; a changed
 * file is imported again. fs.watch makes new files show up at once; a periodic rescan covers
 * file systems where it misses events (network mounts, some overlays).
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Logger, logger } from '../log/log.ts';
import type { Snapshotter } from './config.ts';
import { type Ctr, runCtr } from './ctr.ts';
import { importImages } from './import.ts';
import { pauseImageArchive } from './pause.ts';

/** k3s's list: what `import.ts` can decompress. */
const ARCHIVE_SUFFIXES = ['.tar', '.tar.gz', '.tgz', '.tar.zst', '.tzst', '.tar.bz2', '.tbz', '.tar.lz4'];

export interface ImageFolderOptions {
  ctr: Ctr;
  snapshotter: Snapshotter;
  /** The watched folder. */
  dir: string;
  /** Where imported files are remembered (JSON); keep it beside containerd's own state. */
  stateFile: string;
  settleMs?: number;
  rescanMs?: number;
  log?: Logger;
}

interface Seen {
  size: number;
  mtimeMs: number;
}

const sameFile = (a: Seen | undefined, b: Seen) => a !== undefined && a.size === b.size && a.mtimeMs === b.mtimeMs;

export class ImageFolder {
  private readonly log: Logger;
  private imported: Record<string, Seen>;
  /** Files waiting to settle: what they looked like at the last look. */
  private readonly pending = new Map<string, Seen>();
  /** Files whose import failed, as they were then: tried again only once they change. */
  private readonly failed = new Map<string, Seen>();
  private watcher: fs.FSWatcher | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  /** Imports run one at a time: each one unpacks layers and the machine is small. */
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Ends the imports in flight when the folder stops (their ctr processes with them). */
  private readonly stopping = new AbortController();

  constructor(private readonly options: ImageFolderOptions) {
    this.log = options.log ?? logger('images');
    this.imported = readState(options.stateFile);
  }

  /** Imports the pause image and the folder's settled archives, then watches the folder. */
  async start(): Promise<void> {
    const names = await importImages(this.options.ctr, pauseImageArchive(), this.options.snapshotter, this.stopping.signal);
    this.log.info(`imported the built-in pause image ${names.join(', ')}`);
    fs.mkdirSync(this.options.dir, { recursive: true });
    try {
      this.watcher = fs.watch(this.options.dir, () => this.scan());
      this.watcher.on('error', (err) => this.log.warn(`watching ${this.options.dir}: ${err.message}; rescans continue`));
    } catch (err) {
      this.log.warn(`cannot watch ${this.options.dir}: ${(err as Error).message}; rescanning every ${(this.options.rescanMs ?? 30_000) / 1000}s`);
    }
    this.rescanTimer = setInterval(() => this.scan(), this.options.rescanMs ?? 30_000).unref();
    this.scan();
    await this.idle();
  }

  stop(): void {
    this.stopped = true;
    this.stopping.abort();
    this.watcher?.close();
    clearInterval(this.rescanTimer);
    clearTimeout(this.settleTimer);
  }

  /** Resolves once no file is waiting to settle or be imported. */
  async idle(): Promise<void> {
    while (!this.stopped && this.pending.size > 0) await new Promise((r) => setTimeout(r, this.options.settleMs ?? 1000));
    await this.queue;
  }

  /** Notes every archive not imported as it is now; a settle check follows. */
  private scan(): void {
    if (this.stopped) return;
    let names: string[];
    try {
      names = fs.readdirSync(this.options.dir);
    } catch (err) {
      return this.log.warn(`reading ${this.options.dir}: ${(err as Error).message}`);
    }
    for (const name of names) {
      if (name.startsWith('.') || !ARCHIVE_SUFFIXES.some((s) => name.endsWith(s))) continue;
      const file = path.join(this.options.dir, name);
      const now = look(file);
      if (!now || sameFile(this.imported[file], now) || sameFile(this.failed.get(file), now) || this.pending.has(file)) continue;
      this.pending.set(file, now);
    }
    if (this.pending.size > 0 && !this.settleTimer) this.settleTimer = setTimeout(() => this.settle(), this.options.settleMs ?? 1000);
  }

  /** Queues the files unchanged since the last look; the others wait another round. */
  private settle(): void {
    this.settleTimer = undefined;
    for (const [file, before] of this.pending) {
      const now = look(file);
      if (!now) {
        this.pending.delete(file);
      } else if (sameFile(before, now)) {
        this.queue = this.queue.then(() => this.importFile(file, now));
        this.pending.delete(file);
      } else {
        this.pending.set(file, now);
      }
    }
    if (this.pending.size > 0) this.settleTimer = setTimeout(() => this.settle(), this.options.settleMs ?? 1000);
  }

  private async importFile(file: string, seen: Seen): Promise<void> {
    if (this.stopped) return;
    const started = Date.now();
    try {
      const names = await importImages(this.options.ctr, file, this.options.snapshotter, this.stopping.signal);
      this.imported[file] = seen;
      this.failed.delete(file);
      // Forget files since removed from the folder, so the state stays the folder's size.
      for (const known of Object.keys(this.imported)) if (!fs.existsSync(known)) delete this.imported[known];
      writeState(this.options.stateFile, this.imported);
      this.log.info(`imported ${names.join(', ') || 'no image'} from ${file} in ${Date.now() - started} ms`);
    } catch (err) {
      if (this.stopped) return;
      // With containerd down (restarting) the file is not at fault: the next scan retries it.
      const answering = await runCtr(this.options.ctr, ['version']).then(() => true, () => false);
      if (answering) this.failed.set(file, seen);
      this.log.error(`importing ${file}: ${(err as Error).message}${answering ? '' : '; will retry once containerd answers'}`);
    }
  }
}

function look(file: string): Seen | undefined {
  try {
    const stat = fs.statSync(file);
    return stat.isFile() ? { size: stat.size, mtimeMs: stat.mtimeMs } : undefined;
  } catch {
    return undefined;
  }
}

function readState(file: string): Record<string, Seen> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, Seen>;
  } catch {
    return {};
  }
}

/** Written aside and renamed, so a crash never leaves half a state file. */
function writeState(file: string, state: Record<string, Seen>): void {
  fs.writeFileSync(`${file}.tmp`, JSON.stringify(state, null, 1));
  fs.renameSync(`${file}.tmp`, file);
}
