import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { once } from 'node:events';

/** What a workload client does to a key. */
export type ClientOp = 'get' | 'put' | 'delete';
/** What the fault loop does to a node (more kinds join as issue 6 adds faults). */
export const FAULT_OPS = ['kill', 'restart', 'pause', 'resume', 'wipe', 'corrupt', 'partition', 'isolate', 'bridge', 'heal', 'degrade', 'clock', 'clock-back'] as const;
export type FaultOp = (typeof FAULT_OPS)[number];

/**
 * Jepsen's phases: `info` is "maybe applied" (a write that timed out, lost its
 * connection after sending, or got a 503 after some replica may have stored it).
 * `fail` is "certainly not applied" (refused connection, 4xx).
 */
export type Phase = 'invoke' | 'ok' | 'fail' | 'info';

/**
 * One line of the history file. Each client has at most one operation in
 * flight, so an invoke is completed by the next event of the same client.
 */
export interface HistoryEvent {
  /** milliseconds since the run started */
  readonly t: number;
  /** a workload client's number; `final-<i>` for the readers after healing; `nemesis` for faults */
  readonly client: number | string;
  readonly op: ClientOp | FaultOp;
  /** the node the request went to (its coordinator), or the node a fault hit */
  readonly node: string;
  readonly phase: Phase;
  readonly key?: string;
  /** put: the unique value written; delete: a unique id for its tombstone */
  readonly value?: string;
  /** get ok: every live value read (all siblings); [] for 404 */
  readonly values?: readonly string[];
  /** invoke: the X-Context sent (absent = none); ok: the X-Context returned */
  readonly ctx?: string;
  /** the HTTP status, when there was an answer */
  readonly status?: number;
  /** why it failed: an error code such as QUORUM_NOT_MET or ECONNREFUSED */
  readonly error?: string;
  /** faults: the process id signalled or started */
  readonly pid?: number;
  /** network faults (partition, isolate, bridge): the node ids of each side; `node` then describes the cut */
  readonly groups?: readonly (readonly string[])[];
  /** degrade: the delay/loss/… applied; clock, clock-back: the offsets before and after the jump; corrupt: the bit flipped, where */
  readonly detail?: string;
}

export const NEMESIS = 'nemesis';
export const FINAL_CLIENT_PREFIX = 'final-';

export function isWorkloadClient(client: number | string): client is number {
  return typeof client === 'number';
}

export function isFinalReader(client: number | string): boolean {
  return typeof client === 'string' && client.startsWith(FINAL_CLIENT_PREFIX);
}

/**
 * Keeps the history in memory (for the checker) and appends it to a JSONL
 * file as it happens, so a run that crashes half-way still leaves its history.
 */
export class HistoryRecorder {
  readonly events: HistoryEvent[] = [];
  private readonly out: WriteStream | undefined;
  private readonly startedAt: number;

  constructor(
    file: string | undefined,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.startedAt = now();
    this.out = file === undefined ? undefined : createWriteStream(file, { flags: 'w' });
  }

  /** Milliseconds since the recorder was created, to 0.1 ms. */
  elapsedMs(): number {
    return Math.round((this.now() - this.startedAt) * 10) / 10;
  }

  /** Adds an event stamped with the current time and returns it. */
  record(event: Omit<HistoryEvent, 't'>): HistoryEvent {
    const full: HistoryEvent = { t: this.elapsedMs(), ...event };
    this.events.push(full);
    this.out?.write(`${JSON.stringify(full)}\n`);
    return full;
  }

  /** Flushes and closes the file; later calls wait for the same close. */
  close(): Promise<void> {
    this.closing ??= this.out === undefined ? Promise.resolve() : (this.out.end(), once(this.out, 'close').then(() => undefined));
    return this.closing;
  }

  private closing: Promise<void> | undefined;
}

/** Reads a history file, rejecting lines that are not events (with their line numbers). */
export async function readHistoryFile(file: string): Promise<HistoryEvent[]> {
  return parseHistory(await readFile(file, 'utf8'));
}

export function parseHistory(text: string): HistoryEvent[] {
  const events: HistoryEvent[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      throw new Error(`history line ${i + 1}: not JSON`);
    }
    const problem = eventProblem(parsed);
    if (problem !== undefined) throw new Error(`history line ${i + 1}: ${problem}`);
    events.push(parsed as HistoryEvent);
  });
  return events;
}

// One list with FaultOp: a fault op missing here made --check reject the histories of runs with it.
const OPS: ReadonlySet<string> = new Set(['get', 'put', 'delete', ...FAULT_OPS]);
const PHASES: ReadonlySet<string> = new Set(['invoke', 'ok', 'fail', 'info']);

function eventProblem(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not an object';
  const e = v as Record<string, unknown>;
  if (typeof e['t'] !== 'number' || !Number.isFinite(e['t'])) return 't must be a number';
  if (typeof e['client'] !== 'number' && typeof e['client'] !== 'string') return 'client must be a number or a string';
  if (typeof e['op'] !== 'string' || !OPS.has(e['op'])) return `unknown op ${JSON.stringify(e['op'])}`;
  if (typeof e['phase'] !== 'string' || !PHASES.has(e['phase'])) return `unknown phase ${JSON.stringify(e['phase'])}`;
  if (typeof e['node'] !== 'string') return 'node must be a string';
  for (const f of ['key', 'value', 'ctx', 'error'] as const) {
    if (e[f] !== undefined && typeof e[f] !== 'string') return `${f} must be a string`;
  }
  if (e['values'] !== undefined && !(Array.isArray(e['values']) && e['values'].every((x) => typeof x === 'string'))) {
    return 'values must be a list of strings';
  }
  return undefined;
}

/** An operation: its invoke and the event that completed it (undefined while in flight or never answered). */
export interface PairedOp {
  readonly invoke: HistoryEvent;
  readonly done: HistoryEvent | undefined;
}

/**
 * Pairs every invoke with the next event of the same client. A second invoke
 * before a completion is a malformed history; it is returned in `problems`.
 */
export function pairOps(events: readonly HistoryEvent[]): { ops: PairedOp[]; problems: string[] } {
  const ops: PairedOp[] = [];
  const problems: string[] = [];
  const open = new Map<number | string, number>();
  for (const e of events) {
    const slot = open.get(e.client);
    if (e.phase === 'invoke') {
      if (slot !== undefined) problems.push(`client ${e.client} invoked ${e.op} at ${e.t} ms with an operation still open`);
      open.set(e.client, ops.length);
      ops.push({ invoke: e, done: undefined });
      continue;
    }
    const op = slot === undefined ? undefined : ops[slot];
    if (slot === undefined || op === undefined) {
      problems.push(`client ${e.client}: ${e.phase} of ${e.op} at ${e.t} ms without an invoke`);
      continue;
    }
    if (op.invoke.op !== e.op) problems.push(`client ${e.client}: ${e.op} ${e.phase} at ${e.t} ms completes a ${op.invoke.op}`);
    ops[slot] = { invoke: op.invoke, done: e };
    open.delete(e.client);
  }
  return { ops, problems };
}

/** A history time for log lines: "t= 12.3s". */
export function fmtT(ms: number): string {
  return `t=${(ms / 1000).toFixed(1).padStart(5)}s`;
}
