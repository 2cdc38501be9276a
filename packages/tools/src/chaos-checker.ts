import { isFinalReader, isWorkloadClient, type HistoryEvent, type Phase } from './chaos-history.js';

/**
 * The chaos checker: pure, over a history alone (no cluster, no decoding of
 * contexts). What a context covers is tracked from what the client saw: a GET's
 * context covers the values it returned; a PUT's returned context covers the
 * context sent plus the value written; a DELETE's covers the context sent plus
 * its tombstone. Equal context strings are equal sets of versions, so what one
 * event proves a context string covers holds wherever that string is sent
 * for the same key (on another key the same string names other versions).
 *
 * A DELETE sent without a context is the server's "delete what a read finds
 * now" (Riak's semantics): it covers whatever its internal read saw, which the
 * history cannot tell. It is taken to have *possibly* covered every value of
 * the key written before it completed (so it excuses their absence), and to
 * have *certainly* covered nothing (so it never makes a key due to be 404).
 * The workload does not send such deletes, to keep the check sharp.
 *
 * Properties (after healing, on the last read of every key with R = N):
 * - lost write: an acknowledged PUT's value is neither read at the end nor
 *   superseded — no write that may have been applied (ok, info, unanswered)
 *   was sent with a context covering it;
 * - deleted key resurrected: every value a key may hold was certainly
 *   superseded by an acknowledged delete (directly or through acknowledged
 *   writes that were superseded in turn), yet the key is not 404;
 * - superseded value back: a value certainly superseded is read at the end;
 * - phantom: a read returned a value no one wrote, or whose write certainly failed;
 * - unreadable key: no final read answered, so nothing about it could be checked.
 */

export type ViolationKind = 'lost-write' | 'resurrected-key' | 'superseded-value-back' | 'phantom-value' | 'unreadable-key';

export interface Violation {
  readonly kind: ViolationKind;
  readonly key: string;
  readonly value?: string;
  readonly detail: string;
}

export interface CheckResult {
  /** true when there is no violation and the history is well-formed */
  readonly ok: boolean;
  /** keys any workload operation touched */
  readonly keys: number;
  readonly puts: {
    /** PUTs acknowledged (204): each is checked */
    readonly acked: number;
    /** …read at the end */
    readonly ackedPresent: number;
    /** …not read at the end, legitimately: a later write's context covered them */
    readonly ackedSuperseded: number;
    readonly lost: number;
    /** PUTs whose outcome is unknown (timeout, 503, dropped connection): may or may not be there */
    readonly unknown: number;
    readonly unknownPresent: number;
    /** PUTs that certainly did not happen (refused connection, 4xx) */
    readonly failed: number;
  };
  readonly deletes: { readonly acked: number; readonly unknown: number; readonly failed: number };
  /** keys that must read 404 at the end, because every value they may hold was deleted */
  readonly keysDeleted: number;
  readonly violations: readonly Violation[];
  /** keys whose two final reads differed (read repair still settling): a hint, not a violation */
  readonly changedBetweenFinalReads: readonly string[];
  /** malformed history: unpaired events, contexts of unknown origin */
  readonly problems: readonly string[];
}

/** One PUT or DELETE as the checker sees it. */
interface Write {
  readonly kind: 'put' | 'delete';
  readonly client: number;
  readonly key: string;
  /** the PUT's value, or the DELETE's tombstone id */
  readonly id: string;
  readonly node: string;
  readonly invokedAt: number;
  readonly contextSent: string | undefined;
  /** what the context sent with it covered */
  readonly covers: Coverage;
  outcome: Phase | 'pending';
  completedAt: number | undefined;
}

/**
 * What a context covers: `values` for certain; with `anyBefore`, possibly also
 * any value of the key whose write was invoked before that time (the read
 * inside a DELETE sent without a context).
 */
interface Coverage {
  readonly values: ReadonlySet<string>;
  readonly anyBefore: number | undefined;
}

const nothing: Coverage = { values: new Set(), anyBefore: undefined };

function joinCoverage(a: Coverage | undefined, b: Coverage): Coverage {
  if (a === undefined) return b;
  const anyBefore = a.anyBefore === undefined ? b.anyBefore : b.anyBefore === undefined ? a.anyBefore : Math.max(a.anyBefore, b.anyBefore);
  return { values: new Set([...a.values, ...b.values]), anyBefore };
}

interface OpenOp {
  readonly invoke: HistoryEvent;
  readonly write: Write | undefined;
}

const stateKey = (a: number | string, b: string): string => `${a}\u0000${b}`;

export function checkHistory(events: readonly HistoryEvent[]): CheckResult {
  const problems: string[] = [];
  const writes: Write[] = [];
  const writeById = new Map<string, Write>();
  /** (key, context string) → what it is known to cover; the same string on another key is another set of versions */
  const coverage = new Map<string, Coverage>();
  /** (client, key) → the context the client holds for the key, as its last answered op left it */
  const held = new Map<string, string | undefined>();
  const open = new Map<number | string, OpenOp>();
  const keys = new Set<string>();
  /** every live value any GET returned, with where, to find phantoms */
  const reads: { readonly key: string; readonly value: string; readonly e: HistoryEvent }[] = [];
  /** key → values of its final reads in order */
  const finalReads = new Map<string, (readonly string[])[]>();

  const learn = (key: string, ctx: string | undefined, c: Coverage): void => {
    if (ctx === undefined || ctx === '') return;
    const k = stateKey(key, ctx);
    coverage.set(k, joinCoverage(coverage.get(k), c));
  };

  for (const e of events) {
    if (e.op !== 'get' && e.op !== 'put' && e.op !== 'delete') continue;
    const workload = isWorkloadClient(e.client);
    if (!workload && !isFinalReader(e.client)) continue;
    const key = e.key ?? '';
    if (e.phase === 'invoke') {
      if (open.has(e.client)) problems.push(`client ${e.client} invoked ${e.op} ${key} at ${e.t} ms with an operation still open`);
      if (workload) keys.add(key);
      let write: Write | undefined;
      if (e.op !== 'get' && workload) {
        const id = e.value ?? '';
        let covers = nothing;
        if (e.ctx !== undefined && e.ctx !== '') {
          const known = coverage.get(stateKey(key, e.ctx));
          if (known === undefined) {
            problems.push(`client ${e.client} sent ${e.op} ${key} at ${e.t} ms with a context no earlier answer returned`);
          } else {
            covers = known;
          }
          if (held.get(stateKey(e.client, key)) !== e.ctx && known !== undefined) {
            // Legitimate (equal contexts are equal versions) but not how our workload behaves: worth knowing.
            problems.push(`client ${e.client} sent ${e.op} ${key} at ${e.t} ms with a context it did not hold for that key`);
          }
        }
        if (id === '') problems.push(`client ${e.client}: ${e.op} ${key} at ${e.t} ms without a value id`);
        if (writeById.has(id)) problems.push(`value ${id} written twice (values must be unique)`);
        write = {
          kind: e.op,
          client: e.client as number,
          key,
          id,
          node: e.node,
          invokedAt: e.t,
          contextSent: e.ctx === '' ? undefined : e.ctx,
          covers,
          outcome: 'pending',
          completedAt: undefined,
        };
        writes.push(write);
        writeById.set(id, write);
      }
      open.set(e.client, { invoke: e, write });
      continue;
    }
    const op = open.get(e.client);
    if (op === undefined) {
      problems.push(`client ${e.client}: ${e.phase} of ${e.op} at ${e.t} ms without an invoke`);
      continue;
    }
    open.delete(e.client);
    if (op.invoke.op !== e.op || (op.invoke.key ?? '') !== key) {
      problems.push(`client ${e.client}: ${e.op} ${key} ${e.phase} at ${e.t} ms completes ${op.invoke.op} ${op.invoke.key ?? ''}`);
      continue;
    }
    if (e.op === 'get') {
      if (e.phase !== 'ok') continue;
      const values = e.values ?? [];
      for (const value of values) reads.push({ key, value, e });
      learn(key, e.ctx, { values: new Set(values), anyBefore: undefined });
      if (workload) {
        held.set(stateKey(e.client as number, key), e.ctx);
      } else {
        const list = finalReads.get(key) ?? [];
        list.push(values);
        finalReads.set(key, list);
      }
      continue;
    }
    const w = op.write;
    if (w === undefined) continue;
    w.outcome = e.phase;
    w.completedAt = e.t;
    if (e.phase === 'ok') {
      const blindDelete = w.kind === 'delete' && op.invoke.ctx === undefined;
      learn(key, e.ctx, joinCoverage(w.covers, { values: new Set([w.id]), anyBefore: blindDelete ? e.t : undefined }));
      held.set(stateKey(w.client, key), e.ctx);
    } else {
      // The client cannot know what it holds now; it forgets the context (the workload does the same).
      held.delete(stateKey(w.client, key));
    }
  }

  // Who covered each value for certain: the writes whose context covered it.
  const coveredBy = new Map<string, Write[]>();
  /** key → writes that possibly covered any value written before a time */
  const coveredBefore = new Map<string, { readonly w: Write; readonly before: number }[]>();
  for (const w of writes) {
    const blindDelete = w.kind === 'delete' && w.contextSent === undefined;
    const before = blindDelete ? (w.outcome === 'ok' ? (w.completedAt ?? Infinity) : Infinity) : w.covers.anyBefore;
    if (before !== undefined) {
      const list = coveredBefore.get(w.key) ?? [];
      list.push({ w, before });
      coveredBefore.set(w.key, list);
    }
    for (const v of w.covers.values) {
      const list = coveredBy.get(v) ?? [];
      list.push(w);
      coveredBy.set(v, list);
    }
  }
  const mayBeApplied = (w: Write): boolean => w.outcome !== 'fail';

  // A key is due to be empty when every value it may hold is *certainly* gone: covered by an
  // acknowledged delete, or by an acknowledged put whose own value is certainly gone. A cover
  // saw what it covers, so it was invoked later: walking the writes newest first settles every
  // cover before the values it covers, without recursion (chains run to thousands of writes).
  const gone = new Set<string>();
  for (const w of [...writes].sort((a, b) => b.invokedAt - a.invokedAt)) {
    if ((coveredBy.get(w.id) ?? []).some((x) => x.outcome === 'ok' && (x.kind === 'delete' || gone.has(x.id)))) gone.add(w.id);
  }
  const writesByKey = new Map<string, Write[]>();
  for (const w of writes) {
    const list = writesByKey.get(w.key) ?? [];
    list.push(w);
    writesByKey.set(w.key, list);
  }
  const ackedCover = (id: string): Write | undefined => (coveredBy.get(id) ?? []).find((w) => w.outcome === 'ok');

  const violations: Violation[] = [];
  const finalOf = new Map<string, ReadonlySet<string>>();
  const changed: string[] = [];
  for (const key of [...keys].sort()) {
    const list = finalReads.get(key);
    const last = list?.at(-1);
    if (list === undefined || last === undefined) {
      violations.push({ kind: 'unreadable-key', key, detail: 'no read with R = N answered after healing, so nothing about this key was checked' });
      continue;
    }
    finalOf.set(key, new Set(last));
    const prev = list.at(-2);
    if (prev !== undefined && [...prev].sort().join(',') !== [...last].sort().join(',')) changed.push(key);
  }

  let acked = 0;
  let ackedPresent = 0;
  let ackedSuperseded = 0;
  let lost = 0;
  let unknown = 0;
  let unknownPresent = 0;
  let failed = 0;
  const deletes = { acked: 0, unknown: 0, failed: 0 };
  for (const w of writes) {
    if (w.kind === 'delete') {
      if (w.outcome === 'ok') deletes.acked++;
      else if (w.outcome === 'fail') deletes.failed++;
      else deletes.unknown++;
      continue;
    }
    const final = finalOf.get(w.key);
    const present = final?.has(w.id) === true;
    if (w.outcome === 'fail') {
      failed++;
      continue;
    }
    if (w.outcome !== 'ok') {
      unknown++;
      if (present) unknownPresent++;
      continue;
    }
    acked++;
    if (final === undefined) continue; // reported as an unreadable key
    if (present) {
      ackedPresent++;
      continue;
    }
    const cover =
      (coveredBy.get(w.id) ?? []).find(mayBeApplied) ??
      (coveredBefore.get(w.key) ?? []).find((c) => c.w !== w && mayBeApplied(c.w) && w.invokedAt < c.before)?.w;
    if (cover !== undefined) {
      ackedSuperseded++;
      continue;
    }
    lost++;
    violations.push({
      kind: 'lost-write',
      key: w.key,
      value: w.id,
      detail:
        `PUT ${w.id} by client ${w.client} via ${w.node} (invoked ${fmtMs(w.invokedAt)}, acknowledged ${fmtMs(w.completedAt)}) ` +
        `is not among the final values [${[...final].join(', ')}] and no write's context covered it`,
    });
  }

  let keysDeleted = 0;
  for (const [key, final] of finalOf) {
    const keyWrites = writesByKey.get(key) ?? [];
    if (!keyWrites.some((w) => w.kind === 'delete' && w.outcome === 'ok')) continue;
    const candidates = keyWrites.filter((w) => w.kind === 'put' && mayBeApplied(w));
    if (!candidates.every((w) => gone.has(w.id))) continue;
    keysDeleted++;
    if (final.size > 0) {
      violations.push({
        kind: 'resurrected-key',
        key,
        detail: `every value ever written was superseded by an acknowledged delete, but the key reads [${[...final].join(', ')}]`,
      });
    }
  }

  for (const [key, final] of finalOf) {
    for (const v of final) {
      const cover = ackedCover(v);
      if (cover === undefined) continue;
      violations.push({
        kind: 'superseded-value-back',
        key,
        value: v,
        detail: `${v} was superseded by ${cover.kind.toUpperCase()} ${cover.id} of client ${cover.client} (acknowledged ${fmtMs(cover.completedAt)}) but is read at the end`,
      });
    }
  }

  const phantomSeen = new Set<string>();
  for (const r of reads) {
    const w = writeById.get(r.value);
    const why = w === undefined || w.kind !== 'put' ? 'no PUT wrote it' : w.key !== r.key ? `it was written to ${w.key}` : w.outcome === 'fail' ? 'its PUT certainly failed' : undefined;
    if (why === undefined || phantomSeen.has(`${r.key}\u0000${r.value}`)) continue;
    phantomSeen.add(`${r.key}\u0000${r.value}`);
    violations.push({ kind: 'phantom-value', key: r.key, value: r.value, detail: `client ${r.e.client} read ${r.value} at ${fmtMs(r.e.t)} via ${r.e.node}, but ${why}` });
  }

  for (const [client, op] of open) {
    if (isWorkloadClient(client)) continue;
    problems.push(`final reader ${client} never finished its read of ${op.invoke.key ?? ''}`);
  }

  return {
    ok: violations.length === 0 && problems.length === 0,
    keys: keys.size,
    puts: { acked, ackedPresent, ackedSuperseded, lost, unknown, unknownPresent, failed },
    deletes,
    keysDeleted,
    violations,
    changedBetweenFinalReads: changed,
    problems,
  };
}

function fmtMs(ms: number | undefined): string {
  return ms === undefined ? '?' : `t=${(ms / 1000).toFixed(3)}s`;
}
