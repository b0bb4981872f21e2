// Child process for the kill -9 durability tests: writes from many concurrent writers and
// prints one line per acknowledged write ("ack <key> <revision> <seed> <repeats>") until killed.
// With "volatile" as third argument, keys under vol/ are volatile and every other writer uses them.
import { openSqliteBackend } from '../backend.ts';

const file = process.argv[2]!;
const writers = Number(process.argv[3] ?? 16);
const volatile = process.argv[4] === 'volatile';
const backend = await openSqliteBackend({ file, ...(volatile ? { volatilePrefixes: ['vol/'], volatileCheckpointMs: 3_600_000 } : {}) });
process.stdout.write(`ready ${backend.revision}\n`);

async function writer(w: number): Promise<never> {
  const prefix = volatile && w % 2 === 1 ? 'vol' : 'dur';
  for (let i = 0; ; i++) {
    const key = `${prefix}/${w}/${i % 50}`;
    const seed = `${w}-${i}`;
    const value = Buffer.from(seed.repeat(1 + (i % 40)));
    const r = await backend.txn({ success: [{ type: 'put', key, value }] });
    process.stdout.write(`ack ${key} ${r.revision} ${seed} ${1 + (i % 40)}\n`);
  }
}

for (let w = 0; w < writers; w++) void writer(w);
