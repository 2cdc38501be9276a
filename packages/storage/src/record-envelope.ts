/**
 * Checksums on stored records. LevelDB checks its own blocks only when asked
 * (classic-level never asks: `verify_checksums` is off), so a bit flipped in
 * a table file, a torn page or a misdirected write would reach the node as a
 * valid-looking record and, worse, travel to the other replicas by read
 * repair and anti-entropy. Every data record and hint is therefore stored as
 *
 *   0xC1, CRC-32 of the payload (4 bytes, big-endian), payload
 *
 * where the payload is the record's bytes as core encodes them (what trees
 * hash, RPCs carry and backups hold: the envelope never leaves the store).
 * 0xC1 is the one byte msgpack never uses. Records and hints written before
 * the envelope existed start with a msgpack array of up to 15 items
 * (0x90-0x9F) and are still read, unchecked; no single flipped bit turns
 * 0xC1 into one of those, so a damaged marker is caught too.
 * CRC-32 catches every error of up to 32 bits in a row and all but 2^-32 of
 * the rest; it is what LevelDB uses for its own blocks (as CRC-32C).
 */
import { crc32 } from 'node:zlib';

const marker = 0xc1;
const headerBytes = 5;

/** The bytes to store for a payload. */
export function seal(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(headerBytes + payload.length);
  const crc = crc32(payload);
  out[0] = marker;
  out[1] = crc >>> 24;
  out[2] = (crc >>> 16) & 0xff;
  out[3] = (crc >>> 8) & 0xff;
  out[4] = crc & 0xff;
  out.set(payload, headerBytes);
  return out;
}

/** Whether stored bytes carry the envelope (they may still fail its checksum). */
export function isSealed(stored: Uint8Array): boolean {
  return stored[0] === marker;
}

/** Whether stored bytes are a record or hint as written before checksums (a msgpack array, no envelope). */
export function isLegacy(stored: Uint8Array): boolean {
  const first = stored[0];
  return first !== undefined && first >= 0x90 && first <= 0x9f;
}

/** The payload of stored bytes, or undefined when they fail their checksum (or are neither sealed nor as written before checksums). */
export function unseal(stored: Uint8Array): Uint8Array | undefined {
  const first = stored[0];
  if (first === undefined) return undefined;
  if (isLegacy(stored)) return stored; // written before checksums: read as is (decoding still validates it)
  return checked(stored);
}

/**
 * The payload of a stored metadata value (node identity, ring, members,
 * flags, checkpoints), or undefined when it fails its checksum. Metadata is
 * sealed like records since 2026-12-06; a value written before (JSON, text,
 * msgpack, a flag byte: anything but 0xC1 first) is read as is, and its reader
 * validates its own format — which also rejects a sealed value whose marker a
 * flipped bit changed, as none of those formats starts with the checksum bytes
 * that follow.
 */
export function unsealMeta(stored: Uint8Array): Uint8Array | undefined {
  return stored[0] === marker ? checked(stored) : stored;
}

function checked(stored: Uint8Array): Uint8Array | undefined {
  if (stored[0] !== marker || stored.length < headerBytes) return undefined;
  const payload = stored.subarray(headerBytes);
  // big-endian, read by hand: a DataView per read costs more than the rest of this function
  const expected = (((stored[1] as number) << 24) | ((stored[2] as number) << 16) | ((stored[3] as number) << 8) | (stored[4] as number)) >>> 0;
  return crc32(payload) === expected ? payload : undefined;
}
