/**
 * How LevelDB reads its table files: `mmap` (LevelDB 1.20's own way: up to
 * 1 000 tables mapped, every page a read touches counted in the process's RSS)
 * or `pread` (no table mapped: blocks read into the block cache, the file pages
 * left in the kernel's page cache, outside the process). Cassandra offers the
 * same choice (`disk_access_mode`) for the same reason: mapped files make a
 * process's memory look as large as the data it has read.
 *
 * `pread` needs the LevelDB that `scripts/build-leveldb.mjs` builds from
 * source at install time (it reads LEVELDB_MMAP_LIMIT); on the prebuilt binary
 * tables are always mapped. LevelDB reads the limit once, when the process's
 * first database opens, so the first store opened decides for the process.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type TableReads = 'pread' | 'mmap';
export const TABLE_READS: readonly TableReads[] = ['pread', 'mmap'];

/** LevelDB 1.20's mapped-table limit on 64-bit builds. */
const defaultMmapLimit = 1000;

let chosen: TableReads | undefined;

/** True when the loaded classic-level is the build that honours LEVELDB_MMAP_LIMIT. */
export function preadBuildPresent(): boolean {
  try {
    const pkgDir = dirname(createRequire(import.meta.url).resolve('classic-level/package.json'));
    // classic-level loads build/Release before its prebuilds; the stamp is
    // written only after the patched build passed its check.
    return existsSync(join(pkgDir, 'build/Release/classic_level.node')) && existsSync(join(pkgDir, 'build/Release/ringkv-build.json'));
  } catch {
    return false;
  }
}

/**
 * Sets how this process's LevelDB reads tables, if no store has opened yet,
 * and returns the mode in force: `mmap` when `pread` was asked for but the
 * build cannot do it, and the first store's mode for every later store.
 */
export function chooseTableReads(wanted: TableReads): TableReads {
  if (chosen !== undefined) return chosen;
  const effective: TableReads = wanted === 'pread' && preadBuildPresent() ? 'pread' : 'mmap';
  // Set before the first ClassicLevel opens: LevelDB's environment is created
  // then, and reads the variable once. Always set, never inherited: a process
  // that started this one may have set it for itself.
  process.env.LEVELDB_MMAP_LIMIT = effective === 'pread' ? '0' : String(defaultMmapLimit);
  chosen = effective;
  return chosen;
}

/**
 * Table files of `dir` mapped into this process right now (Linux: counted in
 * /proc/self/maps), or undefined where that cannot be read. The measured
 * figure behind `tableReads`.
 */
export function mappedTableFiles(dir: string): number | undefined {
  let maps: string;
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return undefined;
  }
  const prefix = `${dir}/`;
  const files = new Set<string>();
  for (const line of maps.split('\n')) {
    const at = line.indexOf(prefix);
    if (at !== -1 && line.endsWith('.ldb')) files.add(line.slice(at));
  }
  return files.size;
}
