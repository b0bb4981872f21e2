/** What a TLS listener presents to a new connection (certificate renewal tests). */
import tls from 'node:tls';

export interface ServedCert {
  serial: string;
  /** notAfter, ms since the epoch. */
  validTo: number;
}

/** The certificate 127.0.0.1:`port` presents to a new TLS connection (not verified: only looked at). */
export function servedCert(port: number): Promise<ServedCert> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve({ serial: cert.serialNumber, validTo: Date.parse(cert.valid_to) });
    });
    socket.on('error', reject);
  });
}
