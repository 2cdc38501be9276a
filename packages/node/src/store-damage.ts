/**
 * What an operator must do when a scan met a table block LevelDB itself found
 * damaged: no scan gets past it, and LevelDB stops taking writes once a
 * compaction reads it (see storage's store-repair.ts). Appended to the log
 * line of whatever failed; empty for any other error.
 */
export function storeDamageAdvice(err: unknown): string {
  if ((err as { code?: unknown } | null)?.code !== 'LEVEL_CORRUPTION') return '';
  return ': LevelDB found a damaged table block; stop this node and run `ringkv repair-store --data DIR` on its data directory, then start it again';
}
