import { Pool } from 'undici';
import { OpError, type KvDriver, type ReadStatus, type WriteStatus } from './bench-driver.js';

export interface HttpDriverOptions {
  /** base URLs, one undici Pool (keep-alive, no pipelining) each; requests go to them in turn */
  readonly urls: readonly string[];
  /** requests in flight at most, over all pools */
  readonly clients: number;
  /**
   * ringkv: send back the X-Context of the key's last read or write, as a real
   * client does; a blind PUT would add a sibling instead of replacing the value.
   */
  readonly keepContexts: boolean;
  /** appended to every PUT's path as its query (ringkv's `dw=2`) */
  readonly writeQuery?: string;
}

/** Contexts kept at most: bounds the load generator's memory when millions of keys are touched. */
const contextCountMax = 1_000_000;
const putHeaders = { 'content-type': 'application/octet-stream' } as const;

/** The ringkv HTTP API (GET/PUT /kv/<key>), also spoken by the fastify no-op peer. */
export class HttpKvDriver implements KvDriver {
  readonly #pools: Pool[];
  readonly #contexts: Map<number, string> | undefined;
  readonly #writeQuery: string;
  #turn = 0;

  constructor(options: HttpDriverOptions) {
    const connections = Math.ceil(options.clients / options.urls.length) + 1;
    this.#pools = options.urls.map((url) => new Pool(url, { connections, pipelining: 1, headersTimeout: 30_000, bodyTimeout: 30_000 }));
    this.#contexts = options.keepContexts ? new Map() : undefined;
    this.#writeQuery = options.writeQuery === undefined ? '' : `?${options.writeQuery}`;
  }

  async read(key: number): Promise<ReadStatus> {
    const res = await this.#pool().request({ method: 'GET', path: path(key) });
    // Read the body as a client would: the value (200) or the sibling list (300).
    await res.body.arrayBuffer();
    const status = res.statusCode;
    if (status === 404) return 'missing';
    if (status !== 200 && status !== 300) throw new OpError(`HTTP ${status}`);
    this.#remember(key, res.headers['x-context']);
    return status === 300 ? 'siblings' : 'found';
  }

  async write(key: number, value: Buffer): Promise<WriteStatus> {
    const status = await this.#put(key, value);
    if (status !== 409 || this.#contexts === undefined) {
      if (status !== 204 && status !== 200) throw new OpError(`HTTP ${status}`);
      return 'written';
    }
    // SIBLINGS_TOO_MANY (concurrent writers on a hot key): do what the error
    // says, as a real client would: read the siblings, write with their context.
    await this.read(key);
    const retried = await this.#put(key, value);
    if (retried !== 204 && retried !== 200) throw new OpError(`HTTP ${retried}`);
    return 'siblings';
  }

  async #put(key: number, value: Buffer): Promise<number> {
    const context = this.#contexts?.get(key);
    const res = await this.#pool().request({
      method: 'PUT',
      path: path(key) + this.#writeQuery,
      body: value,
      headers: context === undefined ? putHeaders : { ...putHeaders, 'x-context': context },
    });
    await res.body.dump();
    this.#remember(key, res.headers['x-context']);
    return res.statusCode;
  }

  async readModifyWrite(key: number, value: Buffer): Promise<ReadStatus> {
    // The read leaves the key's context behind; the write sends it, superseding what was read.
    const status = await this.read(key);
    return (await this.write(key, value)) === 'siblings' ? 'siblings' : status;
  }

  async close(): Promise<void> {
    await Promise.all(this.#pools.map((p) => p.close()));
  }

  #pool(): Pool {
    const pool = this.#pools[this.#turn++ % this.#pools.length];
    if (pool === undefined) throw new Error('no HTTP endpoint');
    return pool;
  }

  #remember(key: number, header: string | string[] | undefined): void {
    if (this.#contexts === undefined || typeof header !== 'string') return;
    if (this.#contexts.size < contextCountMax || this.#contexts.has(key)) this.#contexts.set(key, header);
  }
}

/** Every key the benchmark writes starts with this (what `--policy lww` makes last-writer-wins). */
export const benchKeyPrefix = 'u';

export const path = (key: number): string => `/kv/${benchKeyPrefix}${key}`;
