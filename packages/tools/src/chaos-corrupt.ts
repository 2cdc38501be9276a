import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { chooseFlip, findValues, flipBit, keysInLog, liveCopies, type BitFlip, type RingReplicas, type WrittenValue } from './chaos-bitrot.js';

/**
 * The disk half of the `corrupt` fault: with the node stopped, flip one bit
 * inside one stored value's literal bytes in a LevelDB table (`.ldb`). A bit
 * flipped there passes LevelDB (classic-level never verifies block
 * checksums) and only ringkv's record checksum can catch it; a bit flipped in
 * compressed bytes or block structure would be LevelDB's own corruption, a
 * different (offline repair) case, which is why only a value's literal bytes
 * are touched (see cluster-corruption.test.ts, which does this once by hand).
 */

export type CorruptOutcome =
  | {
      readonly kind: 'flipped';
      readonly flip: BitFlip;
      readonly tables: number;
      /** values found in the tables, each at the copy the node reads */
      readonly found: number;
      /** …of which shadowed by a newer record in the write-ahead log, so not chosen */
      readonly shadowed: number;
    }
  | { readonly kind: 'skipped'; readonly why: string; readonly tables: number };

/** Every file under `dir`, recursively (the node keeps LevelDB's files somewhere below its data dir). */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/**
 * Looks for `values` in the tables under `dataDir` (the node must be stopped)
 * and flips one bit of one of them, chosen with `random`. Skips, saying why,
 * when none is found outside keys the write-ahead log rewrites.
 */
export async function corruptStoredValue(dataDir: string, values: readonly WrittenValue[], random: { int(n: number): number }): Promise<CorruptOutcome> {
  const files = (await filesUnder(dataDir)).sort();
  const tables = files.filter((f) => f.endsWith('.ldb') || f.endsWith('.sst'));
  const logs = files.filter((f) => f.endsWith('.log') && /^[0-9]+\.log$/.test(basename(f)));
  if (values.length === 0) return { kind: 'skipped', why: 'the workload has written no findable value yet', tables: tables.length };
  const all = [];
  for (const file of tables) all.push(...findValues(file, await readFile(file), values));
  const hits = liveCopies(all);
  if (hits.length === 0) {
    return { kind: 'skipped', why: `none of the ${values.length} newest values of the workload's keys it is a primary of is in its ${tables.length} table file(s)`, tables: tables.length };
  }
  const hitKeys = new Set(hits.map((h) => h.key));
  const inLog = new Set<string>();
  for (const file of logs) for (const k of keysInLog(await readFile(file), hitKeys)) inLog.add(k);
  const usable = hits.filter((h) => !inLog.has(h.key));
  const flip = chooseFlip(usable, random);
  if (flip === undefined) {
    return { kind: 'skipped', why: `each of the ${hits.length} values found in the tables has a newer write of its key in the write-ahead log`, tables: tables.length };
  }
  const bytes = await readFile(flip.hit.file);
  flipBit(bytes, flip.offset, flip.bit);
  await writeFile(flip.hit.file, bytes);
  return { kind: 'flipped', flip, tables: tables.length, found: hits.length, shadowed: hits.length - usable.length };
}

/** One line for the log and the history. */
export function describeCorruption(o: CorruptOutcome): string {
  if (o.kind === 'skipped') return o.why;
  const { flip } = o;
  return (
    `flipped bit ${flip.bit} of byte ${flip.byteInNeedle} of the suffix of ${flip.hit.value} (key ${flip.hit.key}) ` +
    `in ${basename(flip.hit.file)} at offset ${flip.offset} (${o.found} newest value${o.found === 1 ? '' : 's'} of keys found in ${o.tables} table(s), ${o.shadowed} of them shadowed by the log)`
  );
}

/** GET /ring of a running node: which keys it is a primary replica of. */
export async function readRing(url: string, timeoutMs = 5000): Promise<RingReplicas> {
  const res = await fetch(`${url}/ring`, { signal: AbortSignal.timeout(timeoutMs) });
  if (res.status !== 200) throw new Error(`GET /ring answered ${res.status}`);
  const body = (await res.json()) as { partitionCount?: unknown; partitions?: unknown };
  const { partitionCount, partitions } = body;
  if (typeof partitionCount !== 'number' || !Array.isArray(partitions) || partitions.length !== partitionCount) throw new Error('GET /ring: no partition table');
  return { partitionCount, partitions: partitions as string[][] };
}

/** POST /admin/compact: moves what the node holds from its log into tables. Rejects unless it answers 200. */
export async function compactNode(url: string, timeoutMs = 30_000): Promise<void> {
  const res = await fetch(`${url}/admin/compact`, { method: 'POST', signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`POST /admin/compact answered ${res.status}: ${text.slice(0, 200)}`);
}
