import { readFile } from 'node:fs/promises';

/**
 * Read- and write-family system calls (syscr + syscw) in a /proc/<pid>/io
 * text: every read, readv, recvmsg, write, writev, sendmsg… of all the
 * process's threads. On a shared VM a loopback socket write costs tens of
 * microseconds, and the count per operation moves far less with how busy the
 * machine's neighbours are than ops/s do (only through how many messages
 * share a write); so it is how the benchmark compares the I/O efficiency of
 * two builds or systems.
 */
export function parseSyscallCount(io: string): number | undefined {
  const r = /^syscr:\s+(\d+)$/m.exec(io)?.[1];
  const w = /^syscw:\s+(\d+)$/m.exec(io)?.[1];
  return r === undefined || w === undefined ? undefined : Number(r) + Number(w);
}

/** System calls a process has made so far (see parseSyscallCount); undefined when it is gone or /proc/<pid>/io is not readable. */
export async function readSyscallCount(pid: number): Promise<number | undefined> {
  try {
    return parseSyscallCount(await readFile(`/proc/${pid}/io`, 'utf8'));
  } catch {
    return undefined;
  }
}
