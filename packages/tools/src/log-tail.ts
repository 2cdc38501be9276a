import { open } from 'node:fs/promises';

/**
 * The last `lines` lines of a log file, read from its end only (a node's log can
 * be large). Empty when the file does not exist yet.
 */
export async function tailFile(path: string, lines = 20, options: { readonly bytesMax?: number; readonly sinceLineStartingWith?: string } = {}): Promise<string> {
  const bytesMax = options.bytesMax ?? 16 * 1024;
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, bytesMax);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    let all = buffer.toString('utf8').replace(/\n$/, '').split('\n');
    const marker = options.sinceLineStartingWith;
    if (marker !== undefined) {
      const start = all.findLastIndex((line) => line.startsWith(marker));
      if (start >= 0) all = all.slice(start + 1);
    }
    return all.slice(-lines).join('\n');
  } finally {
    await handle.close();
  }
}
