/**
 * Container logs as the kubelet serves them from CRI log files: each file line is
 * `<RFC3339Nano> stdout|stderr F|P <text>`; P(artial) pieces are joined with what follows
 * until an F(ull) one ends the line. stdout and stderr share the file, so they come out
 * interleaved in the order they were written. Options mean what kubelet's mean: tailLines
 * counts file lines from the end, since drops lines stamped earlier, timestamps prefixes each
 * output line with the file's own stamp, limitBytes cuts the output, follow keeps reading
 * (across rotation, when the file is replaced or truncated) until the container stops.
 */
import fs from 'node:fs';
import type { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LogOptions {
  follow: boolean;
  /** Last N lines of the file; undefined for all. */
  tailLines?: number;
  /** Lines stamped before this are skipped. */
  since?: Date;
  timestamps: boolean;
  limitBytes?: number;
}

/** One line of a CRI log file. */
export interface CriLogEntry {
  timestamp: string;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  text: string;
}

/** Parses one file line (without its newline); undefined for a line that is not CRI format. */
export function parseCriLine(line: string): CriLogEntry | undefined {
  const first = line.indexOf(' ');
  const second = line.indexOf(' ', first + 1);
  if (first < 0 || second < 0) return undefined;
  const stream = line.slice(first + 1, second);
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  // The tag is F or P (older runtimes wrote no tag: a full line).
  const third = line.indexOf(' ', second + 1);
  const tag = third < 0 ? line.slice(second + 1) : line.slice(second + 1, third);
  if (tag !== 'F' && tag !== 'P') return { timestamp: line.slice(0, first), stream, partial: false, text: line.slice(second + 1) };
  return { timestamp: line.slice(0, first), stream, partial: tag === 'P', text: third < 0 ? '' : line.slice(third + 1) };
}

/**
 * Turns file lines into the bytes a client sees, keeping per-stream partial state across
 * calls (a P piece's line may end in a later read). `write` answers false once limitBytes is spent.
 */
export class LogFormatter {
  private readonly midLine = { stdout: false, stderr: false };
  private remaining: number;

  constructor(private readonly options: LogOptions, private readonly out: (chunk: string) => void) {
    this.remaining = options.limitBytes ?? Infinity;
  }

  /** Formats file lines; false once the byte limit is reached (stop reading). */
  write(lines: string[]): boolean {
    let chunk = '';
    for (const line of lines) {
      const entry = parseCriLine(line);
      if (!entry) continue;
      if (this.options.since && Date.parse(entry.timestamp) < this.options.since.getTime()) continue;
      const prefix = this.options.timestamps && !this.midLine[entry.stream] ? `${entry.timestamp} ` : '';
      this.midLine[entry.stream] = entry.partial;
      chunk += prefix + entry.text + (entry.partial ? '' : '\n');
    }
    const bytes = Buffer.byteLength(chunk);
    if (bytes >= this.remaining) {
      this.out(Buffer.from(chunk).subarray(0, this.remaining).toString('utf8'));
      this.remaining = 0;
      return false;
    }
    this.remaining -= bytes;
    if (chunk !== '') this.out(chunk);
    return true;
  }
}

/** The last `n` file lines (kubelet's tailLines counts the file's lines, partial pieces included). */
export function lastLines(lines: string[], n: number | undefined): string[] {
  return n === undefined ? lines : n <= 0 ? [] : lines.slice(-n);
}

/** Splits complete lines off `buffer`, returning them and the unfinished rest. */
function splitLines(buffer: string): { lines: string[]; rest: string } {
  const end = buffer.lastIndexOf('\n');
  if (end < 0) return { lines: [], rest: buffer };
  return { lines: buffer.slice(0, end).split('\n'), rest: buffer.slice(end + 1) };
}

export interface FollowControl {
  /** Whether the container may still write (false ends a follow after a last read). */
  running(): Promise<boolean>;
  /** Aborted when the client went away. */
  signal: AbortSignal;
  /** Poll interval while following (ms). */
  pollMs?: number;
}

/** Writes the file's log to `out` (ending it) as `options` say. */
export async function streamLog(file: string, options: LogOptions, out: Writable, follow: FollowControl): Promise<void> {
  const formatter = new LogFormatter(options, (chunk) => out.write(chunk));
  let text: string;
  let position: { ino: number; offset: number };
  try {
    const stat = fs.statSync(file);
    text = fs.readFileSync(file, 'utf8');
    position = { ino: stat.ino, offset: Buffer.byteLength(text) };
  } catch {
    // No file (removed with its container, or not written yet): nothing to show.
    text = '';
    position = { ino: 0, offset: 0 };
  }
  const { lines, rest } = splitLines(text);
  const more = formatter.write(lastLines(lines, options.tailLines));
  if (options.follow && more) await followFile(file, position, rest, formatter, follow);
  out.end();
}

/** Reads what is appended to `file` until the container stops or the client goes. */
async function followFile(file: string, position: { ino: number; offset: number }, pending: string, formatter: LogFormatter, control: FollowControl): Promise<void> {
  const pollMs = control.pollMs ?? 200;
  const readNew = (): boolean => {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      return true; // between a rotation's rename and the new file
    }
    // Rotated (a new file under the name) or truncated: start over at its beginning.
    if (stat.ino !== position.ino || stat.size < position.offset) {
      position.ino = stat.ino;
      position.offset = 0;
      pending = '';
    }
    if (stat.size === position.offset) return true;
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(stat.size - position.offset);
      const read = fs.readSync(fd, buffer, 0, buffer.length, position.offset);
      position.offset += read;
      const split = splitLines(pending + buffer.subarray(0, read).toString('utf8'));
      pending = split.rest;
      return formatter.write(split.lines);
    } finally {
      fs.closeSync(fd);
    }
  };
  while (!control.signal.aborted) {
    if (!readNew()) return;
    if (!(await control.running())) {
      readNew();
      return;
    }
    await sleep(pollMs, undefined, { signal: control.signal }).catch(() => {});
  }
}
