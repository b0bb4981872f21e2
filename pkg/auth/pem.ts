/** PEM encoding of certificates: one block, or a bundle of several. */

export type PemLabel = 'CERTIFICATE' | 'PRIVATE KEY' | 'EC PRIVATE KEY';

export function pemEncode(label: PemLabel, der: Uint8Array | ArrayBuffer): string {
  const b64 = Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export interface PemBlock {
  label: string;
  der: Buffer;
}

/** Every PEM block in the text, in order; text outside blocks is ignored. */
export function pemDecodeAll(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const body = m[2]!.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new Error(`malformed PEM block ${m[1]}`);
    blocks.push({ label: m[1]!, der: Buffer.from(body, 'base64') });
  }
  return blocks;
}

/** The DER of the first block with this label; throws if there is none. */
export function pemDecode(text: string, label: PemLabel): Buffer {
  const block = pemDecodeAll(text).find((b) => b.label === label);
  if (!block) throw new Error(`no PEM block ${label}`);
  return block.der;
}
