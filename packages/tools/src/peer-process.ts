import { spawn, type ChildProcess } from 'node:child_process';
import { constants, openSync, closeSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { reapOnExit } from './child-reaper.js';

/**
 * A server process the benchmark started (a redis-server, an etcd member, the
 * fastify no-op server). Output goes to a log file in the run's temp dir; the
 * process is stopped by its PID, and SIGKILLed if this process exits first.
 */
export class PeerProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  #exitReason: string | undefined;

  private constructor(
    readonly label: string,
    child: ChildProcess,
  ) {
    this.#child = child;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exitReason = signal === null ? `exit code ${code}` : `signal ${signal}`;
        resolve();
      });
      child.once('error', (err) => {
        this.#exitReason = err.message;
        resolve();
      });
    });
    reapOnExit(child);
  }

  static spawn(label: string, command: string, args: readonly string[], logFile: string, env?: NodeJS.ProcessEnv): PeerProcess {
    const fd = openSync(logFile, 'a');
    try {
      const child = spawn(command, args, { stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
      return new PeerProcess(label, child);
    } finally {
      // The child has its own copy of the descriptor.
      closeSync(fd);
    }
  }

  get pid(): number | undefined {
    return this.#exitReason === undefined ? this.#child.pid : undefined;
  }

  /** Why it ended, or undefined while it runs. */
  get exitReason(): string | undefined {
    return this.#exitReason;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.#exitReason !== undefined) return;
    this.#child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.#child.kill('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([this.#exited, killed]);
    clearTimeout(timer);
    await this.#exited;
  }
}

/** The full path of `command` on the PATH (or in /usr/sbin, /usr/bin), or undefined if it is not installed. */
export async function findExecutable(command: string): Promise<string | undefined> {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Polls `ready` every 100 ms until it resolves true, or throws after `timeoutMs` naming `what`. */
export async function waitFor(what: string, ready: () => Promise<boolean>, timeoutMs: number, alive?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dead = alive?.();
    if (dead !== undefined) throw new Error(`${what}: ${dead}`);
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
