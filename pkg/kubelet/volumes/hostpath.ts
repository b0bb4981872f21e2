/**
 * hostPath volume types, checked (and created for the *OrCreate types) as kubelet does before
 * a container may mount the path; the messages are Kubernetes' own.
 */
import fs from 'node:fs';

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}

export function checkHostPath(p: string, type: string | undefined): void {
  const st = statOrUndefined(p);
  const fail = (what: string): never => {
    throw new Error(`hostPath type check failed: ${p} is not a ${what}`);
  };
  switch (type ?? '') {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (!st) fs.mkdirSync(p, { recursive: true, mode: 0o755 });
      else if (!st.isDirectory()) fail('directory');
      return;
    case 'Directory':
      if (!st?.isDirectory()) fail('directory');
      return;
    case 'FileOrCreate':
      if (!st) fs.writeFileSync(p, '', { mode: 0o644, flag: 'wx' });
      else if (!st.isFile()) fail('file');
      return;
    case 'File':
      if (!st?.isFile()) fail('file');
      return;
    case 'Socket':
      if (!st?.isSocket()) fail('socket file');
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) fail('character device');
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) fail('block device');
      return;
    default:
      throw new Error(`hostPath type check failed: ${p}: unknown type ${type}`);
  }
}
