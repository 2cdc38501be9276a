import { it } from 'vitest';
import { claim, spreadViolations } from './claim.js';
const pool = Array.from({ length: 20 }, (_, i) => `node-${String(i).padStart(2, '0')}`);
it('prof', () => {
  let s = 12345; const rnd = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
  for (const q of [64, 256]) for (const m of [1, 4, 16]) {
    const prev = { partitionCount: q, owners: Array.from({ length: q }, () => pool[Math.floor(rnd() * 18)]!) };
    const mem = pool.slice(0, m).map((id) => ({ id, weight: 1 + Math.floor(rnd() * 4) }));
    const t = performance.now(); let r; for (let i = 0; i < 10; i++) r = claim(prev, mem, q, 3);
    console.log(`q=${q} m=${m} ${((performance.now() - t) / 10).toFixed(2)}ms v=${spreadViolations(r!, 3)}`);
  }
});
