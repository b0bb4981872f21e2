// Child process for the kill -9 durability test: writes from many concurrent writers and prints
// one line per acknowledged write ("ack <key> <revision> <value-hash-seed>") until killed.
import { openSqliteBackend } from '../backend.ts';

const file = process.argv[2]!;
const writers = Number(process.argv[3] ?? 16);
const backend = await openSqliteBackend({ file });
process.stdout.write(`ready ${backend.revision}\n`);

async function writer(w: number): Promise<never> {
  for (let i = 0; ; i++) {
    const key = `dur/${w}/${i % 50}`;
    const seed = `${w}-${i}`;
    const value = Buffer.from(seed.repeat(1 + (i % 40)));
    const r = await backend.txn({ success: [{ type: 'put', key, value }] });
    process.stdout.write(`ack ${key} ${r.revision} ${seed} ${1 + (i % 40)}\n`);
  }
}

for (let w = 0; w < writers; w++) void writer(w);
