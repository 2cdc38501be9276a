import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CATALOGUE } from '@ringkv/core';
import { describe, expect, it } from 'vitest';

/** The README's error table, the catalogue and the statuses must say the same thing. */
describe('error catalogue', () => {
  it('matches the README table code for code and status for status', () => {
    const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');
    const rows = [...readme.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])]);
    const catalogue = Object.entries(ERROR_CATALOGUE).map(([code, e]) => [code, e.status]);
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(catalogue));
  });
});
