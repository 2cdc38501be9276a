/**
 * Sets of dots (actor, counter) — the causal histories behind sibling sets and
 * client contexts. Stored per actor as "every counter 1..max except some gap
 * ranges", because histories are almost always contiguous, while a context may
 * legitimately miss a few dots (the siblings it did not see) and may claim huge
 * counters; both stay O(number of gaps), never O(counter).
 *
 * Every function returns the canonical form, so equal sets are deep-equal:
 * no actor with max 0, gaps sorted, disjoint, non-adjacent, and below max.
 */

export interface Dot {
  readonly actor: string;
  readonly counter: number;
}

/** An inclusive range [from, to] of counters. */
export type CounterRange = readonly [number, number];

export interface Dots {
  /** per actor: the highest counter in the set */
  readonly max: Readonly<Record<string, number>>;
  /** per actor: sorted, disjoint, non-adjacent inclusive ranges [from,to] of counters ≤ max that are NOT in the set; actors without gaps are absent */
  readonly gaps: Readonly<Record<string, readonly CounterRange[]>>;
}

/** Actors are node ids plus a store epoch; anything longer is garbage. */
export const actorLengthMax = 256;

export function isValidCounter(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;
}

export function isValidActor(a: unknown): a is string {
  return typeof a === 'string' && a.length >= 1 && a.length <= actorLengthMax;
}

/**
 * Dot sets are objects keyed by actor, and actors decoded from bytes are fresh
 * strings (msgpackr often hands out slices of one string holding all of a
 * record's strings). V8 can only use a string as a property key after finding
 * its internalized twin, a runtime call of ≈ 0.7 µs for every new string
 * object (measured: decoding a one-actor record 1.8 µs, of which the key
 * stores and lookups were half). Actors are few — node ids times store
 * epochs — so decoders swap each one for an internalized copy kept in a
 * table. The table is bounded: hostile input with endless distinct actors
 * only empties it, and costs what it cost without the table. It changes no
 * result, only which equal string object is used.
 */
const canonicalActors = new Map<string, string>();
const canonicalActorsMax = 4096;

export function canonicalActor(actor: string): string {
  const known = canonicalActors.get(actor);
  if (known !== undefined) return known;
  if (canonicalActors.size >= canonicalActorsMax) canonicalActors.clear();
  // A property name is V8's internalized, flat copy; the decoded string may be a slice that would
  // keep all of its record's strings alive for as long as the table holds it.
  const internalized = Object.keys({ [actor]: 0 })[0] ?? actor;
  canonicalActors.set(internalized, internalized);
  return internalized;
}

function assertDot(dot: Dot): void {
  if (!isValidActor(dot.actor)) throw new RangeError(`invalid actor ${JSON.stringify(dot.actor)}`);
  if (!isValidCounter(dot.counter)) {
    throw new RangeError(`invalid counter ${String(dot.counter)} for actor ${dot.actor}: must be a positive safe integer`);
  }
}

/** Actor names come from the network ("__proto__" is a fine name), so only own keys count. */
function own<T>(rec: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

/** Code-unit order: locale-independent, so every node sorts the same way. */
export function compareActors(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function emptyDots(): Dots {
  return build(new Map());
}

export function dotsActors(d: Dots): string[] {
  return sortActors(Object.keys(d.max));
}

/**
 * Sorts in place with `compareActors`. Most sets hold one actor, and
 * `Array.prototype.sort` allocates its work array even for one element: on
 * the write path that was a tenth of the bytes a node allocated.
 */
function sortActors(actors: string[]): string[] {
  return actors.length < 2 ? actors : actors.sort(compareActors);
}

export function dotsMaxCounter(d: Dots, actor: string): number {
  return own(d.max, actor) ?? 0;
}

/** The counters of one actor that ARE in the set, as canonical ranges. */
function present(d: Dots, actor: string): CounterRange[] {
  const max = own(d.max, actor) ?? 0;
  if (max === 0) return [];
  const out: CounterRange[] = [];
  let next = 1;
  for (const [from, to] of own(d.gaps, actor) ?? []) {
    if (from > next) out.push([next, from - 1]);
    next = to + 1;
  }
  out.push([next, max]); // canonical gaps stop below max, so next ≤ max
  return out;
}

/** The complement of canonical present ranges within 1..max. */
function gapsOf(ranges: readonly CounterRange[]): CounterRange[] {
  const out: CounterRange[] = [];
  let next = 1;
  for (const [from, to] of ranges) {
    if (from > next) out.push([next, from - 1]);
    next = to + 1;
  }
  return out;
}

/** Sorts and coalesces overlapping or adjacent ranges. */
function normalize(ranges: readonly CounterRange[]): CounterRange[] {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [from, to] of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && from <= last[1] + 1) last[1] = Math.max(last[1], to);
    else out.push([from, to]);
  }
  return out;
}

/** Counters in `a` but not in `b`; both canonical. */
function subtract(a: readonly CounterRange[], b: readonly CounterRange[]): CounterRange[] {
  const out: CounterRange[] = [];
  let j = 0;
  for (const [start, to] of a) {
    let from = start;
    while (j < b.length && (b[j] as CounterRange)[1] < from) j++;
    // b's ranges are disjoint, so those overlapping [from, to] are consecutive from j
    for (let k = j; k < b.length && from <= to; k++) {
      const [bFrom, bTo] = b[k] as CounterRange;
      if (bFrom > to) break;
      if (bFrom > from) out.push([from, bFrom - 1]);
      from = Math.max(from, bTo + 1);
    }
    if (from <= to) out.push([from, to]);
  }
  return out;
}

/** Assembles the canonical object from per-actor present ranges. */
function build(perActor: ReadonlyMap<string, readonly CounterRange[]>): Dots {
  const max: Record<string, number> = Object.create(null) as Record<string, number>;
  const gaps: Record<string, readonly CounterRange[]> = Object.create(null) as Record<string, readonly CounterRange[]>;
  for (const actor of sortActors([...perActor.keys()])) {
    const ranges = perActor.get(actor) ?? [];
    const last = ranges[ranges.length - 1];
    if (last === undefined) continue;
    max[actor] = last[1];
    const g = gapsOf(ranges);
    if (g.length > 0) gaps[actor] = g;
  }
  return { max, gaps };
}

function perActor(d: Dots): Map<string, CounterRange[]> {
  return new Map(dotsActors(d).map((actor) => [actor, present(d, actor)]));
}

export function dotsHas(d: Dots, dot: Dot): boolean {
  const max = own(d.max, dot.actor) ?? 0;
  if (dot.counter < 1 || dot.counter > max) return false;
  const gaps = own(d.gaps, dot.actor) ?? [];
  // binary search for the last gap starting at or below the counter
  let lo = 0;
  let hi = gaps.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const [from, to] = gaps[mid] as CounterRange;
    if (dot.counter < from) hi = mid - 1;
    else if (dot.counter > to) lo = mid + 1;
    else return false;
  }
  return true;
}

export function dotsAdd(d: Dots, dot: Dot): Dots {
  assertDot(dot);
  if (dotsHas(d, dot)) return d;
  const ranges = perActor(d);
  ranges.set(dot.actor, normalize([...(ranges.get(dot.actor) ?? []), [dot.counter, dot.counter]]));
  return build(ranges);
}

/** Whether no actor of the set misses a counter below its max (the usual history). */
function gapless(d: Dots): boolean {
  for (const _ in d.gaps) return false;
  return true;
}

export function dotsUnion(a: Dots, b: Dots): Dots {
  // Histories and contexts are almost always gapless: then the union is the
  // per-actor max, without building range lists (a hot path of every write).
  if (gapless(a) && gapless(b)) {
    const max: Record<string, number> = Object.create(null) as Record<string, number>;
    const gaps: Record<string, readonly CounterRange[]> = Object.create(null) as Record<string, readonly CounterRange[]>;
    const actors = Object.keys(a.max);
    for (const actor of Object.keys(b.max)) if (own(a.max, actor) === undefined) actors.push(actor);
    for (const actor of sortActors(actors)) {
      max[actor] = Math.max(own(a.max, actor) ?? 0, own(b.max, actor) ?? 0);
    }
    return { max, gaps };
  }
  const ranges = perActor(a);
  for (const actor of dotsActors(b)) {
    ranges.set(actor, normalize([...(ranges.get(actor) ?? []), ...present(b, actor)]));
  }
  return build(ranges);
}

export function dotsRemove(d: Dots, dots: readonly Dot[]): Dots {
  const removed = new Map<string, CounterRange[]>();
  for (const dot of dots) {
    const list = removed.get(dot.actor) ?? [];
    list.push([dot.counter, dot.counter]);
    removed.set(dot.actor, list);
  }
  const ranges = perActor(d);
  for (const [actor, list] of removed) {
    const mine = ranges.get(actor);
    if (mine !== undefined) ranges.set(actor, subtract(mine, normalize(list)));
  }
  return build(ranges);
}

/** a ⊆ b */
export function dotsLeq(a: Dots, b: Dots): boolean {
  for (const actor of Object.keys(a.max)) {
    if (dotsMaxCounter(a, actor) > dotsMaxCounter(b, actor)) return false;
    if (subtract(present(a, actor), present(b, actor)).length > 0) return false;
  }
  return true;
}

export function dotsEqual(a: Dots, b: Dots): boolean {
  const actors = dotsActors(a);
  const others = dotsActors(b);
  if (actors.length !== others.length) return false;
  return actors.every((actor, i) => {
    if (others[i] !== actor || dotsMaxCounter(a, actor) !== dotsMaxCounter(b, actor)) return false;
    const ga = own(a.gaps, actor) ?? [];
    const gb = own(b.gaps, actor) ?? [];
    return ga.length === gb.length && ga.every(([f, t], k) => gb[k]?.[0] === f && gb[k]?.[1] === t);
  });
}

export function dotsFromVersionVector(vv: Readonly<Record<string, number>>): Dots {
  const ranges = new Map<string, CounterRange[]>();
  for (const [actor, max] of Object.entries(vv)) {
    if (max === 0) continue;
    assertDot({ actor, counter: max });
    ranges.set(actor, [[1, max]]);
  }
  return build(ranges);
}

/** Number of gap ranges over all actors: the size of the set's representation, for limits. */
export function dotsGapCount(d: Dots): number {
  return Object.values(d.gaps).reduce((n, g) => n + g.length, 0);
}

/** Number of dots in the set (can exceed what an array could hold). */
export function dotsCount(d: Dots): number {
  let n = 0;
  for (const actor of Object.keys(d.max)) {
    n += dotsMaxCounter(d, actor);
    for (const [from, to] of own(d.gaps, actor) ?? []) n -= to - from + 1;
  }
  return n;
}

// ---- wire form, shared by the record and context codecs -------------------

/** One actor: [actor, max] or [actor, max, [gapFrom, gapTo, gapFrom, gapTo, …]]. Sorted by actor. */
export type DotsWireEntry = readonly [string, number] | readonly [string, number, readonly number[]];
export type DotsWire = readonly DotsWireEntry[];

export function dotsToWire(d: Dots): DotsWire {
  return dotsActors(d).map((actor): DotsWireEntry => {
    const max = dotsMaxCounter(d, actor);
    const gaps = own(d.gaps, actor);
    return gaps === undefined ? [actor, max] : [actor, max, gaps.flat()];
  });
}

/**
 * Parses and validates untrusted data. Only canonical input is accepted, so a
 * value has exactly one encoding and a peer that sends anything else is broken.
 * `fail` throws the caller's own error type.
 */
export function dotsFromWire(x: unknown, fail: (why: string) => never): Dots {
  if (!Array.isArray(x)) fail('dots: expected an array of [actor, max, gaps?] entries');
  const entries = x as readonly unknown[];
  // Canonical input is already the stored form (actors sorted, gaps sorted,
  // disjoint and below max), so it is copied as it is validated.
  const maxOut: Record<string, number> = Object.create(null) as Record<string, number>;
  const gapsOut: Record<string, readonly CounterRange[]> = Object.create(null) as Record<string, readonly CounterRange[]>;
  let previous: string | undefined;
  // Indexed loops, not iterators and destructuring: this runs on every record
  // decoded (timed inside a busy node: 5-7 µs a call that way, 3.7 µs this way).
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (!Array.isArray(entry) || (entry.length !== 2 && entry.length !== 3)) {
      fail(`dots entry ${i}: expected [actor, max] or [actor, max, gaps]`);
    }
    const fields = entry as readonly unknown[];
    const max = fields[1];
    const flat = fields[2];
    const decoded = fields[0];
    if (!isValidActor(decoded)) fail(`dots entry ${i}: actor must be a string of 1..${actorLengthMax} chars`);
    if (previous !== undefined && compareActors(previous, decoded) >= 0) {
      fail(`dots entry ${i}: actors must be sorted and unique`);
    }
    const actor = canonicalActor(decoded);
    previous = actor;
    if (!isValidCounter(max)) fail(`dots entry ${i}: max must be a positive safe integer`);
    maxOut[actor] = max;
    if (flat !== undefined) gapsOut[actor] = parseGaps(flat, max, (why) => fail(`dots entry ${i} (${actor}): ${why}`));
  }
  return { max: maxOut, gaps: gapsOut };
}

function parseGaps(x: unknown, max: number, fail: (why: string) => never): CounterRange[] {
  if (!Array.isArray(x) || x.length === 0 || x.length % 2 !== 0) {
    fail('gaps must be a non-empty flat array of [from, to] pairs');
  }
  const flat = x as readonly unknown[];
  const out: CounterRange[] = [];
  let floor = 1; // the smallest counter the next gap may start at
  for (let k = 0; k < flat.length; k += 2) {
    const from = flat[k];
    const to = flat[k + 1];
    if (!isValidCounter(from) || !isValidCounter(to)) fail('gap bounds must be positive safe integers');
    if (from > to) fail(`gap [${from}, ${to}] is reversed`);
    if (from < floor) fail(`gap [${from}, ${to}] overlaps, touches or precedes the previous one`);
    if (to >= max) fail(`gap [${from}, ${to}] reaches max ${max}`);
    out.push([from, to]);
    floor = to + 2;
  }
  return out;
}
