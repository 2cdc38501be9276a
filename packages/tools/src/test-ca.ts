/**
 * A throwaway certificate authority for tests and local clusters: one CA and
 * one node certificate (valid for 127.0.0.0/8 addresses used by LocalCluster,
 * ::1 and localhost; for both server and client use, so nodes can do mutual
 * TLS with each other). Made with the openssl command line; everything lives
 * in the directory given (normally the cluster's temp dir) and goes with it.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCa {
  /** PEM of the CA certificate: what clients and peers trust */
  readonly caFile: string;
  /** the node certificate and its key (shared by every node of the cluster) */
  readonly certFile: string;
  readonly keyFile: string;
}

const validDays = '2';
/** LocalCluster's addresses: 127.0.0.1, and 127.0.0.11.. with hostPerNode. */
const loopbackSans = ['IP:127.0.0.1', 'IP:::1', 'DNS:localhost', ...Array.from({ length: 40 }, (_, i) => `IP:127.0.0.${11 + i}`)];

async function openssl(args: readonly string[], cwd: string): Promise<void> {
  try {
    await run('openssl', [...args], { cwd });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0] ?? ''} failed: ${e.stderr?.trim() || e.message}`, { cause: err });
  }
}

/** Creates `dir` (if needed) and a fresh CA plus node certificate in it. */
export async function createTestCa(dir: string): Promise<TestCa> {
  await mkdir(dir, { recursive: true });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', validDays, '-subj', '/CN=ringkv test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  await openssl(['req', ...ec, '-keyout', 'node.key', '-out', 'node.csr', '-subj', '/CN=ringkv node'], dir);
  await writeFile(
    join(dir, 'node.ext'),
    [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      `subjectAltName=${loopbackSans.join(',')}`,
      '',
    ].join('\n'),
  );
  await openssl(
    ['x509', '-req', '-in', 'node.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'node.pem', '-days', validDays, '-extfile', 'node.ext'],
    dir,
  );
  return { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'node.pem'), keyFile: join(dir, 'node.key') };
}
