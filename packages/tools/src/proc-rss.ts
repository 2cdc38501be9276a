import { readFile } from 'node:fs/promises';

/**
 * Resident set size of a process in bytes, from /proc/<pid>/status (Linux).
 * Undefined when the process is gone or /proc is not available.
 */
export async function readRssBytes(pid: number): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(text);
  return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
}
