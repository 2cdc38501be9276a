import { siblingWarningThreshold } from '@ringkv/node';
import { formatTable } from './table-format.js';

type Json = Record<string, unknown>;
const obj = (x: unknown): Json => (typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Json) : {});
const arr = (x: unknown): Json[] => (Array.isArray(x) ? x.map(obj) : []);
const num = (x: unknown): string => (typeof x === 'number' ? String(x) : '-');
const ms = (x: unknown): string => (typeof x === 'number' ? (x >= 10_000 ? `${Math.round(x / 1000)} s` : `${x} ms`) : 'never');

/**
 * The parts of /status about failures and repair, for `ringkv status`:
 * each member's health as this node sees it, hints pending per target,
 * anti-entropy and tombstone GC, recovery. Reads the raw JSON leniently so an
 * older node's status still prints.
 */
export function formatStatusDetails(raw: unknown): string {
  const s = obj(raw);
  const lines: string[] = [];
  const health = arr(s.health);
  if (health.length > 0) {
    lines.push('', 'health (as this node sees it)');
    const rows = [['  ID', 'STATE', 'LAST HEARD', 'INCARNATION', 'PHI']];
    for (const h of health) rows.push([`  ${String(h.id)}`, String(h.health ?? '-'), ms(h.lastHeardAgoMs), num(h.incarnation), num(h.phi)]);
    lines.push(formatTable(rows));
  }
  const hints = obj(s.hintsPending);
  const hintEntries = Object.entries(hints);
  lines.push('', `hints      ${hintEntries.length === 0 ? 'none pending' : hintEntries.map(([t, n]) => `${String(n)} for ${t}`).join(', ')}`);
  const ae = obj(s.antiEntropy);
  if (Object.keys(ae).length > 0) {
    const parts = arr(ae.partitions);
    const ages = parts.map((p) => p.lastFullExchangeAgeMs).filter((a): a is number => typeof a === 'number');
    const marks = parts.filter((p) => typeof p.safeToCollectUpTo === 'string').length;
    lines.push(
      `repair     trees ${num(ae.treesBuilt)}/${num(ae.treesTotal)} built, ${num(ae.exchanges)} exchanges (last ${String(ae.lastExchangeAt ?? 'never')}), ` +
        `keys repaired ${num(ae.keysRepaired)} (last hour ${num(ae.keysRepairedLastHour)})`,
      `           oldest full exchange of a partition: ${ages.length === parts.length && ages.length > 0 ? ms(Math.max(...ages)) : 'some never yet'}` +
        ` (${parts.length} partitions replicated)`,
      `gc         ${num(ae.tombstonesPendingGc)} tombstones pending, ${num(ae.tombstonesReaped)} collected; ` +
        `${marks}/${parts.length} partitions have a safe-to-collect mark (see --json for each)`,
    );
  }
  const store = obj(s.store);
  if (store.storeDamaged === true) {
    lines.push(
      `disk       WRITES STOPPED: LevelDB read a damaged table block and refuses every write (${num(store.refusedDamaged)} refused; ` +
        `other replicas take them) — stop this node and run \`ringkv repair-store --data DIR\` on its data directory`,
    );
  } else if (store.diskFull === true) {
    lines.push(`disk       FULL: LevelDB refuses every write (${num(store.refusedFull)} refused; other replicas take them) — free space and restart this node`);
  }
  const damage = obj(s.corruption);
  if ((Number(damage.records) || 0) + (Number(damage.hints) || 0) > 0) {
    lines.push(
      `disk       DAMAGED COPIES FOUND: ${num(damage.records)} records, ${num(damage.hints)} hints failed their checksums ` +
        `(${num(damage.keysRepaired)} repaired from other replicas) — check this node's disk`,
    );
  }
  const heavy = arr(s.siblingHeavyKeys);
  if (heavy.length > 0) {
    const shown = heavy.slice(0, 3).map((k) => `${JSON.stringify(String(k.key))} ${num(k.siblings)}`).join(', ');
    lines.push(
      `siblings   ${heavy.length} ${heavy.length === 1 ? 'key holds' : 'keys hold'} ${siblingWarningThreshold} values or more (${shown}${heavy.length > 3 ? ', …' : ''}): ` +
        'writers do not send each other\'s context — read the key and write with its context',
    );
  }
  const rec = obj(s.recovering);
  if (rec.active === true) lines.push(`recovery   ACTIVE: reads refused until ${num(rec.partitionsLeft)} more partitions are synchronised`);
  return `${lines.join('\n')}\n`;
}
