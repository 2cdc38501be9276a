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
  const [cert, key, ca] = await Promise.all([
    read('--tls-cert', paths.certFile),
    read('--tls-key', paths.keyFile),
    paths.caFile === undefined ? undefined : read('--tls-ca', paths.caFile),
  ]);
  return { cert, key, ...(ca === undefined ? {} : { ca }) };
}
