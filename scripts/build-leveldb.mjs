#!/usr/bin/env node
// Builds classic-level's LevelDB from source, with ringkv's patch
// (patches/classic-level@3.0.0.patch), into the package's build/Release, which
// classic-level loads before its prebuilt binary.
//
// Why: the prebuilt LevelDB 1.20 memory-maps up to 1 000 table files, so every
// table page a read touches counts in the node's RSS (≈ 500 MB of a 5 M-key
// node's 660–700 MB). The patched build reads LEVELDB_MMAP_LIMIT, which the
// node sets from `--table-reads` (default `pread`: no table mapped; the pages
// stay in the kernel's page cache, outside the process).
//
// Runs as the workspace's postinstall. Needs a C++ compiler, make and python3;
// without them it says so and exits 0: the node then runs on the prebuilt
// binary with mapped tables (`/status` → store.tableReads: "mmap").
// RINGKV_SKIP_LEVELDB_BUILD=1 skips it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => console.log(`build-leveldb: ${line}`);

if (process.env.RINGKV_SKIP_LEVELDB_BUILD === '1') {
  say('skipped (RINGKV_SKIP_LEVELDB_BUILD=1); LevelDB will map its tables');
  process.exit(0);
}

// classic-level as the storage package resolves it (pnpm's patched copy).
let pkgDir;
try {
  pkgDir = dirname(createRequire(join(root, 'packages/storage/package.json')).resolve('classic-level/package.json'));
} catch {
  say('classic-level is not installed yet; nothing to build');
  process.exit(0);
}
const patched = join(pkgDir, 'deps/leveldb/leveldb-1.20/util/env_posix.cc');
if (!existsSync(patched) || !readFileSync(patched, 'utf8').includes('LEVELDB_MMAP_LIMIT')) {
  say(`classic-level at ${pkgDir} is not the patched source; skipped (LevelDB will map its tables)`);
  process.exit(0);
}

// The stamp names the source it was built from, so a changed patch rebuilds.
const sourceHash = createHash('sha256').update(readFileSync(patched)).update(process.version).digest('hex').slice(0, 16);
const releaseDir = join(pkgDir, 'build/Release');
const stampPath = join(releaseDir, 'ringkv-build.json');
if (existsSync(join(releaseDir, 'classic_level.node')) && existsSync(stampPath)) {
  try {
    if (JSON.parse(readFileSync(stampPath, 'utf8')).sourceHash === sourceHash) {
      say('up to date');
      process.exit(0);
    }
  } catch {
    // a damaged stamp: build again
  }
}

function findNodeGyp() {
  try {
    return createRequire(join(root, 'package.json')).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    // e.g. `pnpm install --prod` (a container image): npm's own node-gyp
    const bundled = resolve(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
    return existsSync(bundled) ? bundled : undefined;
  }
}

function fallBack(reason, logPath) {
  rmSync(join(pkgDir, 'build'), { recursive: true, force: true });
  say(`could not build LevelDB from source: ${reason}`);
  if (logPath !== undefined) say(`the build's output: ${logPath}`);
  say('ringkv still works, on the prebuilt LevelDB, which maps its table files into each node\'s memory');
  say('(RSS grows with the data read). To build: install g++, make and python3, then run `pnpm install` again.');
  process.exit(0);
}

const nodeGyp = findNodeGyp();
if (nodeGyp === undefined) fallBack('node-gyp not found');

// Node's headers ship beside its binary (official tarballs, Debian's nodejs-dev,
// the node Docker images); otherwise node-gyp downloads them.
const args = [nodeGyp, 'rebuild', `-j`, String(Math.max(1, availableParallelism()))];
const prefix = resolve(dirname(process.execPath), '..');
if (existsSync(join(prefix, 'include/node/common.gypi'))) args.push(`--nodedir=${prefix}`);

const logDir = mkdtempSync(join(tmpdir(), 'ringkv-leveldb-build-'));
const logPath = join(logDir, 'build.log');
const log = openSync(logPath, 'w');
say('building LevelDB from source with ringkv\'s patch (≈ 10–60 s)…');
const started = Date.now();
const build = spawnSync(process.execPath, args, { cwd: pkgDir, stdio: ['ignore', log, log] });
closeSync(log);
if (build.error !== undefined || build.status !== 0) {
  fallBack(build.error?.message ?? `node-gyp exited with ${build.status ?? build.signal}`, logPath);
}

// Load the new binary in a fresh process and use it once, with no table mapped.
const check = spawnSync(
  process.execPath,
  [
    '-e',
    `const { ClassicLevel } = require(${JSON.stringify(pkgDir)});
     const dir = require('fs').mkdtempSync(require('path').join(require('os').tmpdir(), 'ringkv-leveldb-check-'));
     (async () => {
       const db = new ClassicLevel(dir);
       await db.put('k', 'v');
       await db.compactRange('a', 'z');
       if (db.getSync('k') !== 'v') throw new Error('read back the wrong value');
       await db.close();
     })().finally(() => require('fs').rmSync(dir, { recursive: true, force: true })).catch((e) => { console.error(e); process.exit(1); });`,
  ],
  { env: { ...process.env, LEVELDB_MMAP_LIMIT: '0' }, encoding: 'utf8' },
);
if (check.status !== 0) fallBack(`the built binary failed its check: ${(check.stderr ?? '').trim().split('\n')[0]}`, logPath);

writeFileSync(stampPath, `${JSON.stringify({ sourceHash, node: process.version, builtAt: new Date().toISOString() })}\n`);
rmSync(logDir, { recursive: true, force: true });
say(`built in ${((Date.now() - started) / 1000).toFixed(1)} s: ${releaseDir}`);
