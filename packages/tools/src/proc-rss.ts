import { readFile } from 'node:fs/promises';

/** A process's resident memory, from /proc/<pid>/status. */
export interface RssBreakdown {
  /** all of it (VmRSS) */
  readonly rssBytes: number;
  /**
   * the part that is file pages mapped into the process (RssFile): its
   * binary and libraries, and for a ringkv node LevelDB's memory-mapped
   * table files — clean page cache the kernel can drop, not memory the
   * process allocated
   */
  readonly fileBytes: number | undefined;
  /** the most the process has held resident since it started (VmHWM) */
  readonly peakBytes: number | undefined;
}

/** Resident memory of a process (Linux); undefined when the process is gone or /proc is not available. */
export async function readRssBreakdown(pid: number): Promise<RssBreakdown | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string): number | undefined => {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB$`, 'm').exec(text);
    return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
  };
  const rssBytes = kb('VmRSS');
  return rssBytes === undefined ? undefined : { rssBytes, fileBytes: kb('RssFile'), peakBytes: kb('VmHWM') };
}

/** Resident set size of a process in bytes; undefined when the process is gone or /proc is not available. */
export async function readRssBytes(pid: number): Promise<number | undefined> {
  return (await readRssBreakdown(pid))?.rssBytes;
}
