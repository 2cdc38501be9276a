/**
 * The cluster-secret proofs of the RPC handshake (see messages.ts for the
 * conversation). Both sides prove they hold the secret without sending it:
 * each answers the other's fresh random nonce with an HMAC-SHA256 keyed by the
 * secret over everything the handshake said (both nonces, both node ids, the
 * cluster name), so a proof is good for one connection only and cannot be
 * replayed on another.
 *
 * The role is part of what is signed ("server" / "client"), so a hostile peer
 * cannot get a node to compute the proof it needs: bouncing our own challenge
 * back to us (a reflection) yields a server proof, never a client one.
 *
 * Lives in the node package: the core stays free of randomness and crypto.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { proofBytes } from './messages.js';

export const nonceBytes = 32;

/** What both sides know once the Hello and the Challenge have crossed. */
export interface HandshakeTranscript {
  readonly cluster: string;
  /** the connecting node's id (from its Hello) */
  readonly clientId: string;
  /** the accepting node's id (from its Challenge) */
  readonly serverId: string;
  readonly clientNonce: Uint8Array;
  readonly serverNonce: Uint8Array;
}

export type ProofRole = 'server' | 'client';

export function newNonce(): Buffer {
  return randomBytes(nonceBytes);
}

/** HMAC-SHA256(secret, role ‖ cluster ‖ clientId ‖ serverId ‖ clientNonce ‖ serverNonce), each part length-prefixed. */
export function handshakeProof(secret: Uint8Array, role: ProofRole, transcript: HandshakeTranscript): Buffer {
  const hmac = createHmac('sha256', secret);
  const parts: Uint8Array[] = [
    Buffer.from(`ringkv-rpc-v1 ${role}`, 'utf8'),
    Buffer.from(transcript.cluster, 'utf8'),
    Buffer.from(transcript.clientId, 'utf8'),
    Buffer.from(transcript.serverId, 'utf8'),
    transcript.clientNonce,
    transcript.serverNonce,
  ];
  // Length prefixes make the encoding unambiguous: ("ab","c") and ("a","bc") sign differently.
  const length = Buffer.allocUnsafe(4);
  for (const part of parts) {
    length.writeUInt32BE(part.length, 0);
    hmac.update(length);
    hmac.update(part);
  }
  const proof = hmac.digest();
  if (proof.length !== proofBytes) throw new Error(`invariant: HMAC-SHA256 gave ${proof.length} bytes`);
  return proof;
}

/** Constant-time check of a received proof (its length was already bounded by the parser). */
export function proofMatches(secret: Uint8Array, role: ProofRole, transcript: HandshakeTranscript, received: Uint8Array): boolean {
  const expected = handshakeProof(secret, role, transcript);
  return received.length === expected.length && timingSafeEqual(expected, received);
}
