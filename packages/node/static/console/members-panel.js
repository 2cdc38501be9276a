// Members as the serving node's gossip sees them.
import { h, show } from './dom.js';
import { count, duration, state } from './format.js';

/** @param {import('./main.js').ClusterDocument} cluster */
export function renderMembers(cluster) {
  const rows = cluster.members.map((m) =>
    h('tr', { 'data-member': m.id, 'data-state': state(m.state) },
      h('td', {}, m.id, m.id === cluster.self ? h('span', { class: 'muted' }, ' (this node)') : null),
      h('td', {}, h('span', { class: `badge state-${state(m.state)}` }, state(m.state))),
      h('td', { class: 'num' }, m.id === cluster.self ? '–' : m.phi.toFixed(2)),
      h('td', { class: 'num' }, m.id === cluster.self ? '–' : duration(m.lastHeardAgoMs)),
      h('td', { class: 'num' }, count(m.partitions)),
      h('td', { class: 'num' }, count(m.weight)),
      h('td', { class: 'mono' }, m.http),
    ),
  );
  show('members',
    h('table', {},
      h('thead', {}, h('tr', {}, ...['member', 'state', 'φ', 'last heard', 'partitions', 'weight', 'HTTP'].map((t) => h('th', {}, t)))),
      h('tbody', {}, ...rows)));
}
