import { describe, expect, it } from 'vitest';
import { RingkvError, emptyDots, encodeContext, encodeCounterKey, encodeKey, recordToWire } from '@ringkv/core';
import { StoreFullError } from '@ringkv/storage';
import type { Coordinator } from './coordinator.js';
import type { IncrementRequest, IncrementResult } from './counter-increment.js';
import { forwardIncrement, parseIncrementReply } from './counter-forwarding.js';
import type { ReplicaClient } from './replica-client.js';
import { makeRpcHandler, type RpcHandlerDeps } from './rpc-handlers.js';
import { RPC_OPS, parseCoordIncr } from './rpc-ops.js';
import { forwardWrite } from './write-forwarding.js';

/** A handler whose coordinator only counts the increments it is asked to apply. */
function handlerWith(apply: (req: IncrementRequest) => Promise<IncrementResult>) {
  const applied: IncrementRequest[] = [];
  const coordinator = {
    coordinateIncrement: async (_p: number, req: IncrementRequest) => {
      applied.push(req);
      return apply(req);
    },
  } as unknown as Coordinator;
  const deps = { coordinator, view: { ringState: { epoch: 1 } }, dedupeKeepMs: 60_000, now: () => 1000, partitionCount: 64 } as unknown as RpcHandlerDeps;
  return { handler: makeRpcHandler(deps), applied };
}

const key = encodeCounterKey('c');
const body = (rid: string, extra: Record<string, unknown> = {}) => ({ k: key, d: 3, w: 2, pw: 0, rid, ...extra });

describe('forwarded increments (coord.incr)', () => {
  it('are applied exactly once per request id and sender, however often they arrive', async () => {
    let total = 0;
    const { handler, applied } = handlerWith(async (req) => ({ value: (total += req.delta), windowEnd: null, sloppy: false }));
    const first = await handler({ nodeId: 'n1' }, RPC_OPS.coordIncr, body('r1'));
    // a retry, and a copy delivered concurrently with a third one
    const again = await Promise.all([handler({ nodeId: 'n1' }, RPC_OPS.coordIncr, body('r1')), handler({ nodeId: 'n1' }, RPC_OPS.coordIncr, body('r1'))]);
    expect(applied).toHaveLength(1);
    expect(again).toEqual([first, first]);
    expect(first).toEqual({ ok: true, body: { v: 3, we: null, sloppy: false, e: 1 } });
    // another request id, or the same id from another sender, is another increment
    await handler({ nodeId: 'n1' }, RPC_OPS.coordIncr, body('r2'));
    await handler({ nodeId: 'n2' }, RPC_OPS.coordIncr, body('r1'));
    expect(applied).toHaveLength(3);
  });

  it("pass the coordinator's error back as a value, and remember it too", async () => {
    const { handler, applied } = handlerWith(async () => {
      throw new RingkvError('QUORUM_NOT_MET', 'write quorum not met', { needed: 2, got: 1 });
    });
    const reply = await handler({ nodeId: 'n1' }, RPC_OPS.coordIncr, body('r9', { ttl: 60_000 }));
    expect(reply).toEqual({ ok: true, body: { err: { code: 'QUORUM_NOT_MET', message: 'write quorum not met', details: { needed: 2, got: 1 } } } });
    await handler({ nodeId: 'n1' }, RPC_OPS.coordIncr, body('r9', { ttl: 60_000 }));
    expect(applied).toEqual([{ key, delta: 3, ttlMs: 60_000, w: 2, pw: 0 }]);
    expect(() => parseIncrementReply((reply as { body: unknown }).body, 0)).toThrow(expect.objectContaining({ code: 'QUORUM_NOT_MET', details: { needed: 2, got: 1 } }));
  });

  it('carry ?dw to the coordinator (absent from older nodes: none)', async () => {
    const { handler, applied } = handlerWith(async () => ({ value: 3, windowEnd: null, sloppy: false }));
    await handler({ nodeId: 'n1' }, RPC_OPS.coordIncr, body('d1', { dw: 2 }));
    await handler({ nodeId: 'n1' }, RPC_OPS.coordIncr, body('d2'));
    expect(applied).toEqual([
      { key, delta: 3, ttlMs: undefined, w: 2, pw: 0, dw: 2 },
      { key, delta: 3, ttlMs: undefined, w: 2, pw: 0 },
    ]);
  });

  it('are sent with ?dw when the client asked for it, and without the field otherwise', async () => {
    const sent: unknown[] = [];
    const peers = {
      coordIncrement: async (_node: string, b: unknown) => {
        sent.push(b);
        return { v: 1, we: null, sloppy: false, e: 1 };
      },
    } as unknown as ReplicaClient;
    const targets = [{ node: 'n2', primary: true }];
    await forwardIncrement(peers, targets, { key, delta: 1, w: 2, pw: 0, dw: 2 }, 'f1', 1000, () => 1);
    await forwardIncrement(peers, targets, { key, delta: 1, w: 2, pw: 0 }, 'f2', 1000, () => 1);
    expect(sent).toEqual([
      { k: key, d: 1, w: 2, pw: 0, rid: 'f1', dw: 2 },
      { k: key, d: 1, w: 2, pw: 0, rid: 'f2' },
    ]);
  });

  it('refuse malformed bodies, and keys outside the counter name space', async () => {
    const bad = [
      body('r', { dw: 'x' }),
      body('r', { dw: -1 }),
      body('r', { dw: 17 }),
      body('r', { k: encodeKey('c') }), // a /kv key
      body('r', { d: 1.5 }),
      body('r', { d: 2e12 }),
      body('r', { ttl: 0 }),
      body('r', { w: 0 }),
      body(''),
      { ...body('r'), k: 'c' },
      null,
    ];
    for (const b of bad) expect(parseCoordIncr(b), JSON.stringify(b)).toBeUndefined();
    const { handler, applied } = handlerWith(async () => ({ value: 0, windowEnd: null, sloppy: false }));
    expect(await handler({ nodeId: 'n1' }, RPC_OPS.coordIncr, body('r', { d: 'x' }))).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(applied).toEqual([]);
  });

  it('read replies strictly', () => {
    expect(parseIncrementReply({ v: -2, we: 5, sloppy: true, e: 3 }, 3)).toEqual({ value: -2, windowEnd: 5, sloppy: true });
    expect(parseIncrementReply({ v: -2, we: 5, sloppy: false, e: 3 }, 3)).toEqual({ value: -2, windowEnd: 5, sloppy: false });
    // coordinated on another ring epoch (or by a node that does not say): no read-your-writes promise
    expect(parseIncrementReply({ v: -2, we: 5, sloppy: false, e: 2 }, 3).sloppy).toBe(true);
    expect(parseIncrementReply({ v: -2, we: 5, sloppy: false }, 3).sloppy).toBe(true);
    for (const b of [{ v: 1.5, we: null }, { v: 1 }, { v: 1, we: 'x' }, null]) expect(() => parseIncrementReply(b, 0)).toThrow(RingkvError);
    // an error code the forwarder does not pass on becomes UNAVAILABLE
    expect(() => parseIncrementReply({ err: { code: 'INTERNAL', message: 'boom' } }, 0)).toThrow(expect.objectContaining({ code: 'UNAVAILABLE' }));
  });
});

describe('forwarding past a full disk', () => {
  const fullReply = { err: { code: 'INSUFFICIENT_STORAGE', message: "this node's disk is full: the write was not stored", details: {} } };
  const targets = [
    { node: 'n2', primary: true },
    { node: 'n3', primary: true },
  ];

  it('passes a coordinator\'s full disk back as INSUFFICIENT_STORAGE (nothing stored), not as an internal error', async () => {
    const { handler } = handlerWith(async () => {
      throw new StoreFullError('/data/n2');
    });
    const reply = await handler({ nodeId: 'n1' }, RPC_OPS.coordIncr, body('s1'));
    expect(reply).toEqual({ ok: true, body: { err: { code: 'INSUFFICIENT_STORAGE', message: "this node's disk is full: the write was not stored", details: { dataDir: '/data/n2' } } } });
  });

  it('answers a replica write its full disk refused with INSUFFICIENT_STORAGE, not INTERNAL', async () => {
    const replica = {
      merge: async () => {
        throw new StoreFullError('/data/n2');
      },
    };
    const deps = { replica, view: { ringState: { epoch: 1 } }, dedupeKeepMs: 60_000, now: () => 1000, partitionCount: 64 } as unknown as RpcHandlerDeps;
    const rec = recordToWire({ history: emptyDots(), siblings: [] });
    const reply = await makeRpcHandler(deps)({ nodeId: 'n1' }, RPC_OPS.replicaPut, { p: 1, k: encodeKey('k'), rec });
    expect(reply).toEqual({ ok: false, code: 'INSUFFICIENT_STORAGE', message: "this node's disk is full: the write was not stored" });
  });

  it('hands an increment to the next replica when one answers that its disk is full', async () => {
    const asked: string[] = [];
    const peers = {
      coordIncrement: async (node: string) => {
        asked.push(node);
        return node === 'n2' ? fullReply : { v: 4, we: null, sloppy: false, e: 1 };
      },
    } as unknown as ReplicaClient;
    const result = await forwardIncrement(peers, targets, { key, delta: 1, w: 2, pw: 0 }, 'f9', 1000, () => 1);
    expect(asked).toEqual(['n2', 'n3']);
    expect(result.value).toBe(4);
  });

  it('hands a write to the next replica likewise, and answers INSUFFICIENT_STORAGE when every one is full', async () => {
    const asked: string[] = [];
    const reply = { ctx: encodeContext(emptyDots()), rec: recordToWire({ history: emptyDots(), siblings: [] }), dot: ['n3#1', 1], sloppy: false, e: 1 };
    const peers = (fullOnes: readonly string[]) =>
      ({
        coordPut: async (node: string) => {
          asked.push(node);
          return fullOnes.includes(node) ? fullReply : reply;
        },
      }) as unknown as ReplicaClient;
    const req = { key: encodeKey('k'), value: new Uint8Array([1]), contentType: 'text/plain', context: '', w: 2, pw: 0 };
    const written = await forwardWrite(peers(['n2']), targets, req, 'w1', 1000, () => 1);
    expect(asked).toEqual(['n2', 'n3']);
    expect(written.dot).toEqual({ actor: 'n3#1', counter: 1 });
    await expect(forwardWrite(peers(['n2', 'n3']), targets, req, 'w2', 1000, () => 1)).rejects.toMatchObject({ code: 'INSUFFICIENT_STORAGE' });
    // any other answer from the coordinator is final: a timed-out or failed write may have been applied
    const quorum = { coordPut: async () => ({ err: { code: 'QUORUM_NOT_MET', message: 'no', details: {} } }) } as unknown as ReplicaClient;
    await expect(forwardWrite(quorum, targets, req, 'w3', 1000, () => 1)).rejects.toMatchObject({ code: 'QUORUM_NOT_MET' });
  });
});
