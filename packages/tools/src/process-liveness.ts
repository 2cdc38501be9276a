import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** True while a process with this pid exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when `pid` is still the node we started: its command line contains
 * every one of `markers` (e.g. `--id n2` and its data dir). Guards against
 * signalling an unrelated process that reused a recorded pid after a reboot.
 * Where /proc is missing, only liveness can be checked.
 */
export async function isOurProcess(pid: number, markers: readonly string[]): Promise<boolean> {
  if (!isAlive(pid)) return false;
  let cmdline: string;
  try {
    cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return process.platform !== 'linux';
  }
  const args = cmdline.split('\0');
  return markers.every((m) => args.includes(m));
}

/** Resolves true once the pid is gone, false if it is still there after `timeoutMs`. */
export async function waitForPidExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && !isZombie(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** A zombie has exited but waits for its parent to reap it: for us, it is gone. */
function isZombie(pid: number): boolean {
  try {
    // Synchronous on purpose: a tiny /proc file, read in a polling loop.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state === 'Z';
  } catch {
    return false;
  }
}
