import { mkdtemp, readFile, rm, stat, writeFile, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyWrite, emptyDots, recordEquals, type KvRecord } from '@ringkv/core';
import { afterAll, describe, expect, it } from 'vitest';
import { msgpackArrayHeader, packValue, unpackValue } from './backup-entry.js';
import { BackupFileError, BackupFileReader, BackupFileWriter, verifyBackupFile, type BackupHeader } from './backup-file.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'ringkv-backup-file-'));
  dirs.push(d);
  return d;
}

const header: BackupHeader = {
  createdAt: '2026-01-01T00:00:00.000Z',
  cluster: { partitionCount: 256, n: 3, r: 2, w: 2, epoch: 1 },
  nodes: ['n1', 'n2', 'n3'],
  tool: 'test',
};

const enc = new TextEncoder();

/** A record with two concurrent siblings and a tombstone superseding an earlier value. */
function sampleRecord(i: number): KvRecord {
  const a = applyWrite(undefined, { actor: 'n1#1', context: emptyDots(), value: enc.encode(`a${i}`), contentType: 'text/plain', writtenAt: 1000 + i });
  const b = applyWrite(a.record, { actor: 'n2#1', context: emptyDots(), value: enc.encode(`b${i}`), contentType: 'text/plain', writtenAt: 1001 + i });
  const del = applyWrite(b.record, { actor: 'n3#1', context: a.context, value: null, contentType: 'application/octet-stream', writtenAt: 1002 + i });
  return del.record;
}

async function writeSample(path: string, count: number): Promise<void> {
  const w = await BackupFileWriter.create(path, header);
  for (let i = 0; i < count; i++) await w.add(enc.encode(`key-${String(i).padStart(5, '0')}`), sampleRecord(i));
  await w.finish();
}

async function readAll(path: string): Promise<{ key: string; record: KvRecord }[]> {
  const r = await BackupFileReader.open(path);
  const out: { key: string; record: KvRecord }[] = [];
  for await (const e of r.entries()) out.push({ key: e.key.toString('utf8'), record: e.record });
  return out;
}

describe('backup file', () => {
  it('round-trips header, keys and whole records, and checks itself', async () => {
    const path = join(await tempDir(), 'b.ringkv');
    await writeSample(path, 300);
    const bytes = await readFile(path);
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('RINGKVBK');
    const r = await BackupFileReader.open(path);
    expect(r.header).toEqual(header);
    await r.close();
    const all = await readAll(path);
    expect(all).toHaveLength(300);
    all.forEach((e, i) => {
      expect(e.key).toBe(`key-${String(i).padStart(5, '0')}`);
      expect(recordEquals(e.record, sampleRecord(i))).toBe(true);
      expect(e.record.siblings.map((s) => s.value && Buffer.from(s.value).toString())).toEqual(sampleRecord(i).siblings.map((s) => s.value && Buffer.from(s.value).toString()));
    });
    const v = await verifyBackupFile(path);
    expect(v.entries).toBe(300);
    expect(v.bytes).toBe(bytes.length);
    expect(v.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('an empty cluster gives a valid file with no entries', async () => {
    const path = join(await tempDir(), 'empty.ringkv');
    await writeSample(path, 0);
    expect((await verifyBackupFile(path)).entries).toBe(0);
  });

  it('leaves only FILE.partial until finished, and nothing after abort', async () => {
    const dir = await tempDir();
    const path = join(dir, 'p.ringkv');
    const w = await BackupFileWriter.create(path, header);
    await w.add(enc.encode('k'), sampleRecord(1));
    await expect(access(path)).rejects.toThrow();
    await stat(`${path}.partial`);
    await w.abort();
    await expect(access(`${path}.partial`)).rejects.toThrow();
    await expect(access(path)).rejects.toThrow();
  });

  it('refuses a file cut anywhere, naming the truncation', async () => {
    const dir = await tempDir();
    const path = join(dir, 'full.ringkv');
    await writeSample(path, 20);
    const bytes = await readFile(path);
    for (const cut of [0, 5, 9, 12, 40, Math.floor(bytes.length / 2), bytes.length - 10, bytes.length - 1]) {
      const p = join(dir, `cut-${cut}.ringkv`);
      await writeFile(p, bytes.subarray(0, cut));
      const err = await verifyBackupFile(p).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, `cut at ${cut}`).toBeInstanceOf(BackupFileError);
      expect((err as Error).message).toMatch(cut < 8 ? /not a ringkv backup|truncated/ : /truncated/);
    }
  });

  it('refuses a flipped byte in the header, an entry or the trailer', async () => {
    const dir = await tempDir();
    const path = join(dir, 'full.ringkv');
    await writeSample(path, 20);
    const bytes = await readFile(path);
    let refused = 0;
    // every byte after the magic and version: each flip must be caught by something (frame, record check, or checksum)
    for (let i = 10; i < bytes.length; i += 7) {
      const copy = Buffer.from(bytes);
      copy[i] = (copy[i] as number) ^ 0x01;
      const p = join(dir, 'flip.ringkv');
      await writeFile(p, copy);
      await expect(verifyBackupFile(p), `byte ${i}`).rejects.toBeInstanceOf(BackupFileError);
      refused++;
    }
    expect(refused).toBeGreaterThan(50);
  });

  it('refuses a changed checksum, a wrong magic, an unknown version and bytes after the trailer', async () => {
    const dir = await tempDir();
    const path = join(dir, 'full.ringkv');
    await writeSample(path, 3);
    const bytes = await readFile(path);
    const p = join(dir, 'bad.ringkv');

    await writeFile(p, Buffer.concat([bytes, Buffer.from([0])]));
    await expect(verifyBackupFile(p)).rejects.toThrow(/bytes follow the trailer/);

    const wrongMagic = Buffer.from(bytes);
    wrongMagic.write('RINGKVXX', 0, 'latin1');
    await writeFile(p, wrongMagic);
    await expect(verifyBackupFile(p)).rejects.toThrow(/is not a ringkv backup/);

    const v2 = Buffer.from(bytes);
    v2.writeUInt16BE(2, 8);
    await writeFile(p, v2);
    await expect(verifyBackupFile(p)).rejects.toThrow(/format version 2/);

    // a trailer that states another checksum (a consistent-looking but different file)
    const trailerAt = bytes.lastIndexOf(0x54 /* 'T' */);
    const trailer = unpackValue(bytes.subarray(trailerAt + 5)) as { entries: number; sha256: string };
    const forged = packValue({ ...trailer, sha256: '0'.repeat(64) });
    const head = Buffer.from([0x54, 0, 0, 0, 0]);
    head.writeUInt32BE(forged.length, 1);
    await writeFile(p, Buffer.concat([bytes.subarray(0, trailerAt), head, forged]));
    await expect(verifyBackupFile(p)).rejects.toThrow(/checksum mismatch/);

    // a trailer with a wrong count
    const miscount = packValue({ ...trailer, entries: 4 });
    head.writeUInt32BE(miscount.length, 1);
    await writeFile(p, Buffer.concat([bytes.subarray(0, trailerAt), head, miscount]));
    await expect(verifyBackupFile(p)).rejects.toThrow(/says 4 entries, the file holds 3/);
  });

  it('refuses a well-framed entry whose record breaks the record rules', async () => {
    const dir = await tempDir();
    const path = join(dir, 'bad-record.ringkv');
    const w = await BackupFileWriter.create(path, header);
    // bypass add(): a sibling whose dot is not in the history
    const bad = packValue([enc.encode('k'), [[], [['n1#1', 1, enc.encode('v'), 'text/plain', 1]]]]);
    (w as unknown as { push(parts: Buffer[], hashed: boolean): void }).push([Buffer.from([0x45, 0, 0, 0, 0]).fill(0, 1), bad], true);
    // fix the frame length written above
    const parts = (w as unknown as { pending: Buffer[] }).pending;
    (parts[parts.length - 2] as Buffer).writeUInt32BE(bad.length, 1);
    await w.finish();
    await expect(verifyBackupFile(path)).rejects.toThrow(/entry 1 .*not in the record's history/);
  });

  it('builds msgpack array headers for every batch size', () => {
    for (const n of [0, 1, 15, 16, 1000, 65535, 65536]) {
      const body = Buffer.concat([msgpackArrayHeader(n), ...Array.from({ length: n }, () => packValue(1))]);
      expect((unpackValue(body) as unknown[]).length).toBe(n);
    }
  });
});
