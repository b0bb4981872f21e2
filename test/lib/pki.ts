/**
 * A throwaway PKI for tests: a CA, a server certificate for 127.0.0.1 and a client
 * certificate, made with the openssl CLI (Node cannot issue certificates by itself).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

export interface TestPki {
  caFile: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
}

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`openssl ${args[0]} failed (is openssl installed?): ${stderr || (err as Error).message}`);
  }
}

/** Writes the PKI into `dir` (which must exist); certificates are valid for two days. */
export function makeTestPki(dir: string): TestPki {
  const file = (name: string) => path.join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];
  openssl(['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-subj', '/CN=tsk-test-ca']);
  // `req -x509 -CA` (OpenSSL 3) signs with the CA; the default config would mark leaves as CAs.
  const leaf = (name: string, cn: string, extra: string[]) => openssl([
    'req', '-x509', ...ec, '-keyout', file(`${name}.key`), '-out', file(`${name}.crt`), '-subj', `/CN=${cn}`,
    '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-addext', 'basicConstraints=critical,CA:FALSE', ...extra,
  ]);
  leaf('server', '127.0.0.1', ['-addext', 'subjectAltName=IP:127.0.0.1', '-addext', 'extendedKeyUsage=serverAuth,clientAuth']);
  leaf('client', 'tsk-test-client', ['-addext', 'extendedKeyUsage=clientAuth']);
  return {
    caFile: file('ca.crt'),
    serverCertFile: file('server.crt'),
    serverKeyFile: file('server.key'),
    clientCertFile: file('client.crt'),
    clientKeyFile: file('client.key'),
  };
}
