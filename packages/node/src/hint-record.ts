import { RecordFormatError, decodeRecord, encodeRecord, type KvRecord } from '@ringkv/core';
import { Packr } from 'msgpackr';

/**
 * A hinted copy a fallback node keeps for primaries that were down: the
 * merged record of every write it took in their place, and the primaries it
 * still owes that record to.
 */
export interface HintRecord {
  readonly targets: readonly string[];
  readonly record: KvRecord;
}

const packr = new Packr({ useRecords: false });
const hintFormatVersion = 1;

export function encodeHint(h: HintRecord): Uint8Array {
  return new Uint8Array(packr.pack([hintFormatVersion, [...h.targets].sort(), encodeRecord(h.record)]));
}

export function decodeHint(bytes: Uint8Array): HintRecord {
  let x: unknown;
  try {
    x = packr.unpack(bytes);
  } catch {
    throw new RecordFormatError('invalid hint record');
  }
  if (!Array.isArray(x) || x[0] !== hintFormatVersion || !Array.isArray(x[1]) || !(x[2] instanceof Uint8Array)) {
    throw new RecordFormatError('invalid hint record');
  }
  const targets = x[1].filter((t): t is string => typeof t === 'string');
  return { targets, record: decodeRecord(x[2]) };
}
