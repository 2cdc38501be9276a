import { readFile } from 'node:fs/promises';

/**
 * Clock ticks per second of /proc/<pid>/stat's CPU times (sysconf(_SC_CLK_TCK)).
 * Linux has reported 100 to user space on every architecture for decades (the
 * kernel's own HZ is hidden behind USER_HZ), so it is a constant here.
 */
export const CLOCK_TICKS_PER_SECOND = 100;

/**
 * utime + stime (fields 14 and 15) of a /proc/<pid>/stat line, in ticks.
 * The command name (field 2) may hold spaces and parentheses, so fields are
 * counted from its closing parenthesis.
 */
export function parseCpuTicks(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  // After ") " come field 3 (state), 4, 5, …: utime is field 14, the 12th from there.
  const fields = stat.slice(close + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) && fields.length > 12 ? utime + stime : undefined;
}

/** CPU time a process has used so far, in seconds; undefined when it is gone (or not on Linux). */
export async function readCpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const ticks = parseCpuTicks(await readFile(`/proc/${pid}/stat`, 'utf8'));
    return ticks === undefined ? undefined : ticks / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
