/**
 * The node's TLS material (`--tls-cert`, `--tls-key`, `--tls-ca`), read once
 * at start. The same certificate serves HTTPS to clients and TLS on the RPC
 * port; the CA, when given, is what peers' certificates must be signed by
 * (mutual TLS between nodes).
 */
import { readFile } from 'node:fs/promises';

export interface TlsFilePaths {
  readonly certFile: string;
  readonly keyFile: string;
  readonly caFile?: string;
}

/** PEM contents. */
export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
}

export async function loadTlsFiles(paths: TlsFilePaths): Promise<TlsFiles> {
  const read = async (flag: string, path: string): Promise<Buffer> => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new Error(`${flag} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };
  // Read together, reported in flag order: with two bad paths, the error names --tls-cert whichever
  // read failed first (Promise.all's first rejection made it vary: a test flaked ~1 run in 30).
  const settled = await Promise.allSettled([
    read('--tls-cert', paths.certFile),
    read('--tls-key', paths.keyFile),
    paths.caFile === undefined ? Promise.resolve(undefined) : read('--tls-ca', paths.caFile),
  ]);
  const [cert, key, ca] = settled.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  }) as [Buffer, Buffer, Buffer | undefined];
  return { cert, key, ...(ca === undefined ? {} : { ca }) };
}
