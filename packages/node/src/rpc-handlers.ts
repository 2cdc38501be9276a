import { RingkvError, partitionOfKey, recordToWire, type PeerInfo, type RpcResult } from '@ringkv/core';
import { CorruptRecordError } from '@ringkv/storage';
import { AE_OPS, parseEntriesBody, parsePartitionBody, parseSegmentsBody, parseStrayCopiesBody, parseSyncBody } from './anti-entropy-ops.js';
import type { AntiEntropy } from './anti-entropy.js';
import type { ClusterView } from './cluster-view.js';
import type { Coordinator } from './coordinator.js';
import { storeRefusal } from './http-errors.js';
import type { Logger } from './logger.js';
import type { MemberGossip } from './member-gossip.js';
import type { Recovery } from './recovery.js';
import type { ReplicaService } from './replica-service.js';
import { RPC_OPS, parseCoordIncr, parseCoordPut, parseMembersExchange, parseReplicaGet, parseReplicaPut, parseReplicaPutBatch } from './rpc-ops.js';
import { encodeForwardReply, type CoordPutReply } from './write-forwarding.js';
import { WriteDedupe } from './write-dedupe.js';
import { encodeIncrementReply, type CoordIncrReply } from './counter-forwarding.js';

export interface RpcHandlerDeps {
  readonly view: ClusterView;
  readonly replica: ReplicaService;
  readonly coordinator: Coordinator;
  readonly gossip: MemberGossip;
  readonly antiEntropy: AntiEntropy;
  readonly recovery: Recovery;
  /** how long forwarded writes are remembered by request id */
  readonly dedupeKeepMs: number;
  readonly now: () => number;
  readonly partitionCount: number;
  readonly logger: Logger;
}

const badRequest = (op: string, why = 'malformed body'): RpcResult => ({ ok: false, code: 'BAD_REQUEST', message: `${op}: ${why}` });

/** Parses a body, turning a record-format error into undefined-with-reason. */
function parse<T>(op: string, fn: () => T | undefined): T | RpcResult {
  try {
    return fn() ?? badRequest(op);
  } catch (err) {
    return badRequest(op, (err as Error).message);
  }
}

const isResult = (x: unknown): x is RpcResult => typeof x === 'object' && x !== null && 'ok' in x && (x as RpcResult).ok === false;

/**
 * The reply a forwarder gets when coordinating here failed: the coordinator's
 * error (a full disk as INSUFFICIENT_STORAGE, a store LevelDB stopped as
 * STORE_DAMAGED, so the forwarder tries the next replica); anything else is
 * an internal error, rethrown.
 */
function coordinatorError(err: unknown): { readonly err: { readonly code: string; readonly message: string; readonly details: Record<string, unknown> } } {
  const e = storeRefusal(err) ?? err;
  if (!(e instanceof RingkvError)) throw err;
  return { err: { code: e.code, message: e.message, details: { ...e.details } } };
}

/** Dispatches one inter-node request to the service that owns it. */
export function makeRpcHandler(deps: RpcHandlerDeps): (from: PeerInfo, op: string, body: unknown) => Promise<RpcResult> {
  const dedupe = new WriteDedupe<CoordPutReply>(deps.dedupeKeepMs);
  const incrDedupe = new WriteDedupe<CoordIncrReply>(deps.dedupeKeepMs);
  const { replica, coordinator, gossip, antiEntropy } = deps;
  const ae = async (op: string, parsed: Parameters<AntiEntropy['serve']>[1] | RpcResult): Promise<RpcResult> => {
    if (isResult(parsed)) return parsed;
    return { ok: true, body: await antiEntropy.serve(op, parsed) };
  };
  const dispatch = async (from: PeerInfo, op: string, body: unknown): Promise<RpcResult> => {
    switch (op) {
      case RPC_OPS.replicaGet: {
        const b = parse(op, () => parseReplicaGet(body));
        if (isResult(b)) return b;
        if (deps.recovery.active && b.h === undefined && b.repair !== true) {
          return { ok: false, code: 'RECOVERING', message: 'this replica lost its data and is resynchronising; ask another' };
        }
        if (b.h === undefined && b.repair !== true && deps.recovery.unsettled(b.e ?? 0, deps.view.ringState.epoch)) {
          return { ok: false, code: 'RECOVERING', message: 'this replica has a new store and has not yet learnt the committed ring; ask another' };
        }
        if (b.h === undefined && b.repair !== true && deps.view.ringState.epoch > 0 && !deps.view.preferenceList(b.p).includes(deps.view.self.id)) {
          // Our ring says we no longer replicate this partition: our "not found" would mislead a stale coordinator.
          return { ok: false, code: 'NOT_REPLICA', message: `not a replica of partition ${b.p} in ring epoch ${deps.view.ringState.epoch}` };
        }
        if (b.h === undefined && b.raw === true) return { ok: true, body: { raw: (await replica.readBytes(b.p, b.k)) ?? null } };
        const rec = b.h === undefined ? await replica.read(b.p, b.k) : (await replica.readHint(b.p, b.k))?.record;
        return { ok: true, body: { rec: rec === undefined ? null : recordToWire(rec) } };
      }
      case RPC_OPS.replicaPut: {
        const b = parse(op, () => parseReplicaPut(body));
        if (isResult(b)) return b;
        if (b.h === undefined) await replica.merge(b.p, b.k, b.rec, b.s === true);
        else await replica.mergeHint(b.p, b.k, b.rec, b.h, b.s === true);
        return { ok: true, body: {} };
      }
      case RPC_OPS.replicaPutBatch: {
        const b = parse(op, () => parseReplicaPutBatch(body));
        if (isResult(b)) return b;
        await Promise.all(b.items.map((i) => replica.merge(i.p, i.k, i.rec)));
        return { ok: true, body: { merged: b.items.length } };
      }
      case RPC_OPS.coordPut: {
        const b = parse(op, () => parseCoordPut(body));
        if (isResult(b)) return b;
        const partition = partitionOfKey(b.k, deps.partitionCount);
        const reply = await dedupe.run(`${from.nodeId}/${b.rid}`, deps.now(), async (): Promise<CoordPutReply> => {
          try {
            const req = {
              key: b.k,
              value: b.v,
              contentType: b.ct,
              context: b.ctx,
              w: b.w,
              pw: b.pw,
              ...(b.dw !== undefined && { dw: b.dw }),
              ...(b.ttl !== undefined && { ttlMs: b.ttl }),
            };
            const result = await coordinator.coordinateWrite(partition, req);
            return encodeForwardReply(result, deps.view.ringState.epoch);
          } catch (err) {
            return coordinatorError(err);
          }
        });
        return { ok: true, body: reply };
      }
      case RPC_OPS.coordIncr: {
        const b = parse(op, () => parseCoordIncr(body));
        if (isResult(b)) return b;
        const partition = partitionOfKey(b.k, deps.partitionCount);
        // Exactly once per request id: a retried or duplicated forward gets the first answer.
        const reply = await incrDedupe.run(`${from.nodeId}/${b.rid}`, deps.now(), async (): Promise<CoordIncrReply> => {
          try {
            const req = { key: b.k, delta: b.d, ttlMs: b.ttl, w: b.w, pw: b.pw, ...(b.dw !== undefined && { dw: b.dw }) };
            const result = await coordinator.coordinateIncrement(partition, req);
            return encodeIncrementReply(result, deps.view.ringState.epoch);
          } catch (err) {
            return coordinatorError(err);
          }
        });
        return { ok: true, body: reply };
      }
      case RPC_OPS.membersExchange: {
        const b = parse(op, () => parseMembersExchange(body));
        if (isResult(b)) return b;
        const knewYou = gossip.knewOlder(b.entries, from.nodeId);
        gossip.receive(b.entries, b.ring);
        return { ok: true, body: { ...gossip.outgoing(), knewYou } };
      }
      case RPC_OPS.ringVersion: {
        const r = deps.view.ringState;
        return { ok: true, body: { epoch: r.epoch, author: r.author, done: r.done.length } };
      }
      case AE_OPS.top:
        return ae(op, parse(op, () => parsePartitionBody(body)));
      case AE_OPS.hintsAny:
        return ae(op, parse(op, () => parseStrayCopiesBody(body)));
      case AE_OPS.segments:
        return ae(op, parse(op, () => parseSegmentsBody(body)));
      case AE_OPS.entries:
        return ae(op, parse(op, () => parseEntriesBody(body)));
      case AE_OPS.sync:
        return ae(op, parse(op, () => parseSyncBody(body)));
      default:
        return { ok: false, code: 'UNKNOWN_OP', message: `unknown operation ${op.slice(0, 64)}` };
    }
  };
  // A write refused by a full disk (or a store LevelDB stopped) stored nothing here: say so by its own code rather than as an
  // internal error, so the caller's log names the cause (it uses a stand-in either way).
  // A copy this replica found corrupt is refused as such (the coordinator asks another replica).
  return (from, op, body) =>
    dispatch(from, op, body).catch((err: unknown) => {
      if (err instanceof CorruptRecordError) return { ok: false, code: err.code, message: err.message };
      const e = storeRefusal(err);
      if (e === undefined) throw err;
      return { ok: false, code: e.code, message: e.message };
    });
}
