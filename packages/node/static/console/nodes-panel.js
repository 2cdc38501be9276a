// Per-node figures, from each member's own /ui/api/node (fetched by the serving node).
import { h, show } from './dom.js';
import { bytes, count, duration } from './format.js';

const sum = (record) => Object.values(record ?? {}).reduce((a, b) => a + b, 0);

/** @param {import('./main.js').ClusterDocument} cluster */
export function renderNodes(cluster) {
  const rows = cluster.members.map((m) => {
    const got = cluster.samples[m.id];
    if (got === undefined || !got.ok) {
      return h('tr', { 'data-node': m.id }, h('td', {}, m.id), h('td', { class: 'error-cell', colspan: 9 }, got?.error ?? 'no sample'));
    }
    const x = got.sample;
    const hints = Object.entries(x.hintsPending).map(([t, n]) => `${t}: ${n}`).join(', ');
    const transfers = x.transfers.active.length === 0
      ? h('span', { class: 'muted' }, `${count(x.transfers.done)} done`)
      : h('span', {}, ...x.transfers.active.map((t) => h('div', {}, `p${t.partition} → ${t.to}: ${count(t.keysSent)} keys, ${bytes(t.bytesSent)}`)));
    return h('tr', { 'data-node': m.id },
      h('td', {}, m.id),
      h('td', { class: 'num', 'data-figure': 'keys' }, count(x.keysStored)),
      h('td', { class: 'num', title: hints || 'none' }, count(sum(x.hintsPending))),
      h('td', { class: 'num' }, count(x.hintsDelivered)),
      h('td', { class: 'num' }, count(x.requests.readRepairs)),
      h('td', { class: 'num', title: `${count(x.antiEntropy.exchanges)} exchanges, ${count(x.antiEntropy.exchangesFailed)} failed` }, count(x.antiEntropy.keysRepaired)),
      h('td', {}, transfers),
      h('td', {}, x.recovering.active ? h('span', { class: 'badge state-suspect' }, `recovering, ${x.recovering.partitionsLeft} left`) : h('span', { class: 'muted' }, 'no')),
      h('td', { 'data-figure': 'disk' }, x.storeDamaged
        ? h('span', { class: 'badge state-dead', title: 'LevelDB read a damaged table block and refuses every write; its writes go to other replicas meanwhile. Stop the node and run ringkv repair-store on its data directory' }, 'writes stopped: repair-store')
        : x.diskFull
        ? h('span', { class: 'badge state-dead', title: 'LevelDB refuses every write until the node is restarted with space freed; its writes go to other replicas meanwhile' }, 'full: free space, restart')
        : x.damagedCopies > 0
          ? h('span', { class: 'badge state-suspect', title: 'stored copies failed their checksums (repaired from the other replicas): check this disk' }, `${count(x.damagedCopies)} damaged`)
          : h('span', { class: 'muted' }, 'ok')),
      h('td', { class: 'num' }, duration(x.uptimeMs)),
    );
  });
  const head = ['node', 'keys', 'hints pending', 'hints delivered', 'read repairs', 'AE keys repaired', 'handoff', 'recovering', 'disk', 'uptime'];
  show('nodes',
    h('table', {}, h('thead', {}, h('tr', {}, ...head.map((t) => h('th', {}, t)))), h('tbody', {}, ...rows)),
    h('p', { class: 'muted small' }, 'keys (from the Merkle trees) and hints (a scan of the hint store) are at most 5 s old; hover a figure for detail.'));
}
