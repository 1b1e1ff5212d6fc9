/**
 * {@link RolloutSession}: what a session may see, for one request or one job, as its tenant's
 * rollout mode decides it (ROLLOUT.md §2): from the legacy session (`legacy`), from the legacy
 * session with every probe decided again from the blob and counted (`shadow`), or from the blob
 * (`blob`). The same checks as `Access`: `canSee`, `filter`, `inGroup`, `filterByGroup`.
 */

import type { KeyLike } from "../../key.js";
import type { LegacySession } from "../../legacy/session.js";
import { canonicalKey } from "../../legacy/session.js";
import type { Access } from "../access.js";
import type { RolloutMode } from "./mode.js";
import type { ShadowCounter } from "./shadow-counts.js";
import type { ProbeSet, ShadowDisagreement } from "./shadow-log.js";

/** What a shadow read needs besides its two sessions (internal). */
export interface ShadowSide {
  readonly counter: ShadowCounter;
  readonly onDisagreement: (d: ShadowDisagreement) => void;
  /** Reports why the blob side denies (called at most once per read by the session). */
  readonly onBlobUnreadable: (error: unknown) => void;
}

/** A probe's decision from the legacy session: `invalid_input` for a key of the wrong form. */
function legacyHas(legacy: LegacySession, set: ProbeSet, key: KeyLike): boolean {
  return set === "facility" ? legacy.hasFacility(key) : legacy.hasGroup(key);
}

/**
 * What a session may see, for one request or one job, in its tenant's rollout mode: frozen,
 * answering by key. In `legacy` and `shadow` modes the answers come from the legacy session
 * (RO-LEGACY-AUTHORITY) and need no I/O of their own; in `shadow` mode each probe is also
 * decided from the blob (which may refresh a dictionary once, as `Access` does) and counted,
 * and each disagreement logged. In `blob` mode it answers as the blob's `Access`. A key of the
 * wrong form is `invalid_input` in every mode. **Deny on any error.**
 *
 * ```ts
 * const s = await rollout.load(tenant, `sess:${sid}`);    // RolloutSession | null (deny)
 * if (s !== null && (await s.canSee(record.facilityId))) show(record);
 * const visible = s === null ? [] : await s.filter(records, (r) => r.facilityId);
 * ```
 */
export class RolloutSession {
  /** The mode the read was made in. */
  readonly mode: RolloutMode;
  /** The tenant the mode was chosen for (as given to `load`). */
  readonly tenant: string;
  /** The legacy key read (or whose blob key was read, in `blob` mode). */
  readonly sessionKey: string;
  /** The legacy session (`legacy` and `shadow` modes). */
  readonly legacy: LegacySession | undefined;
  /** The blob's access checks (`blob` mode; `shadow` mode when the blob could be read). */
  readonly blob: Access | undefined;
  readonly #shadow: ShadowSide | undefined;
  #blobFailed: boolean;

  /** @internal Made by `RolloutAccess.load`. */
  constructor(
    mode: RolloutMode,
    tenant: string,
    sessionKey: string,
    legacy: LegacySession | undefined,
    blob: Access | undefined,
    shadow: ShadowSide | undefined,
    blobFailed: boolean,
  ) {
    this.mode = mode;
    this.tenant = tenant;
    this.sessionKey = sessionKey;
    this.legacy = legacy;
    this.blob = blob;
    this.#shadow = shadow;
    this.#blobFailed = blobFailed;
    Object.freeze(this);
  }

  /** The user's id, from the session the answers come from. */
  get userId(): string {
    return this.legacy?.userId ?? this.blob!.userId;
  }

  /** The tenant's id, from the session the answers come from (never the tenant given to `load`). */
  get tenantId(): string {
    return this.legacy?.tenantId ?? this.blob!.tenantId;
  }

  /**
   * Whether the session may see the facility with `key`.
   *
   * ```ts
   * if (!(await session.canSee(record.facilityId))) return res.status(404).end();
   * ```
   */
  canSee(key: KeyLike): Promise<boolean> {
    return this.#check("facility", key);
  }

  /**
   * The records whose facility (`keyOf(record)`) the session may see, in their order; in
   * `shadow` mode each record is one probe.
   *
   * ```ts
   * const visible = await session.filter(records, (r) => r.facilityId);
   * ```
   */
  filter<T>(records: Iterable<T>, keyOf: (record: T) => KeyLike): Promise<T[]> {
    return this.#filter("facility", records, keyOf);
  }

  /** Whether the session is in the group with `key`. */
  inGroup(key: KeyLike): Promise<boolean> {
    return this.#check("group", key);
  }

  /** The records whose group (`keyOf(record)`) the session is in, in their order; as {@link filter}. */
  filterByGroup<T>(records: Iterable<T>, keyOf: (record: T) => KeyLike): Promise<T[]> {
    return this.#filter("group", records, keyOf);
  }

  async #check(set: ProbeSet, key: KeyLike): Promise<boolean> {
    const legacy = this.legacy;
    if (legacy === undefined) return set === "facility" ? this.blob!.canSee(key) : this.blob!.inGroup(key);
    const decision = legacyHas(legacy, set, key);
    if (this.#shadow !== undefined) {
      const blob = await this.#blobDecisions(set, [key]);
      this.#probe(set, key, decision, blob[0]!);
    }
    return decision;
  }

  async #filter<T>(set: ProbeSet, records: Iterable<T>, keyOf: (record: T) => KeyLike): Promise<T[]> {
    const legacy = this.legacy;
    if (legacy === undefined) return set === "facility" ? this.blob!.filter(records, keyOf) : this.blob!.filterByGroup(records, keyOf);
    const items = [...records];
    const keys = items.map(keyOf);
    const decisions = keys.map((k) => legacyHas(legacy, set, k));
    if (this.#shadow !== undefined) {
      const blob = await this.#blobDecisions(set, keys);
      for (let i = 0; i < keys.length; i++) this.#probe(set, keys[i]!, decisions[i]!, blob[i]!);
    }
    return items.filter((_, i) => decisions[i]);
  }

  /** The blob's decisions for `keys` (RO-SHADOW-BLOB-ERROR: all deny when the blob or a check of it fails). */
  async #blobDecisions(set: ProbeSet, keys: readonly KeyLike[]): Promise<boolean[]> {
    const out = new Array<boolean>(keys.length).fill(false);
    const blob = this.blob;
    if (blob === undefined) return out;
    try {
      const indexes = keys.map((_, i) => i);
      const seen = set === "facility" ? await blob.filter(indexes, (i) => keys[i]!) : await blob.filterByGroup(indexes, (i) => keys[i]!);
      for (const i of seen) out[i] = true;
    } catch (e) {
      this.#failed(e);
    }
    return out;
  }

  #failed(e: unknown): void {
    if (this.#blobFailed) return;
    this.#blobFailed = true;
    this.#shadow!.onBlobUnreadable(e);
  }

  #probe(set: ProbeSet, key: KeyLike, legacy: boolean, blob: boolean): void {
    const shadow = this.#shadow!;
    shadow.counter.count(set, legacy, blob);
    if (legacy === blob) return;
    const keyType = set === "facility" ? this.legacy!.facilityKeyType : this.legacy!.groupKeyType;
    const d: ShadowDisagreement = { tenant: this.tenant, session_key: this.sessionKey, set, key: canonicalKey(keyType, key, "shadow log"), legacy, blob };
    try {
      shadow.onDisagreement(d);
    } catch {
      // a logging hook must not change the answer
    }
  }
}
