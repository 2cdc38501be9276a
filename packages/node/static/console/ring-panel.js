// The ring: one arc per partition, coloured by its owner (the first of its
// preference list), with the partitions in transfer marked outside the ring.
import { h, s, show } from './dom.js';
import { count, state } from './format.js';
import { arcPath, assignColours, ownerCounts } from './ring-geometry.js';

const size = 320;
const c = size / 2;
const rOuter = 140;
const rInner = 100;

let drawn = '';

/** @param {import('./main.js').RingDocument} ring */
export function renderRing(ring) {
  // 256 paths are cheap, but redrawing identical ones every poll would reset hover tooltips.
  const key = JSON.stringify([ring.epoch, ring.partitions, ring.transferring, ring.nodes]);
  if (key === drawn) return;
  drawn = key;

  const ids = Object.keys(ring.nodes);
  const colours = assignColours([...ids, ...ring.partitions.map((l) => l[0]).filter((x) => x !== undefined)]);
  const moving = new Set(ring.transferring);
  const count_ = ring.partitions.length;

  const arcs = s('g', { class: 'arcs' });
  const marks = s('g', { class: 'transfer-marks' });
  ring.partitions.forEach((list, p) => {
    const owner = list[0] ?? '';
    arcs.append(
      s('path', { class: 'arc', d: arcPath(p, count_, c, c, rOuter, rInner), fill: colours.get(owner) ?? '#ccc', 'data-partition': p, 'data-owner': owner },
        s('title', {}, `partition ${p}: ${list.join(', ')}${moving.has(p) ? ' (in transfer)' : ''}`)),
    );
    if (moving.has(p)) marks.append(s('path', { class: 'transfer-mark', d: arcPath(p, count_, c, c, rOuter + 9, rOuter + 3), 'data-partition': p }));
  });

  const svg = s('svg', { viewBox: `0 0 ${size} ${size}`, class: 'ring', role: 'img', 'aria-label': `ring of ${count_} partitions` },
    arcs,
    marks,
    s('text', { class: 'ring-centre big', x: c, y: c - 6, 'text-anchor': 'middle' }, `epoch ${ring.epoch}`),
    s('text', { class: 'ring-centre', x: c, y: c + 14, 'text-anchor': 'middle' }, `Q=${count_} N=${ring.n} R=${ring.r} W=${ring.w}`),
  );

  const owned = ownerCounts(ring.partitions);
  const legend = h('ul', { class: 'legend' },
    ...[...colours.keys()].map((id) => {
      const st = ring.nodes[id]?.state ?? 'not a member';
      return h('li', { 'data-node': id },
        swatch(colours.get(id)),
        h('span', { class: 'legend-id' }, id),
        h('span', { class: `badge state-${state(st)}` }, state(st)),
        h('span', { class: 'muted' }, `${count(owned.get(id) ?? 0)} partitions`));
    }),
    ring.transferring.length > 0
      ? h('li', {}, swatch(null, 'transfer'), h('span', {}, `${count(ring.transferring.length)} partitions in transfer`))
      : h('li', { class: 'muted' }, 'no partition in transfer'),
  );
  show('ring', svg);
  show('ring-legend', legend);
}

function swatch(colour, cls = '') {
  const box = s('svg', { class: `swatch ${cls}`, viewBox: '0 0 10 10', width: 12, height: 12 });
  box.append(s('rect', { width: 10, height: 10, rx: 2, fill: colour ?? 'currentColor' }));
  return box;
}
