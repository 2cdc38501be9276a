// The most requested keys, over every node's top-k sketch.
import { h, show } from './dom.js';
import { count } from './format.js';

const shown = 10;

/**
 * Adds up each node's estimate per key (each node counts the requests it coordinated).
 * @param {import('./main.js').ClusterDocument} cluster
 */
export function mergeHotKeys(cluster) {
  const byKey = new Map();
  for (const [id, got] of Object.entries(cluster.samples)) {
    if (!got.ok) continue;
    for (const { key, count: n } of got.sample.hotKeys) {
      const entry = byKey.get(key) ?? { key, count: 0, nodes: [] };
      entry.count += n;
      entry.nodes.push(`${id}: ${n}`);
      byKey.set(key, entry);
    }
  }
  return [...byKey.values()].sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1)).slice(0, shown);
}

/** @param {import('./main.js').ClusterDocument} cluster */
export function renderHotKeys(cluster) {
  const top = mergeHotKeys(cluster);
  if (top.length === 0) {
    show('hot-keys', h('p', { class: 'muted' }, 'no key requested yet'));
    return;
  }
  show('hot-keys',
    h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'key'), h('th', {}, 'requests (est.)'), h('th', {}, 'by node'))),
      h('tbody', {}, ...top.map((k) => h('tr', {}, h('td', { class: 'mono key' }, k.key), h('td', { class: 'num' }, count(k.count)), h('td', { class: 'muted small' }, k.nodes.join(', ')))))));
}

/**
 * Keys some node last saw holding 25 siblings or more, with the most any node saw:
 * concurrent writers that do not send each other's context, each write adding a value.
 * @param {import('./main.js').ClusterDocument} cluster
 */
export function mergeSiblingKeys(cluster) {
  const byKey = new Map();
  for (const [id, got] of Object.entries(cluster.samples)) {
    if (!got.ok) continue;
    for (const { key, siblings } of got.sample.siblingHeavyKeys ?? []) {
      const entry = byKey.get(key) ?? { key, siblings: 0, nodes: [] };
      entry.siblings = Math.max(entry.siblings, siblings);
      entry.nodes.push(`${id}: ${siblings}`);
      byKey.set(key, entry);
    }
  }
  return [...byKey.values()].sort((a, b) => b.siblings - a.siblings || (a.key < b.key ? -1 : 1)).slice(0, shown);
}

/** Shown only when there are such keys. @param {import('./main.js').ClusterDocument} cluster */
export function renderSiblingKeys(cluster) {
  const heavy = mergeSiblingKeys(cluster);
  if (heavy.length === 0) {
    show('sibling-keys');
    return;
  }
  show('sibling-keys',
    h('h2', {}, 'Keys with many siblings'),
    h('p', { class: 'muted small' }, 'Writers that do not send each other\'s context: every write adds a value, and every later write of the key rewrites them all. Read the key and write with its context to resolve them.'),
    h('table', {},
      h('thead', {}, h('tr', {}, h('th', {}, 'key'), h('th', {}, 'siblings (most seen)'), h('th', {}, 'by node'))),
      h('tbody', {}, ...heavy.map((k) => h('tr', {}, h('td', { class: 'mono key' }, k.key), h('td', { class: 'num' }, count(k.siblings)), h('td', { class: 'muted small' }, k.nodes.join(', ')))))));
}
