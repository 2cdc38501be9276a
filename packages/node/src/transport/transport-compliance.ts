/**
 * The behaviour every `Transport` must show, as one vitest suite run against
 * each implementation (TCP here, the simulator's network elsewhere), in the
 * manner of abstract-level's compliance tests. Imported only by tests.
 */
import type { PeerInfo, RpcHandler, RpcResult, Transport } from '@ringkv/core';
import { TransportError } from '@ringkv/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

export interface TransportUnderTest extends Transport {
  /** The address peers send to; valid once `listen` has resolved. */
  address(): string;
}

export interface TransportPair {
  /** The client side in these tests; it need not listen. */
  readonly a: TransportUnderTest;
  /** The server side; the suite calls `b.listen`. */
  readonly b: TransportUnderTest;
  /** The nodeId `b`'s handler must see as `from` for requests from `a`. */
  readonly aNodeId: string;
  /**
   * A new transport for `b`'s node that will listen on the same address as
   * the current `b`, which the suite has already closed. `cleanup` must
   * close it too.
   */
  restartB(): Promise<TransportUnderTest>;
  /** Closes everything, including transports the suite already closed. */
  cleanup(): Promise<void>;
}

const requestTimeoutMs = 2000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function transportErrorOf(promise: Promise<unknown>): Promise<TransportError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TransportError) return error;
    throw error;
  }
  throw new Error('expected the request to reject with a TransportError');
}

/**
 * A handler with a few ops the tests drive: `echo` answers with who asked
 * and what was sent, `fail` answers an error result, `throw` throws, `hang`
 * never answers, and `delay` answers after `body.ms`.
 */
function testHandler(): RpcHandler {
  return async (from: PeerInfo, op: string, body: unknown): Promise<RpcResult> => {
    switch (op) {
      case 'echo':
        return { ok: true, body: { from: from.nodeId, body } };
      case 'fail':
        return { ok: false, code: 'NOT_FOUND', message: 'no such thing' };
      case 'throw':
        throw new Error('handler blew up');
      case 'hang':
        return new Promise<RpcResult>(() => {});
      case 'delay': {
        const { ms, tag } = body as { ms: number; tag: unknown };
        await sleep(ms);
        return { ok: true, body: tag };
      }
      default:
        return { ok: false, code: 'UNKNOWN_OP', message: op };
    }
  };
}

export function transportComplianceSuite(name: string, makePair: () => Promise<TransportPair>): void {
  describe(`Transport compliance: ${name}`, () => {
    let pair: TransportPair | undefined;

    beforeEach(async () => {
      pair = await makePair();
    });

    afterEach(async () => {
      const done = pair;
      pair = undefined;
      await done?.cleanup();
    });

    function current(): TransportPair {
      if (pair === undefined) throw new Error('no transport pair');
      return pair;
    }

    it('round-trips a request, binary bodies as bytes, with the caller as `from`', async () => {
      const { a, b, aNodeId } = current();
      await b.listen(testHandler());
      const bytes = new Uint8Array([0, 1, 2, 127, 128, 255]);
      const result = await a.request(b.address(), 'echo', { bytes, n: 42, s: 'héllo', list: [null, true] }, requestTimeoutMs);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      const answer = result.body as { from: string; body: { bytes: unknown; n: number; s: string; list: unknown[] } };
      expect(answer.from).toBe(aNodeId);
      expect(answer.body.bytes).toBeInstanceOf(Uint8Array);
      expect([...(answer.body.bytes as Uint8Array)]).toEqual([...bytes]);
      expect(answer.body.n).toBe(42);
      expect(answer.body.s).toBe('héllo');
      expect(answer.body.list).toEqual([null, true]);
    });

    it('delivers a handler error result with its code', async () => {
      const { a, b } = current();
      await b.listen(testHandler());
      expect(await a.request(b.address(), 'fail', null, requestTimeoutMs)).toEqual({
        ok: false,
        code: 'NOT_FOUND',
        message: 'no such thing',
      });
    });

    it('turns a throwing handler into an INTERNAL error result', async () => {
      const { a, b } = current();
      await b.listen(testHandler());
      const result = await a.request(b.address(), 'throw', null, requestTimeoutMs);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.code).toBe('INTERNAL');
    });

    it('matches concurrent requests to their responses when they finish out of order', async () => {
      const { a, b } = current();
      await b.listen(testHandler());
      const count = 200;
      const results = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          a.request(b.address(), 'delay', { ms: (i * 7) % 23, tag: i }, requestTimeoutMs),
        ),
      );
      expect(results).toEqual(Array.from({ length: count }, (_, i) => ({ ok: true, body: i })));
    });

    it('rejects with TIMEOUT when no answer comes in time, and ignores a late answer', async () => {
      const { a, b } = current();
      await b.listen(testHandler());
      const to = b.address();
      const startMs = Date.now();
      expect((await transportErrorOf(a.request(to, 'hang', null, 100))).code).toBe('TIMEOUT');
      expect(Date.now() - startMs).toBeGreaterThanOrEqual(90);
      expect((await transportErrorOf(a.request(to, 'delay', { ms: 150, tag: 'late' }, 30))).code).toBe('TIMEOUT');
      await sleep(200);
      expect(await a.request(to, 'delay', { ms: 1, tag: 'on time' }, requestTimeoutMs)).toEqual({
        ok: true,
        body: 'on time',
      });
    });

    it('rejects with UNREACHABLE when nothing listens at the address', async () => {
      const { a, b } = current();
      await b.listen(testHandler());
      const to = b.address();
      await b.close();
      expect((await transportErrorOf(a.request(to, 'echo', null, requestTimeoutMs))).code).toBe('UNREACHABLE');
    });

    it('reconnects once a closed peer is back on the same address', async () => {
      const { a, b, restartB } = current();
      await b.listen(testHandler());
      const to = b.address();
      expect((await a.request(to, 'echo', 1, requestTimeoutMs)).ok).toBe(true);

      await b.close();
      const whileDown = await transportErrorOf(a.request(to, 'echo', 2, requestTimeoutMs));
      expect(['CLOSED', 'UNREACHABLE']).toContain(whileDown.code);

      const restarted = await restartB();
      await restarted.listen(testHandler());
      expect(restarted.address()).toBe(to);
      // A transport may back off briefly after failed attempts; it must
      // recover well within a few seconds.
      const deadlineMs = Date.now() + 5000;
      let result: RpcResult | undefined;
      while (result === undefined) {
        try {
          result = await a.request(to, 'echo', 3, requestTimeoutMs);
        } catch (error) {
          if (!(error instanceof TransportError) || Date.now() > deadlineMs) throw error;
          await sleep(50);
        }
      }
      expect(result.ok).toBe(true);
    });

    it('rejects in-flight and later requests with CLOSED once closed', async () => {
      const { a, b } = current();
      await b.listen(testHandler());
      const inFlight = a.request(b.address(), 'hang', null, requestTimeoutMs);
      // Let the request get under way before closing.
      await sleep(20);
      await a.close();
      expect((await transportErrorOf(inFlight)).code).toBe('CLOSED');
      expect((await transportErrorOf(a.request(b.address(), 'echo', null, requestTimeoutMs))).code).toBe('CLOSED');
      await a.close(); // idempotent
    });
  });
}
