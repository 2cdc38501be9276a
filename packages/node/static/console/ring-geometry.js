// Pure geometry and colours for the ring drawing: no DOM, unit-tested in
// packages/node/src/console-ring-geometry.test.ts.

/** Tableau 10: distinguishable, and readable by most colour-blind people. */
export const palette = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

/**
 * One colour per node id. Ids are sorted first, so every node's console gives
 * a node the same colour; past the palette, hues step by the golden angle so
 * neighbours stay apart.
 * @param {Iterable<string>} ids
 * @returns {Map<string, string>}
 */
export function assignColours(ids) {
  const sorted = [...new Set(ids)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const colours = new Map();
  sorted.forEach((id, i) => {
    colours.set(id, i < palette.length ? palette[i] : `hsl(${Math.round((i * 137.508) % 360)}, 55%, 55%)`);
  });
  return colours;
}

/** The angle (radians, clockwise from 12 o'clock) where partition `index` of `count` starts. */
export function partitionAngle(index, count) {
  return (index / count) * 2 * Math.PI;
}

const round = (x) => Math.round(x * 1000) / 1000;

/** A point on the circle of radius r around (cx, cy) at `angle` clockwise from 12 o'clock. */
export function pointAt(cx, cy, r, angle) {
  return [round(cx + r * Math.sin(angle)), round(cy - r * Math.cos(angle))];
}

/**
 * The SVG path of partition `index` of `count`: a sector of the annulus
 * between rInner and rOuter. Partition 0 starts at 12 o'clock, partitions go
 * clockwise, as the hash space grows.
 * @returns {string} the `d` attribute
 */
export function arcPath(index, count, cx, cy, rOuter, rInner) {
  if (!(Number.isInteger(count) && count >= 1 && Number.isInteger(index) && index >= 0 && index < count)) {
    throw new RangeError(`partition ${index} of ${count}`);
  }
  if (!(rOuter > rInner && rInner >= 0)) throw new RangeError(`radii ${rOuter} > ${rInner} ≥ 0`);
  // A single partition is the whole annulus: two half arcs, since one arc cannot end where it starts.
  if (count === 1) return `${arcPath(0, 2, cx, cy, rOuter, rInner)} ${arcPath(1, 2, cx, cy, rOuter, rInner)}`;
  const a0 = partitionAngle(index, count);
  const a1 = partitionAngle(index + 1, count);
  const large = a1 - a0 > Math.PI ? 1 : 0;
  const [ox0, oy0] = pointAt(cx, cy, rOuter, a0);
  const [ox1, oy1] = pointAt(cx, cy, rOuter, a1);
  const [ix1, iy1] = pointAt(cx, cy, rInner, a1);
  const [ix0, iy0] = pointAt(cx, cy, rInner, a0);
  return `M${ox0} ${oy0}A${rOuter} ${rOuter} 0 ${large} 1 ${ox1} ${oy1}L${ix1} ${iy1}A${rInner} ${rInner} 0 ${large} 0 ${ix0} ${iy0}Z`;
}

/**
 * How many partitions each node owns (is first in the preference list of).
 * @param {readonly (readonly string[])[]} partitions
 * @returns {Map<string, number>}
 */
export function ownerCounts(partitions) {
  const counts = new Map();
  for (const list of partitions) {
    const owner = list[0];
    if (owner !== undefined) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  }
  return counts;
}
