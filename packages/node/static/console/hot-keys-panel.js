// The most requested keys, over every node's top-k sketch.
import { h, show } from './dom.js';
import { count } from './format.js';

const shown = 10;

/**
 * Each node's list of `{ key, [figure] }` (from its sample's `list`) merged by key, largest first:
 * `fold` combines the nodes' figures, and each entry says what every node reported.
 * @param {import('./main.js').ClusterDocument} cluster
 * @param {string} list
 * @param {string} figure
 * @param {(a: number, b: number) => number} fold
 */
function mergeNodeLists(cluster, list, figure, fold) {
  const byKey = new Map();
  for (const [id, got] of Object.entries(cluster.samples)) {
    if (!got.ok) continue;
    for (const item of got.sample[list] ?? []) {
      const entry = byKey.get(item.key) ?? { key: item.key, [figure]: 0, nodes: [] };
      entry[figure] = fold(entry[figure], item[figure]);
      entry.nodes.push(`${id}: ${item[figure]}`);
      byKey.set(item.key, entry);
    }
  }
  return [...byKey.values()].sort((a, b) => b[figure] - a[figure] || (a.key < b.key ? -1 : 1)).slice(0, shown);
}

/**
 * Adds up each node's estimate per key (each node counts the requests it coordinated).
 * @param {import('./main.js').ClusterDocument} cluster
 */
export function mergeHotKeys(cluster) {
  return mergeNodeLists(cluster, 'hotKeys', 'count', (a, b) => a + b);
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
  return mergeNodeLists(cluster, 'siblingHeavyKeys', 'siblings', Math.max);
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
