import { InvalidArgumentError } from 'commander';

/** A commander argument parser for an integer flag within [lo, hi]. */
export function intIn(lo: number, hi: number): (text: string) => number {
  return (text) => {
    const v = /^[0-9]+$/.test(text) ? Number(text) : NaN;
    if (!Number.isInteger(v) || v < lo || v > hi) throw new InvalidArgumentError(`expected an integer in ${lo}..${hi}`);
    return v;
  };
}
