// How figures are written on the console.

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export function count(n) {
  return typeof n === 'number' && Number.isFinite(n) ? integer.format(n) : '–';
}

export function rate(perSec) {
  if (typeof perSec !== 'number' || !Number.isFinite(perSec)) return '–';
  return perSec >= 100 ? integer.format(perSec) : perSec.toFixed(1);
}

export function ms(x) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '–';
  return x >= 100 ? `${integer.format(x)} ms` : x >= 10 ? `${x.toFixed(1)} ms` : `${x.toFixed(2)} ms`;
}

export function bytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

export function duration(msTotal) {
  if (typeof msTotal !== 'number' || !Number.isFinite(msTotal)) return '–';
  const sec = Math.floor(msTotal / 1000);
  if (sec < 60) return `${sec}s`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m ${sec % 60}s`;
  if (sec < 86400) return `${Math.floor(sec / 3600)}h ${Math.floor((sec % 3600) / 60)}m`;
  return `${Math.floor(sec / 86400)}d ${Math.floor((sec % 86400) / 3600)}h`;
}

/** Gossip says 'alive'; GET /ring and the console say 'up'. */
export function state(s) {
  return s === 'alive' ? 'up' : String(s);
}
