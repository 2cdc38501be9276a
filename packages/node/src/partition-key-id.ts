/**
 * A string naming one key of one partition, for Maps keyed by it (key locks,
 * collected tombstones, cached hashes). Latin-1 maps every byte to one char,
 * so distinct keys give distinct strings, whatever bytes they hold.
 */
export function partitionKeyId(partition: number, key: Uint8Array): string {
  return `${partition}:${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')}`;
}
