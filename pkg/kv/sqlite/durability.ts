import fs from 'node:fs';
import path from 'node:path';
import type { Durability } from './committer.ts';

/**
 * Durability for a WAL database written with synchronous=NORMAL: an fdatasync of the -wal file
 * (on libuv's thread pool) makes every frame committed before it durable. SQLite still syncs
 * the WAL itself before each checkpoint, so the database file is never ahead of it.
 */
export class WalSync implements Durability {
  private fd: number | undefined;

  constructor(private readonly dbFile: string) {}

  sync(done: (err: Error | null) => void): void {
    let fd: number;
    try {
      fd = this.open();
    } catch (err) {
      done(err as Error);
      return;
    }
    fs.fdatasync(fd, (err) => done(err));
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  private open(): number {
    if (this.fd !== undefined) return this.fd;
    // The WAL exists once the writer has committed; SQLite keeps its inode while any
    // connection is open (checkpoints rewind or truncate it, never replace it).
    const fd = fs.openSync(`${this.dbFile}-wal`, 'r');
    // The WAL's directory entry must survive a power loss too.
    const dir = fs.openSync(path.dirname(this.dbFile), 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
    this.fd = fd;
    return fd;
  }
}
