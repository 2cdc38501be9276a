/**
 * The mark that makes a node recover before it serves reads: its store is
 * missing data it once held. The node sets it when peers tell it they knew it
 * before its store was created (a wiped disk; node/recovery.ts), and
 * `repairStore` sets it after LevelDB's RepairDB dropped what it could not
 * read — a replica that answered "absent" for keys it lost would break the
 * quorum promise (W + R > N) for writes it acknowledged. The node clears it
 * once anti-entropy has synchronised every partition with every fellow.
 */
import type { Store } from '@ringkv/core';
import { metaKey } from './keys.js';
import { seal } from './record-envelope.js';

export const recoveringMetaName = 'recovering';

/** Marks the store as missing data (synced): the next start recovers before serving reads. */
export async function markStoreLostData(store: Store): Promise<void> {
  await store.write([{ type: 'put', key: metaKey(recoveringMetaName), value: seal(Uint8Array.of(1)) }], { sync: true });
}
