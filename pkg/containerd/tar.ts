/**
 * A small ustar writer: regular files, folders and symlinks, owned by root, dated 0, so the
 * same entries always make the same bytes (and the same layer digest). Enough for image
 * layers and OCI layouts; tsk never needs to read tar itself (containerd does).
 */
export type TarEntry =
  | { type: 'file'; path: string; data: Buffer; mode?: number }
  | { type: 'dir'; path: string; mode?: number }
  | { type: 'symlink'; path: string; target: string };

const BLOCK = 512;

function writeString(header: Buffer, text: string, offset: number, length: number): void {
  const bytes = Buffer.from(text);
  if (bytes.length > length) throw new Error(`tar: "${text}" is longer than ${length} bytes`);
  bytes.copy(header, offset);
}

/** Octal, zero-padded, NUL-terminated: the ustar number format. */
function writeOctal(header: Buffer, value: number, offset: number, length: number): void {
  writeString(header, `${value.toString(8).padStart(length - 1, '0')}\0`, offset, length);
}

/** ustar keeps names up to 100 bytes, or 255 split at a '/' into prefix (155) and name (100). */
function splitName(name: string): [prefix: string, name: string] {
  if (Buffer.byteLength(name) <= 100) return ['', name];
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    if (Buffer.byteLength(name.slice(0, i)) <= 155 && Buffer.byteLength(name.slice(i + 1)) <= 100) return [name.slice(0, i), name.slice(i + 1)];
  }
  throw new Error(`tar: path too long for ustar: ${name}`);
}

function header(entry: TarEntry): Buffer {
  const block = Buffer.alloc(BLOCK);
  const name = entry.type === 'dir' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const [prefix, shortName] = splitName(name);
  writeString(block, shortName, 0, 100);
  const mode = entry.type === 'symlink' ? 0o777 : (entry.mode ?? (entry.type === 'dir' ? 0o755 : 0o644));
  writeOctal(block, mode, 100, 8);
  writeOctal(block, 0, 108, 8); // uid root
  writeOctal(block, 0, 116, 8); // gid root
  writeOctal(block, entry.type === 'file' ? entry.data.length : 0, 124, 12);
  writeOctal(block, 0, 136, 12); // mtime
  block.write(entry.type === 'file' ? '0' : entry.type === 'symlink' ? '2' : '5', 156);
  if (entry.type === 'symlink') writeString(block, entry.target, 157, 100);
  writeString(block, 'ustar\x0000', 257, 8);
  writeString(block, 'root', 265, 32);
  writeString(block, 'root', 297, 32);
  writeString(block, prefix, 345, 155);
  // The checksum is the byte sum with its own field read as eight spaces.
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, `${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return block;
}

/** The whole archive, ending with the two zero blocks tar readers expect. */
export function tarArchive(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(header(entry));
    if (entry.type === 'file') {
      parts.push(entry.data);
      const pad = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}
