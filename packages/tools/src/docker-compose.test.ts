// Structural checks of the Docker packaging (no Docker engine needed): the
// 5-node docker-compose.cluster.yml and the Dockerfile it builds.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const composeText = readFileSync(`${root}docker-compose.cluster.yml`, 'utf8');
const dockerfileText = readFileSync(`${root}Dockerfile`, 'utf8');

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const NODE_COUNT = 5;
const HOST_PORTS = [7001, 7002, 7003, 7004, 7005];

function loadCompose(text: string): Obj {
  // Compose honours YAML merge keys (`<<: *anchor`); resolve them the same way.
  const doc: unknown = parse(text, { merge: true });
  if (!isObj(doc)) throw new Error('compose file is not a mapping');
  return doc;
}

/** Splits a Compose `command` (list or string) into words. */
function words(command: unknown): string[] {
  if (Array.isArray(command)) return command.map((w) => String(w));
  if (typeof command === 'string') return command.trim().split(/\s+/);
  return [];
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i >= 0) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith(`${name}=`));
  return eq?.slice(name.length + 1);
}

function hostPort(text: string | undefined): { host: string; port: number } | undefined {
  const m = /^([^:\s]+):(\d+)$/.exec(text ?? '');
  return m === null ? undefined : { host: m[1] ?? '', port: Number(m[2]) };
}

interface PortMapping {
  readonly published: number | undefined;
  readonly target: number;
}

function portMappings(ports: unknown): PortMapping[] {
  if (!Array.isArray(ports)) return [];
  return ports.map((p): PortMapping => {
    if (isObj(p)) return { published: p['published'] === undefined ? undefined : Number(p['published']), target: Number(p['target']) };
    const parts = String(p).replace(/\/(tcp|udp)$/, '').split(':');
    const target = Number(parts[parts.length - 1]);
    return { published: parts.length >= 2 ? Number(parts[parts.length - 2]) : undefined, target };
  });
}

interface Mount {
  readonly source: string;
  readonly target: string;
}

function mounts(volumes: unknown): Mount[] {
  if (!Array.isArray(volumes)) return [];
  return volumes.map((v): Mount => {
    if (isObj(v)) return { source: String(v['source'] ?? ''), target: String(v['target'] ?? '') };
    const [source = '', target = ''] = String(v).split(':');
    return { source, target };
  });
}

/** Every structural problem of a parsed compose document; empty when sound. */
function composeProblems(doc: Obj): string[] {
  const problems: string[] = [];
  const services = isObj(doc['services']) ? doc['services'] : {};
  const topVolumes = isObj(doc['volumes']) ? doc['volumes'] : {};
  const topNetworks = isObj(doc['networks']) ? doc['networks'] : {};
  const nodes = Object.entries(services).filter(([, s]) => isObj(s) && words(s['command'])[0] === 'node') as [string, Obj][];
  if (Object.keys(services).length !== NODE_COUNT) problems.push(`expected ${NODE_COUNT} services, got ${Object.keys(services).length}`);
  if (nodes.length !== NODE_COUNT) problems.push(`expected ${NODE_COUNT} node services, got ${nodes.length}`);

  const rpcOf = new Map<string, string>();
  for (const [name, svc] of nodes) {
    const rpc = hostPort(flag(words(svc['command']), '--rpc'));
    if (rpc !== undefined) rpcOf.set(name, `${name}:${rpc.port}`);
  }

  const volumeUsers = new Map<string, string[]>();
  const hostPortsSeen: number[] = [];
  const nrw = new Set<string>();
  let sharedNetworks: Set<string> | undefined;

  for (const [name, svc] of nodes) {
    const argv = words(svc['command']);
    const at = (what: string): string => `${name}: ${what}`;
    if (svc['build'] === undefined && svc['image'] === undefined) problems.push(at('neither build nor image'));
    if (!['always', 'unless-stopped', 'on-failure'].includes(String(svc['restart']))) problems.push(at(`restart policy "${String(svc['restart'])}"`));

    if (flag(argv, '--id') !== name) problems.push(at(`--id "${flag(argv, '--id') ?? ''}" differs from the service name`));
    if (flag(argv, '--data') !== '/data') problems.push(at('--data is not /data'));
    const http = hostPort(flag(argv, '--http'));
    const rpc = hostPort(flag(argv, '--rpc'));
    // A node advertises --advertise/--advertise-rpc, or else its bind address: what it
    // advertises must be its service name (peers dial it), on the port it listens on.
    for (const [bindFlag, advFlag, bound] of [['--http', '--advertise', http], ['--rpc', '--advertise-rpc', rpc]] as const) {
      const told = flag(argv, advFlag) === undefined ? bound : hostPort(flag(argv, advFlag));
      if (told?.host !== name) problems.push(at(`advertises ${advFlag === '--advertise' ? 'HTTP' : 'RPC'} as "${flag(argv, advFlag) ?? flag(argv, bindFlag) ?? ''}", not its service name`));
      else if (told.port !== bound?.port) problems.push(at(`${advFlag} port ${told.port} is not the port ${bindFlag} listens on`));
    }
    // A wildcard bind reaches beyond loopback: the node demands auth or an explicit --insecure.
    const wildcard = [http, rpc].some((hp) => hp?.host === '0.0.0.0' || hp?.host === '::');
    if (wildcard && !argv.includes('--insecure') && !argv.some((a) => a.startsWith('--auth'))) problems.push(at('binds 0.0.0.0 without --insecure or auth'));

    const seeds = (flag(argv, '--seeds') ?? '').split(',').filter((s) => s !== '');
    const expected = nodes.filter(([other]) => other !== name).map(([other]) => rpcOf.get(other) ?? `${other}:?`);
    if (seeds.includes(rpcOf.get(name) ?? `${name}:`) || seeds.some((s) => s.startsWith(`${name}:`))) problems.push(at('seeds itself'));
    if ([...seeds].sort().join(',') !== [...expected].sort().join(',')) problems.push(at(`--seeds ${seeds.join(',')} != ${expected.join(',')}`));

    const [n, r, w] = ['--n', '--r', '--w'].map((f) => Number(flag(argv, f)));
    if (![n, r, w].every((x) => Number.isInteger(x) && (x ?? 0) >= 1)) problems.push(at('--n/--r/--w missing or not positive integers'));
    else if ((r ?? 0) > (n ?? 0) || (w ?? 0) > (n ?? 0) || (n ?? 0) > NODE_COUNT) problems.push(at(`inconsistent N=${n} R=${r} W=${w}`));
    nrw.add(`${n}/${r}/${w}`);

    const dataMounts = mounts(svc['volumes']).filter((m) => m.target === '/data');
    if (dataMounts.length !== 1) problems.push(at(`expected one mount at /data, got ${dataMounts.length}`));
    for (const m of dataMounts) {
      if (m.source === '' || m.source.startsWith('.') || m.source.startsWith('/') || m.source.startsWith('~')) problems.push(at(`/data is not a named volume (${m.source})`));
      else if (!(m.source in topVolumes)) problems.push(at(`volume ${m.source} is not declared under top-level volumes`));
      volumeUsers.set(m.source, [...(volumeUsers.get(m.source) ?? []), name]);
    }

    const hc = svc['healthcheck'];
    const test = isObj(hc) ? words(hc['test']).join(' ') : '';
    if (!isObj(hc) || hc['disable'] === true) problems.push(at('no healthcheck'));
    else if (http === undefined || !test.includes(`${name}:${http.port}/health`)) problems.push(at(`healthcheck does not hit its own /health: ${test}`));

    const ports = portMappings(svc['ports']);
    const toHttp = ports.filter((p) => http !== undefined && p.target === http.port);
    if (toHttp.length !== 1 || toHttp[0]?.published === undefined) problems.push(at('HTTP port is not published exactly once'));
    else hostPortsSeen.push(toHttp[0].published);
    if (rpc !== undefined && ports.some((p) => p.target === rpc.port)) problems.push(at('RPC port is published'));

    const nets = Array.isArray(svc['networks']) ? svc['networks'].map(String) : isObj(svc['networks']) ? Object.keys(svc['networks']) : [];
    for (const net of nets) if (!(net in topNetworks)) problems.push(at(`network ${net} not declared`));
    sharedNetworks = sharedNetworks === undefined ? new Set(nets) : new Set(nets.filter((x) => sharedNetworks?.has(x)));
  }

  for (const [vol, users] of volumeUsers) if (users.length > 1) problems.push(`volume ${vol} shared by ${users.join(', ')}`);
  for (const [name, svc] of Object.entries(services)) {
    if (nodes.some(([n]) => n === name) || !isObj(svc)) continue;
    for (const m of mounts(svc['volumes'])) if (volumeUsers.has(m.source)) problems.push(`volume ${m.source} also used by ${name}`);
  }
  if ([...hostPortsSeen].sort().join(',') !== HOST_PORTS.join(',')) problems.push(`published HTTP ports ${hostPortsSeen.join(',')} != ${HOST_PORTS.join(',')}`);
  if (nrw.size > 1) problems.push(`N/R/W differ between nodes: ${[...nrw].join(' ')}`);
  if (sharedNetworks === undefined || sharedNetworks.size === 0) problems.push('node services share no network');
  return problems;
}

describe('docker-compose.cluster.yml', () => {
  const doc = loadCompose(composeText);

  it('describes a sound 5-node cluster', () => {
    expect(composeProblems(doc)).toEqual([]);
  });

  it('catches broken variants', () => {
    const mutate = (edit: (d: Obj) => void): string[] => {
      const d = loadCompose(composeText);
      edit(d);
      return composeProblems(d);
    };
    const svc = (d: Obj, name: string): Obj => (d['services'] as Record<string, Obj>)[name] as Obj;
    const setFlag = (d: Obj, name: string, f: string, value: string): void => {
      const argv = words(svc(d, name)['command']);
      argv[argv.indexOf(f) + 1] = value;
      svc(d, name)['command'] = argv;
    };
    expect(mutate((d) => setFlag(d, 'n3', '--seeds', 'n1:7101,n2:7101,n4:7101'))).not.toEqual([]);
    expect(mutate((d) => setFlag(d, 'n3', '--seeds', 'n1:7101,n2:7101,n3:7101,n4:7101,n5:7101'))).not.toEqual([]);
    expect(mutate((d) => setFlag(d, 'n2', '--id', 'n7'))).not.toEqual([]);
    expect(mutate((d) => setFlag(d, 'n2', '--advertise-rpc', '0.0.0.0:7101'))).not.toEqual([]);
    expect(mutate((d) => setFlag(d, 'n2', '--advertise-rpc', 'n3:7101'))).not.toEqual([]);
    expect(mutate((d) => setFlag(d, 'n2', '--advertise', 'n2:7002'))).not.toEqual([]);
    const dropFlag = (d: Obj, name: string, f: string, withValue: boolean): void => {
      const argv = words(svc(d, name)['command']);
      argv.splice(argv.indexOf(f), withValue ? 2 : 1);
      svc(d, name)['command'] = argv;
    };
    // Bound to 0.0.0.0 and not told what to advertise: peers would be told 0.0.0.0.
    expect(mutate((d) => dropFlag(d, 'n2', '--advertise-rpc', true))).not.toEqual([]);
    expect(mutate((d) => dropFlag(d, 'n4', '--advertise', true))).not.toEqual([]);
    expect(mutate((d) => dropFlag(d, 'n1', '--insecure', false))).not.toEqual([]);
    expect(mutate((d) => setFlag(d, 'n4', '--r', '3'))).not.toEqual([]);
    expect(mutate((d) => { svc(d, 'n5')['volumes'] = ['n4-data:/data']; })).not.toEqual([]);
    expect(mutate((d) => { svc(d, 'n5')['volumes'] = ['./n5:/data']; })).not.toEqual([]);
    expect(mutate((d) => { delete (d['volumes'] as Obj)['n1-data']; })).not.toEqual([]);
    expect(mutate((d) => { svc(d, 'n1')['ports'] = ['7002:7001']; })).not.toEqual([]);
    expect(mutate((d) => { svc(d, 'n1')['ports'] = ['7001:7001', '7101:7101']; })).not.toEqual([]);
    expect(mutate((d) => { delete svc(d, 'n2')['healthcheck']; })).not.toEqual([]);
    expect(mutate((d) => { delete svc(d, 'n2')['restart']; })).not.toEqual([]);
    expect(mutate((d) => { delete (d['services'] as Obj)['n5']; })).not.toEqual([]);
  });
});

describe('Dockerfile', () => {
  // Instructions with their `\` continuations joined, comments dropped.
  const lines = dockerfileText
    .split('\n')
    .filter((l) => !l.trim().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const instr = (name: string): string[] => lines.filter((l) => l.toUpperCase().startsWith(`${name} `));

  it('builds from the lockfile on node:20-bookworm-slim', () => {
    expect(dockerfileText).toMatch(/node:20-bookworm-slim/);
    expect(dockerfileText).toMatch(/pnpm install --frozen-lockfile/);
    expect(dockerfileText).toMatch(/npm i(nstall)? -g pnpm@10/);
    expect(dockerfileText).toMatch(/pnpm build/);
  });

  it('copies every workspace manifest before installing', () => {
    const pkgDir = `${root}packages/`;
    const pkgs = readdirSync(pkgDir).filter((p) => existsSync(`${pkgDir}${p}/package.json`));
    expect(pkgs.length).toBeGreaterThan(0);
    for (const p of pkgs) expect(dockerfileText, `COPY of packages/${p}/package.json`).toContain(`COPY packages/${p}/package.json`);
  });

  it('copies what pnpm install reads (dependency patches, the postinstall script) before it, with a compiler for the LevelDB build', () => {
    const install = dockerfileText.indexOf('pnpm install --frozen-lockfile');
    const workspace = readFileSync(`${root}pnpm-workspace.yaml`, 'utf8');
    const patchFiles = [...workspace.matchAll(/:\s*(patches\/\S+\.patch)/g)].map((m) => m[1] ?? '');
    expect(patchFiles.length).toBeGreaterThan(0);
    const copiesPatches = dockerfileText.indexOf('COPY patches/ patches/');
    expect(copiesPatches, 'COPY patches/ patches/').toBeGreaterThan(-1);
    expect(copiesPatches).toBeLessThan(install);
    for (const f of patchFiles) expect(existsSync(`${root}${f}`), f).toBe(true);
    const postinstall = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> }).scripts.postinstall ?? '';
    const script = postinstall.match(/scripts\/\S+/)?.[0] ?? '';
    expect(script).not.toBe('');
    const copiesScript = dockerfileText.indexOf(`COPY ${script} scripts/`);
    expect(copiesScript, `COPY ${script} scripts/`).toBeGreaterThan(-1);
    expect(copiesScript).toBeLessThan(install);
    expect(dockerfileText.indexOf('g++')).toBeLessThan(install);
  });

  it('runs as a non-root user with a health check, ports and a data volume', () => {
    const user = instr('USER').at(-1)?.split(/\s+/)[1] ?? 'root';
    expect(['root', '0', '0:0', 'root:root']).not.toContain(user);
    expect(instr('HEALTHCHECK').join(' ')).toMatch(/fetch\(.*\/health|RINGKV_HEALTH_URL/);
    expect(dockerfileText).toMatch(/RINGKV_HEALTH_URL=http:\/\/[^\s]+\/health/);
    const exposed = instr('EXPOSE').flatMap((l) => l.split(/\s+/).slice(1));
    expect(exposed).toEqual(expect.arrayContaining(['7001', '7101']));
    expect(instr('VOLUME').join(' ')).toMatch(/\/data/);
    expect(instr('ENTRYPOINT').join(' ')).toContain('["node", "packages/cli/dist/main.js"]');
  });

  it('keeps host build output out of the context', () => {
    const ignore = readFileSync(`${root}.dockerignore`, 'utf8');
    expect(ignore).toMatch(/node_modules/);
    expect(ignore).toMatch(/dist/);
  });
});
