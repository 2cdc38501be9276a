/**
 * Which data directories this process has open.
 *
 * Why this exists: LevelDB's POSIX lock is an fcntl() lock, and fcntl locks
 * belong to the process, not the file descriptor. When a second open of the
 * same directory in the same process fails, LevelDB closes its descriptor for
 * LOCK, and closing *any* descriptor of a file drops *all* of the process's
 * fcntl locks on it. After that, another process could open the live database
 * (observed with classic-level 3.0.0). So a second in-process open must be
 * refused here, before LevelDB ever sees it.
 */

const claimed = new Set<string>();

/** Claims `realDir` (an absolute, symlink-free path); false if already claimed. */
export function claimDir(realDir: string): boolean {
  if (claimed.has(realDir)) return false;
  claimed.add(realDir);
  return true;
}

export function releaseDir(realDir: string): void {
  claimed.delete(realDir);
}
