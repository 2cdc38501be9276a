// Read, write and delete one key through the serving node, carrying the
// context of the last read or write of that key (so a PUT supersedes what
// was read instead of adding a sibling).
import { ApiError, kvDelete, kvGet, kvPut } from './api.js';
import { h, show } from './dom.js';
import { bytes } from './format.js';

/** the context last returned for each key in this page */
const contexts = new Map();

const field = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

export function setupKvForm() {
  const form = document.getElementById('kv-form');
  form.addEventListener('submit', (e) => e.preventDefault());
  document.getElementById('kv-get').addEventListener('click', () => run('get'));
  document.getElementById('kv-put').addEventListener('click', () => run('put'));
  document.getElementById('kv-delete').addEventListener('click', () => run('delete'));
  field('kv-key').addEventListener('input', showContext);
  showContext();
}

function showContext() {
  const ctx = contexts.get(field('kv-key').value);
  show('kv-context', ctx ? h('span', { class: 'mono', title: ctx }, abbreviate(ctx)) : h('span', { class: 'muted' }, 'none (a write is concurrent with everything)'));
}

async function run(op) {
  const key = field('kv-key').value;
  if (key === '') {
    showError(new ApiError(0, 'KEY_INVALID', 'enter a key'));
    return;
  }
  const context = contexts.get(key);
  show('kv-result', h('p', { class: 'muted' }, `${op.toUpperCase()} ${key} …`));
  try {
    if (op === 'get') {
      const got = await kvGet(key);
      contexts.set(key, got.context);
      showValue(key, got);
    } else if (op === 'put') {
      const ct = field('kv-type').value.trim() || 'text/plain; charset=utf-8';
      contexts.set(key, await kvPut(key, field('kv-value').value, ct, context));
      show('kv-result', h('p', { class: 'ok', 'data-result': 'put' }, `stored ${key}`, context ? ' (superseding the context shown)' : ''));
    } else {
      contexts.set(key, await kvDelete(key, context));
      show('kv-result', h('p', { class: 'ok', 'data-result': 'delete' }, `deleted ${key}`));
    }
  } catch (err) {
    // A deleted key answers 404 with the tombstone's context: keep it, so a new write supersedes the delete.
    if (err instanceof ApiError && err.context) contexts.set(key, err.context);
    showError(err);
  }
  showContext();
}

function showValue(key, got) {
  const many = got.siblings.length > 1;
  show('kv-result',
    h('p', { 'data-result': 'get' }, many ? `${got.siblings.length} siblings (concurrent writes) for ${key}; a PUT now resolves them` : `value of ${key}`),
    ...got.siblings.map((sib, i) =>
      h('div', { class: 'sibling', 'data-sibling': i },
        h('div', { class: 'muted small' }, `${sib.contentType || 'no content type'} · ${bytes(sib.bytes.length)}`, sib.writtenAt ? ` · written ${new Date(sib.writtenAt).toISOString()}` : ''),
        h('pre', { class: 'value' }, render(sib)))));
}

/** Text when the bytes are valid UTF-8, else base64 (values are opaque bytes). */
function render(sib) {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(sib.bytes);
  } catch {
    let bin = '';
    for (const b of sib.bytes) bin += String.fromCharCode(b);
    return `(binary, base64) ${btoa(bin)}`;
  }
}

function showError(err) {
  const code = err instanceof ApiError ? err.code : 'ERROR';
  const status = err instanceof ApiError && err.status > 0 ? ` (HTTP ${err.status})` : '';
  show('kv-result', h('p', { class: 'error', role: 'alert', 'data-error': code }, h('strong', {}, `${code}${status}: `), String(err?.message ?? err)));
}

function abbreviate(ctx) {
  return ctx.length > 48 ? `${ctx.slice(0, 22)}…${ctx.slice(-22)}` : ctx;
}
