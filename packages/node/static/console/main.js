// Polls the serving node and hands each answer to the panels.
import { getJson } from './api.js';
import { setupAuth, showAuth } from './auth-panel.js';
import { h, show } from './dom.js';
import { renderCharts } from './charts-panel.js';
import { renderHotKeys, renderSiblingKeys } from './hot-keys-panel.js';
import { setupKvForm } from './kv-form.js';
import { renderMembers } from './members-panel.js';
import { renderNodes } from './nodes-panel.js';
import { renderRing } from './ring-panel.js';

/**
 * @typedef {{ epoch: number, partitionCount: number, n: number, r: number, w: number, hash: string,
 *   nodes: Record<string, { http: string, state: string }>, partitions: string[][], transferring: number[] }} RingDocument
 *   GET /ring (packages/node/src/ring-routes.ts)
 * @typedef {import('../../src/console-cluster.js').ConsoleClusterDocument} ClusterDocument
 *   GET /ui/api/cluster (packages/node/src/console-cluster.ts)
 */

const pollMs = 1500;

async function poll() {
  const [ring, cluster] = await Promise.allSettled([getJson('/ring'), getJson('/ui/api/cluster')]);
  const errors = [];
  // Each panel fails alone: a bad answer from one endpoint leaves the others live.
  const draw = (what, fn) => {
    try {
      fn();
    } catch (err) {
      errors.push(`${what}: ${err?.message ?? err}`);
      console.error(err);
    }
  };
  if (ring.status === 'fulfilled') draw('ring', () => renderRing(ring.value));
  else errors.push(`GET /ring: ${ring.reason?.message ?? ring.reason}`);
  if (cluster.status === 'fulfilled') {
    const c = cluster.value;
    document.title = `ringkv · ${c.self}`;
    show('self', c.self);
    draw('members', () => renderMembers(c));
    draw('nodes', () => renderNodes(c));
    draw('charts', () => renderCharts(c));
    draw('hot keys', () => renderHotKeys(c));
    draw('sibling-heavy keys', () => renderSiblingKeys(c));
  } else errors.push(`GET /ui/api/cluster: ${cluster.reason?.message ?? cluster.reason}`);

  showAuth([ring, cluster].some((r) => r.status === 'rejected' && r.reason?.code === 'UNAUTHORIZED'));
  show('updated', `updated ${new Date().toLocaleTimeString()}`);
  show('poll-errors', ...errors.map((e) => h('p', { class: 'error', role: 'alert' }, e)));
}

async function loop() {
  try {
    await poll();
  } finally {
    // The next poll starts only after this one ended, so a slow node never piles requests up.
    setTimeout(loop, pollMs);
  }
}

setupKvForm();
// A new token is tried at once rather than at the next poll.
setupAuth(() => poll());
loop();
