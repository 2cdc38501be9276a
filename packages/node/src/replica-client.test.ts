import { describe, expect, it } from 'vitest';
import { applyWrite, emptyDots, encodeRecord, recordToWire, type KvRecord, type RpcResult, type Transport } from '@ringkv/core';
import type { ClusterView } from './cluster-view.js';
import { ReplicaClient, type StoredCopy } from './replica-client.js';
import type { ReplicaService } from './replica-service.js';
import { makeRpcHandler, type RpcHandlerDeps } from './rpc-handlers.js';
import { RPC_OPS } from './rpc-ops.js';

const key = new TextEncoder().encode('k');
const record = (value: string): KvRecord =>
  applyWrite(undefined, { actor: 'n1#1', context: emptyDots(), value: new TextEncoder().encode(value), contentType: 'text/plain', writtenAt: 1 }).record;

/** A client on node n1 whose only peer n2 answers every request with `reply`; the requests sent are kept. */
function clientAnswering(reply: unknown) {
  const sent: { op: string; body: unknown }[] = [];
  const transport = {
    request: async (_to: string, op: string, body: unknown): Promise<RpcResult> => {
      sent.push({ op, body });
      return { ok: true, body: reply };
    },
  } as unknown as Transport;
  const view = { self: { id: 'n1' }, ringState: { epoch: 0 }, member: () => ({ rpc: 'n2:1' }) } as unknown as ClusterView;
  return { client: new ReplicaClient(view, transport, {} as ReplicaService), sent };
}

const primary = { node: 'n2', primary: true } as const;

describe('replica reads (replica.get)', () => {
  it('ask a primary for its stored bytes, and reuse a copy with the same bytes without decoding it again', async () => {
    const bytes = encodeRecord(record('v'));
    const known: StoredCopy = { rec: record('v'), bytes };
    const { client, sent } = clientAnswering({ raw: Buffer.from(bytes) });
    expect(await client.get(primary, 3, key, 100, known)).toBe(known);
    expect(sent[0]).toMatchObject({ op: RPC_OPS.replicaGet, body: { p: 3, k: key, raw: true } });
  });

  it('decode (and so validate) bytes that differ from the known copy', async () => {
    const theirs = encodeRecord(record('theirs'));
    const { client } = clientAnswering({ raw: theirs });
    const copy = await client.get(primary, 3, key, 100, { rec: record('mine'), bytes: encodeRecord(record('mine')) });
    expect(copy.rec?.siblings[0]?.value).toEqual(new TextEncoder().encode('theirs'));
    expect(copy.bytes).toBe(theirs);
  });

  it('read "absent", a reply in the older wire form, and refuse what is not a record', async () => {
    expect((await clientAnswering({ raw: null }).client.get(primary, 3, key, 100)).rec).toBeUndefined();
    const old = await clientAnswering({ rec: recordToWire(record('old')) }).client.get(primary, 3, key, 100);
    expect(old.rec?.siblings[0]?.value).toEqual(new TextEncoder().encode('old'));
    expect(old.bytes).toBeUndefined();
    await expect(clientAnswering({ raw: 'text' }).client.get(primary, 3, key, 100)).rejects.toThrow(/other than record bytes/);
    await expect(clientAnswering({ raw: new Uint8Array([1, 2, 3]) }).client.get(primary, 3, key, 100)).rejects.toMatchObject({ code: 'RECORD_FORMAT' });
  });

  it('ask a fallback for its hinted copy in the decoded form (hints are stored with their targets)', async () => {
    const { client, sent } = clientAnswering({ rec: recordToWire(record('h')) });
    await client.get({ node: 'n2', primary: false, hintFor: 'n3' }, 3, key, 100);
    expect(sent[0]?.body).toMatchObject({ h: 'n3' });
    expect(sent[0]?.body).not.toHaveProperty('raw');
  });

  it('are answered with the stored bytes only when asked for them', async () => {
    const bytes = encodeRecord(record('v'));
    const replica = { readBytes: async () => bytes, read: async () => record('v') } as unknown as ReplicaService;
    const deps = {
      replica,
      view: { ringState: { epoch: 0 } },
      recovery: { active: false, unsettled: () => false },
      dedupeKeepMs: 1000,
      now: () => 0,
      partitionCount: 64,
    } as unknown as RpcHandlerDeps;
    const handler = makeRpcHandler(deps);
    expect(await handler({ nodeId: 'n2' }, RPC_OPS.replicaGet, { p: 3, k: key, raw: true })).toEqual({ ok: true, body: { raw: bytes } });
    expect(await handler({ nodeId: 'n2' }, RPC_OPS.replicaGet, { p: 3, k: key })).toEqual({ ok: true, body: { rec: recordToWire(record('v')) } });
  });

  it('are refused while the replica recovers — unless a damaged copy\'s repair asks for whatever it holds', async () => {
    const bytes = encodeRecord(record('v'));
    const replica = { readBytes: async () => bytes } as unknown as ReplicaService;
    const view = { self: { id: 'n2' }, ringState: { epoch: 4 }, preferenceList: () => ['n1', 'n3', 'n4'] };
    const deps = { replica, view, recovery: { active: true, unsettled: () => true }, dedupeKeepMs: 1000, now: () => 0, partitionCount: 64 } as unknown as RpcHandlerDeps;
    const handler = makeRpcHandler(deps);
    expect(await handler({ nodeId: 'n1' }, RPC_OPS.replicaGet, { p: 3, k: key, raw: true, e: 4 })).toMatchObject({ ok: false, code: 'RECOVERING' });
    expect(await handler({ nodeId: 'n1' }, RPC_OPS.replicaGet, { p: 3, k: key, raw: true, e: 4, repair: true })).toEqual({ ok: true, body: { raw: bytes } });
    const { client, sent } = clientAnswering({ raw: Buffer.from(bytes) });
    await client.get(primary, 3, key, 100, undefined, true);
    expect(sent[0]?.body).toMatchObject({ raw: true, repair: true });
    await client.get(primary, 3, key, 100);
    expect(sent[1]?.body).not.toHaveProperty('repair');
  });
});

describe('replica writes (replica.put) with ?dw', () => {
  it('ask for an fsync only when the write must be durable', async () => {
    const { client, sent } = clientAnswering({});
    await client.put(primary, 3, key, record('v'), 100);
    await client.put({ node: 'n2', primary: false, hintFor: 'n3' }, 3, key, record('v'), 100, true);
    expect(sent[0]?.body).not.toHaveProperty('s');
    expect(sent[1]?.body).toMatchObject({ h: 'n3', s: true });
  });

  it('are merged durably when asked (data and hints), and a non-boolean `s` is refused', async () => {
    const calls: unknown[][] = [];
    const replica = {
      merge: async (...args: unknown[]) => void calls.push(['merge', ...args]),
      mergeHint: async (...args: unknown[]) => void calls.push(['mergeHint', ...args]),
    } as unknown as ReplicaService;
    const deps = { replica, view: { ringState: { epoch: 0 } }, recovery: { active: false, unsettled: () => false }, dedupeKeepMs: 1000, now: () => 0, partitionCount: 64 } as unknown as RpcHandlerDeps;
    const handler = makeRpcHandler(deps);
    const rec = recordToWire(record('v'));
    expect(await handler({ nodeId: 'n2' }, RPC_OPS.replicaPut, { p: 3, k: key, rec })).toEqual({ ok: true, body: {} });
    expect(await handler({ nodeId: 'n2' }, RPC_OPS.replicaPut, { p: 3, k: key, rec, s: true })).toEqual({ ok: true, body: {} });
    expect(await handler({ nodeId: 'n2' }, RPC_OPS.replicaPut, { p: 3, k: key, rec, h: 'n3', s: true })).toEqual({ ok: true, body: {} });
    expect(calls.map((c) => [c[0], c.at(-1)])).toEqual([
      ['merge', false],
      ['merge', true],
      ['mergeHint', true],
    ]);
    const refused = await handler({ nodeId: 'n2' }, RPC_OPS.replicaPut, { p: 3, k: key, rec, s: 'yes' });
    expect(refused.ok).toBe(false);
    expect(calls).toHaveLength(3);
  });
});
