/** DNS over TCP frames each message with a two-byte length (RFC 1035 4.2.2). */

export function frame(message: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(message.length);
  return Buffer.concat([len, message]);
}

/** Collects stream chunks and calls `onMessage` for each whole message. */
export function frameReader(onMessage: (message: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 2) {
      const len = pending.readUInt16BE(0);
      if (pending.length < 2 + len) break;
      onMessage(pending.subarray(2, 2 + len));
      pending = pending.subarray(2 + len);
    }
  };
}
