/**
 * {@link RolloutAccess}: sessions read in their tenant's rollout mode (ROLLOUT.md): the legacy
 * JSON key through the mapping, the blob key through a `SessionAccess`, or both with every probe
 * counted — as a {@link RolloutSession} with the checks of `Access`.
 */

import { SessionpackError } from "../../errors.js";
import type { KeyType } from "../../key.js";
import { LegacyMapping, documentTooLong } from "../../legacy/mapping.js";
import type { LegacySession } from "../../legacy/session.js";
import { SessionAccess, type Access } from "../access.js";
import { internalsOf } from "../lent.js";
import { bulk, Link, type Connectable, type TimeoutOptions } from "../link.js";
import { kindOf } from "../tally.js";
import type { RolloutMode } from "./mode.js";
import { isRolloutPolicy, modeOf, type RolloutPolicy } from "./policy.js";
import { RolloutSession, type ShadowSide } from "./rollout-session.js";
import { ShadowCounter, type ShadowCounts } from "./shadow-counts.js";
import { logShadowBlobUnreadable, logShadowDisagreement, type ShadowBlobUnreadable, type ShadowDisagreement } from "./shadow-log.js";
import { KeyTemplate } from "./template.js";

/** Options of {@link RolloutAccess.connect}. */
export interface RolloutAccessOptions extends TimeoutOptions {
  /** The blob side: a session cache and its dictionary cache (`blob` and `shadow` modes). */
  access: SessionAccess;
  /** The mapping the legacy sessions are read with (`legacy` and `shadow` modes). */
  mapping: LegacyMapping;
  /** Each tenant's mode: `(tenant) => mode`, or a `RedisRolloutPolicy`. */
  policy: RolloutPolicy;
  /** How a blob key is made from a legacy key (default `sp:{key}`). */
  template?: KeyTemplate | string;
  /**
   * Where the legacy keys are read (`GETRANGE`, `EXISTS`): the service's own client, a `Target` or a URL, as
   * `SessionCache.connect` takes them. Default: the session cache's own connection.
   */
  legacyStore?: Connectable;
  /** The type of the legacy session's facility keys (default `"objectid"`, as the dictionaries' `KeyType`). */
  facilityKeyType?: KeyType;
  /** The type of its group keys (default `"objectid"`). */
  groupKeyType?: KeyType;
  /** Told of every shadow disagreement (default: one JSON line through `console.warn`); its throws are ignored. */
  onDisagreement?: (d: ShadowDisagreement) => void;
  /** Told once per shadow read whose blob could not be read (default: one JSON line through `console.warn`); its throws are ignored. */
  onBlobUnreadable?: (f: ShadowBlobUnreadable) => void;
}

function argument(message: string): never {
  throw new SessionpackError("invalid_input", message);
}

/**
 * Loads sessions in their tenant's rollout mode (ROLLOUT.md): `load(tenant, legacyKey)` asks
 * the policy for the tenant's mode (no I/O), then
 *
 * - `legacy`: reads the legacy key (`GETRANGE key 0 limit`, at most the mapping's M-DOC-SIZE
 *   limit plus one byte; a longer value is refused as M-DOC-SIZE, kind `limit`, unparsed; an
 *   empty reply asks `EXISTS`: RO-LEGACY-BOUND) and reads it with the mapping, keys without
 *   dictionaries (RO-LEGACY-READ, RO-LEGACY-KEYS); expired from its `expires_at` on
 *   (RO-LEGACY-EXPIRY);
 * - `shadow`: the same, then reads the blob key through the `SessionAccess`; every answer is the
 *   legacy one, every probe is counted ({@link shadowCounts}, and the metrics of the session
 *   cache's meter) and every disagreement logged (RO-SHADOW-…); a blob that cannot be read
 *   denies each probe, logged once per read, and never fails the read;
 * - `blob`: reads the blob key through the `SessionAccess` only.
 *
 * It resolves to a {@link RolloutSession}, or `null` for no session (a missing key).
 *
 * ```ts
 * const rollout = await RolloutAccess.connect({
 *   access: new SessionAccess({ sessions, dictionaries }),
 *   mapping: LegacyMapping.fromJson(readFileSync("legacy-mapping.json")),
 *   policy: await RedisRolloutPolicy.start(redis),        // or (tenant) => "shadow"
 * });
 * const s = await rollout.load("acme", `sess:${sid}`);     // RolloutSession | null (deny); throws: deny
 * const visible = s === null ? [] : await s.filter(records, (r) => r.facilityId);
 * rollout.shadowCounts();   // { facility: { agreements, disagreements }, group: { … } }
 * ```
 */
export class RolloutAccess {
  /** The blob side. */
  readonly access: SessionAccess;
  /** The mapping of the legacy sessions. */
  readonly mapping: LegacyMapping;
  /** The policy. */
  readonly policy: RolloutPolicy;
  /** How blob keys are made. */
  readonly template: KeyTemplate;
  readonly #link: Link;
  readonly #ownLink: boolean;
  readonly #keyTypes: { facilityKeyType: KeyType; groupKeyType: KeyType };
  readonly #counter: ShadowCounter;
  readonly #onDisagreement: (d: ShadowDisagreement) => void;
  readonly #onBlobUnreadable: (f: ShadowBlobUnreadable) => void;

  private constructor(options: RolloutAccessOptions, template: KeyTemplate, link: Link, ownLink: boolean) {
    this.access = options.access;
    this.mapping = options.mapping;
    this.policy = options.policy;
    this.template = template;
    this.#link = link;
    this.#ownLink = ownLink;
    this.#keyTypes = { facilityKeyType: options.facilityKeyType ?? "objectid", groupKeyType: options.groupKeyType ?? "objectid" };
    this.#counter = new ShadowCounter(internalsOf(options.access.sessions)?.shared.tally);
    this.#onDisagreement = options.onDisagreement ?? logShadowDisagreement;
    this.#onBlobUnreadable = options.onBlobUnreadable ?? logShadowBlobUnreadable;
  }

  /**
   * A rollout reader over `options` (checked: a wrong argument is `invalid_input` saying what is
   * expected; a key template without `{key}` exactly once too). Connects to `legacyStore` when
   * given (its first call is made here).
   */
  static async connect(options: RolloutAccessOptions): Promise<RolloutAccess> {
    if (typeof options !== "object" || options === null) argument("RolloutAccess.connect needs options: { access, mapping, policy, template?, legacyStore?, … }");
    if (!(options.access instanceof SessionAccess)) argument("RolloutAccess: options.access must be a SessionAccess (the blob side: new SessionAccess({ sessions, dictionaries }))");
    if (!(options.mapping instanceof LegacyMapping)) argument("RolloutAccess: options.mapping must be a LegacyMapping (LegacyMapping.fromJson(…))");
    if (!isRolloutPolicy(options.policy)) argument("RolloutAccess: options.policy must be a function (tenant) => mode, or a RedisRolloutPolicy");
    for (const name of ["onDisagreement", "onBlobUnreadable"] as const) {
      if (options[name] !== undefined && typeof options[name] !== "function") argument(`RolloutAccess: options.${name} must be a function`);
    }
    for (const name of ["facilityKeyType", "groupKeyType"] as const) {
      const t = options[name];
      if (t !== undefined && t !== "objectid" && t !== "uuid" && t !== "string") argument(`RolloutAccess: options.${name} must be "objectid", "uuid" or "string", not ${String(t)}`);
    }
    const template = KeyTemplate.from(options.template);
    if (options.legacyStore !== undefined) {
      return new RolloutAccess(options, template, await Link.connect(options.legacyStore, options), true);
    }
    const link = internalsOf(options.access.sessions)?.link;
    if (link === undefined) argument("RolloutAccess: options.access.sessions is not a SessionCache: give options.legacyStore, where the legacy keys are");
    return new RolloutAccess(options, template, link, false);
  }

  /** {@link loadAt} at `Date.now()`. */
  load(tenant: string, legacyKey: string): Promise<RolloutSession | null> {
    return this.loadAt(tenant, legacyKey, Date.now());
  }

  /**
   * The session under `legacyKey` (or its blob key) in `tenant`'s mode, checked at `nowMs`;
   * `null` for no session. Throws what the read of the answering side throws — a
   * `LegacyError` (the mapping's refusals, `invalid_input` / `limit`), a `SessionpackError`
   * (`expired`, and the blob's kinds in `blob` mode), a `StoreError` — and `invalid_input`
   * for a policy answer that is not a mode. **Deny on any error.**
   */
  async loadAt(tenant: string, legacyKey: string, nowMs: number | bigint): Promise<RolloutSession | null> {
    if (typeof tenant !== "string") argument(`RolloutAccess.load: the tenant must be a string, not ${tenant === null ? "null" : typeof tenant}`);
    if (typeof legacyKey !== "string" || legacyKey === "") argument("RolloutAccess.load: the legacy key must be a non-empty string");
    const mode: RolloutMode = modeOf(this.policy, tenant);
    if (mode === "blob") {
      const blob = await this.access.loadAt(this.template.blobKey(legacyKey), nowMs);
      return blob === null ? null : new RolloutSession(mode, tenant, legacyKey, undefined, blob, undefined, false);
    }
    const legacy = await this.#legacy(legacyKey, nowMs);
    if (legacy === null) return null;
    if (mode === "legacy") return new RolloutSession(mode, tenant, legacyKey, legacy, undefined, undefined, false);

    let blob: Access | undefined;
    let failed = false;
    const report = (error: unknown) => {
      try {
        this.#onBlobUnreadable({ tenant, session_key: legacyKey, kind: error === null ? "no_session" : kindOf(error), error });
      } catch {
        // a logging hook must not change the answer
      }
    };
    try {
      blob = (await this.access.loadAt(this.template.blobKey(legacyKey), nowMs)) ?? undefined;
      if (blob === undefined) {
        failed = true;
        report(null);
      }
    } catch (e) {
      failed = true;
      report(e);
    }
    const shadow: ShadowSide = { counter: this.#counter, onDisagreement: this.#onDisagreement, onBlobUnreadable: report };
    return new RolloutSession(mode, tenant, legacyKey, legacy, blob, shadow, failed);
  }

  /**
   * The legacy session under `key` (RO-LEGACY-READ), unexpired at `nowMs` (RO-LEGACY-EXPIRY);
   * null when missing. At most the mapping's limit plus one byte is asked for (`GETRANGE key 0
   * limit`, RO-LEGACY-BOUND): a longer reply is refused as M-DOC-SIZE unparsed; only an empty
   * reply asks `EXISTS` (missing: null; present: read again, as it may have been written
   * between the two questions, and an empty document goes to the mapping).
   */
  async #legacy(key: string, nowMs: number | bigint): Promise<LegacySession | null> {
    const limit = this.mapping.maxDocumentLen;
    const range = async () => bulk(await this.#link.query(key, ["GETRANGE", key, "0", String(limit)], true), `GETRANGE ${key}`);
    let bytes = await range();
    if (bytes === null) return null;
    if (bytes.length === 0) {
      if (Number(await this.#link.query(key, ["EXISTS", key], true)) === 0) return null;
      // Present now: empty, or written (a login) between the two questions — read again.
      bytes = await range();
      if (bytes === null) return null;
    }
    if (bytes.length > limit) documentTooLong(limit, `the legacy document under ${JSON.stringify(key)}`);
    const legacy = this.mapping.readKeys(bytes, this.#keyTypes);
    if (legacy.expiredAt(nowMs)) {
      throw new SessionpackError("expired", `the legacy session expired at ${legacy.expiresAt} ms (now ${BigInt(nowMs)} ms): sign in again (RO-LEGACY-EXPIRY)`, "RO-LEGACY-EXPIRY");
    }
    return legacy;
  }

  /** The shadow probes counted so far, per set (RO-SHADOW-COUNT). */
  shadowCounts(): ShadowCounts {
    return this.#counter.counts();
  }

  /** Lets go of the connection to `legacyStore` (if one was given; never the service's client). The caches and the policy are the caller's to close. */
  async close(): Promise<void> {
    if (this.#ownLink) await this.#link.close();
  }
}
