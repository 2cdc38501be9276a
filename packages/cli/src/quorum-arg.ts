import { InvalidArgumentError } from 'commander';

/**
 * Parses `--r`/`--w`. The server judges the upper bound (it knows N); here we
 * only refuse what can never be a quorum, so that no request is sent for it.
 */
export function parseQuorumArg(text: string): number {
  return quorumArg(text, 1);
}

/** --dw: 0 allowed (no durable acks asked for); the node checks the upper bound (N). */
export function parseDurableQuorumArg(text: string): number {
  return quorumArg(text, 0);
}

function quorumArg(text: string, min: number): number {
  const v = /^[0-9]{1,3}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(v) || v < min) throw new InvalidArgumentError(min === 1 ? 'expected a positive integer' : 'expected a whole number, 0 or more');
  return v;
}
