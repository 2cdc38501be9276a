import type { CorruptRecordError } from '@ringkv/storage';
import { partitionKeyId } from './partition-key-id.js';

/**
 * A replica's version actor, and its renewal when a stored copy is lost to
 * corruption. The lost copy may have held dots of the current actor that no
 * other copy has (a write acknowledged by this replica alone, a hint in
 * flight); the next write of the key would number one of them again — two
 * versions with one dot, one silently dropped everywhere. So before anything
 * replaces such a copy the replica takes a new actor generation, as a restart
 * after an unclean shutdown does (node-identity.ts).
 */
export class ActorRenewal {
  private name: string;
  /** whether the current actor may have numbered a dot (unknown for one a previous run used: assume so) */
  private used = true;
  private renewing: Promise<void> | undefined;
  /**
   * Lost copies (by kind and key) already covered by a renewal: every dot such
   * a copy can hold was numbered before it was found, so meeting it again (a
   * refused write, a retried repair) needs no new actor. Forgotten once it is replaced.
   */
  private readonly covered = new Set<string>();

  constructor(
    actor: string,
    /** persists a new actor generation and returns its name; without it a lost copy cannot be covered */
    private readonly renew: (() => Promise<string>) | undefined,
    private readonly onRenewed: () => void,
  ) {
    this.name = actor;
  }

  get actor(): string {
    return this.name;
  }

  /** A dot is about to be numbered under the current actor. */
  markUsed(): void {
    this.used = true;
  }

  /**
   * Resolves once no dot the lost copy may hold can be numbered again: a new
   * actor taken, or none needed (this copy covered already, or the current
   * actor numbered nothing yet); joins a renewal under way, which covers it
   * too (the copy's dots were all numbered before it began). Rejects with
   * `lost` when there is no way to renew.
   */
  cover(lost: CorruptRecordError): Promise<void> {
    const copy = copyId(lost.kind, lost.partition, lost.key);
    if (this.covered.has(copy)) return Promise.resolve();
    this.covered.add(copy);
    if (this.renewing !== undefined) return this.renewing;
    if (!this.used) return Promise.resolve();
    if (this.renew === undefined) return Promise.reject(lost);
    this.used = false;
    this.renewing = this.renew()
      .then((actor) => {
        this.name = actor;
        this.onRenewed();
      })
      .catch((err: unknown) => {
        this.used = true;
        this.covered.delete(copy);
        throw err;
      })
      .finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  /**
   * Takes a new actor whatever was numbered: for when this replica cannot tell
   * which of its dots may be forgotten (its counter floor was lost at start).
   * Rejects with `why` when there is no way to renew.
   */
  async renewNow(why: Error): Promise<void> {
    if (this.renew === undefined) throw why;
    await this.renewing;
    this.name = await this.renew();
    this.used = false;
    this.onRenewed();
  }

  /** The lost copy was replaced (or deleted): a later loss of the key's new copy is a new one. */
  forget(kind: 'record' | 'hint', partition: number, key: Uint8Array): void {
    this.covered.delete(copyId(kind, partition, key));
  }
}

const copyId = (kind: 'record' | 'hint', partition: number, key: Uint8Array): string => `${kind}:${partitionKeyId(partition, key)}`;
