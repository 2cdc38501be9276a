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
