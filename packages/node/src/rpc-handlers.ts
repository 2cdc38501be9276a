import { RingkvError, partitionOfKey, recordToWire, type PeerInfo, type RpcResult } from '@ringkv/core';
import type { ClusterView } from './cluster-view.js';
import { encodeForwardReply, type Coordinator, type CoordPutReply } from './coordinator.js';
import type { Logger } from './logger.js';
import type { ReplicaService } from './replica-service.js';
import { RPC_OPS, parseCoordPut, parseMembersExchange, parseReplicaGet, parseReplicaPut } from './rpc-ops.js';

export interface RpcHandlerDeps {
  readonly view: ClusterView;
  readonly replica: ReplicaService;
  readonly coordinator: Coordinator;
  readonly logger: Logger;
}

const badRequest = (op: string): RpcResult => ({ ok: false, code: 'BAD_REQUEST', message: `malformed ${op} body` });

/** Dispatches one inter-node request to the service that owns it. */
export function makeRpcHandler(deps: RpcHandlerDeps): (from: PeerInfo, op: string, body: unknown) => Promise<RpcResult> {
  const { view, replica, coordinator } = deps;
  return async (_from, op, body) => {
    switch (op) {
      case RPC_OPS.replicaGet: {
        const b = parseReplicaGet(body);
        if (b === undefined) return badRequest(op);
        const rec = await replica.read(b.p, b.k);
        return { ok: true, body: { rec: rec === undefined ? null : recordToWire(rec) } };
      }
      case RPC_OPS.replicaPut: {
        let b;
        try {
          b = parseReplicaPut(body);
        } catch (err) {
          return { ok: false, code: 'BAD_REQUEST', message: `invalid record: ${(err as Error).message}` };
        }
        if (b === undefined) return badRequest(op);
        await replica.merge(b.p, b.k, b.rec);
        return { ok: true, body: {} };
      }
      case RPC_OPS.coordPut: {
        const b = parseCoordPut(body);
        if (b === undefined) return badRequest(op);
        const partition = partitionOfKey(b.k, view.params.partitionCount);
        let reply: CoordPutReply;
        try {
          const result = await coordinator.coordinateWrite(partition, { key: b.k, value: b.v, contentType: b.ct, context: b.ctx, w: b.w });
          reply = encodeForwardReply(result);
        } catch (err) {
          if (!(err instanceof RingkvError)) throw err;
          reply = { err: { code: err.code, message: err.message, details: { ...err.details } } };
        }
        return { ok: true, body: reply };
      }
      case RPC_OPS.membersExchange: {
        const b = parseMembersExchange(body);
        if (b === undefined) return badRequest(op);
        view.learn(b.members);
        return { ok: true, body: { members: [...view.members.values()] } };
      }
      default:
        return { ok: false, code: 'UNKNOWN_OP', message: `unknown operation ${op.slice(0, 64)}` };
    }
  };
}
