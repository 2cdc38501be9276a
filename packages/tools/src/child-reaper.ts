import type { ChildProcess } from 'node:child_process';

/**
 * Node processes started by a test or a foreground cluster must not outlive
 * it: they would hold ports and data directories. Children are SIGKILLed when
 * this process exits, and on SIGINT/SIGTERM/SIGHUP unless someone else handles
 * the signal (the foreground cluster stops its nodes gracefully itself).
 */
const children = new Set<ChildProcess>();
let installed = false;

export function reapOnExit(child: ChildProcess): void {
  install();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

function killAll(): void {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  killAll();
  // Restore the default action (terminate) now that the children are gone.
  process.removeListener(signal, onSignal);
  process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
}
