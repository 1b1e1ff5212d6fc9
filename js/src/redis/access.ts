/**
 * {@link SessionAccess}: a session from a `SessionCache` and its tenant's dictionaries from a
 * `DictionaryCache`, as one read-only {@link Access} object that answers "may this user see
 * this facility?" by key — refreshing a dictionary once for a key its copy lacks, then denying.
 */

import type { DictKind, IdDictionaryView } from "../dict.js";
import { SessionpackError } from "../errors.js";
import type { IdSet, KeyedIdSet } from "../keyed.js";
import type { SessionView } from "../view.js";
import type { SessionCache } from "./cache.js";
import type { DictKey, DictionaryCache } from "./dictionaries.js";

/**
 * No session under the key a request or a job named (or none was named): deny, as 401. Its
 * `kind` is `"no_session"`, beside the kinds of `SessionpackError` and `StoreError`.
 */
export class NoSessionError extends Error {
  readonly kind = "no_session" as const;

  constructor(message = "no session: the request named none, or the store holds none under its key") {
    super(message);
    this.name = "NoSessionError";
  }
}

/** One kind's dictionary as an {@link Access} holds it. */
class Held {
  /** The copy the set is checked through; `undefined` while none (no dictionary in Redis: every key denied). */
  keyed: KeyedIdSet | undefined;
  copy: IdDictionaryView | null = null;

  constructor(
    readonly kind: DictKind,
    readonly set: IdSet,
  ) {}
}

/**
 * Loads sessions with their access checks: `load(sessionKey)` reads the session through the
 * session cache (so its freshness mode, expiry and key rules apply) and the tenant's facility
 * dictionary through the dictionary cache, and returns a frozen {@link Access}, or `null` when
 * there is no such session.
 *
 * ```ts
 * const access = new SessionAccess({ sessions, dictionaries });   // a SessionCache and a DictionaryCache
 * const a = await access.load(`session:${userId}`);                // Access | null (deny); throws: deny
 * if (a !== null && (await a.canSee(record.facilityId))) show(record);
 * const visible = a === null ? [] : await a.filter(records, (r) => r.facilityId);
 * ```
 */
export class SessionAccess {
  /** The session cache. */
  readonly sessions: SessionCache;
  /** The dictionary cache. */
  readonly dictionaries: DictionaryCache;

  constructor(options: { sessions: SessionCache; dictionaries: DictionaryCache }) {
    if (typeof options?.sessions?.getAt !== "function") throw new TypeError("sessions must be a SessionCache");
    if (typeof options.dictionaries?.refresh !== "function") throw new TypeError("dictionaries must be a DictionaryCache");
    this.sessions = options.sessions;
    this.dictionaries = options.dictionaries;
  }

  /** {@link loadAt} at `Date.now()`. */
  load(sessionKey: string): Promise<Access | null> {
    return this.loadAt(sessionKey, Date.now());
  }

  /**
   * The session under `sessionKey` (a Redis key), checked at `nowMs`, with its facility
   * dictionary: `null` when there is no such session. Throws what the caches throw — a
   * `SessionpackError` (`expired`, `unauthenticated`, `not_a_blob`, `corrupt`, …; `invalid_input`
   * when the tenant's facility dictionary is not the one the session refers to, even after a
   * refresh) or a `StoreError` (`timeout`, `unavailable`, `server`). **Deny on any error.**
   */
  async loadAt(sessionKey: string, nowMs: number | bigint): Promise<Access | null> {
    const view = await this.sessions.getAt(sessionKey, nowMs);
    if (view === null) return null;
    const access = new Access(view, this.dictionaries);
    await access.prepare();
    return access;
  }
}

/**
 * What a session may see, for one request or one job: read-only (frozen), answering by key
 * through the tenant's dictionaries. A key the dictionary copy holds is answered without I/O; a
 * key it lacks refreshes the dictionary once (at most once per dictionary per the cache's
 * `refreshIntervalMs`, shared by every caller) and is denied if still unknown. Errors propagate:
 * **never grant on an error**.
 *
 * Keys are whatever the core's dictionary lookups take (ObjectId text, the 12 bytes, …), passed
 * through untouched.
 */
export class Access {
  /** The session (validated, unexpired at load, its key rules applied). */
  readonly view: SessionView;
  readonly #dictionaries: DictionaryCache;
  readonly #facilities: Held;
  #groups: Promise<Held> | undefined;

  /** @internal */
  constructor(view: SessionView, dictionaries: DictionaryCache) {
    this.view = view;
    this.#dictionaries = dictionaries;
    this.#facilities = new Held("facility", view.facilities);
    Object.freeze(this);
  }

  /** @internal Loads the facility dictionary (eagerly: so that checks of known keys need no I/O). */
  async prepare(): Promise<void> {
    await this.#load(this.#facilities);
  }

  /** The user's id. */
  get userId(): string {
    return this.view.userId;
  }

  /** The tenant's id. */
  get tenantId(): string {
    return this.view.tenantId;
  }

  /**
   * Whether the session may see the facility with `key`. Resolves without I/O when the
   * dictionary copy holds the key; otherwise refreshes it once (rate-limited), then `false`.
   *
   * ```ts
   * if (!(await access.canSee(record.facilityId))) return res.status(404).end();
   * ```
   */
  canSee(key: DictKey): Promise<boolean> {
    return this.#check(this.#facilities, key);
  }

  /**
   * The records whose facility (`keyOf(record)`) the session may see, in their order. Keys the
   * copy lacks cost one refresh for the whole batch (at most; none within the refresh interval).
   *
   * ```ts
   * const visible = await access.filter(records, (r) => r.facilityId);
   * ```
   */
  filter<T>(records: Iterable<T>, keyOf: (record: T) => DictKey): Promise<T[]> {
    return this.#filter(this.#facilities, records, keyOf);
  }

  /** Whether the session is in the group with `key` (the group dictionary is loaded at the first group check). */
  async inGroup(key: DictKey): Promise<boolean> {
    return this.#check(await this.#groupsHeld(), key);
  }

  /** The records whose group (`keyOf(record)`) the session is in, in their order; as {@link filter}. */
  async filterByGroup<T>(records: Iterable<T>, keyOf: (record: T) => DictKey): Promise<T[]> {
    return this.#filter(await this.#groupsHeld(), records, keyOf);
  }

  #groupsHeld(): Promise<Held> {
    if (this.#groups === undefined) {
      const held = new Held("group", this.view.groups);
      const p = this.#load(held).then(() => held);
      // A failed load is not remembered: the next check tries again (and fails closed meanwhile).
      p.catch(() => {
        if (this.#groups === p) this.#groups = undefined;
      });
      this.#groups = p;
    }
    return this.#groups;
  }

  async #load(held: Held): Promise<void> {
    if (held.set.lineage === undefined) return; // plain ids: #keyed refuses every keyed check
    this.#bind(held, await this.#dictionaries.get(this.view.tenantId, held.kind), true);
    if (held.copy !== null && held.keyed === undefined) {
      // Another lineage than the session's: maybe an old copy. Refresh once; refused if still another.
      this.#bind(held, await this.#dictionaries.refresh(this.view.tenantId, held.kind, held.copy), false);
    }
  }

  /** Checks `held.set` through `copy` (the core's `keyed`: kind, lineage, C-KEY-MAC). */
  #bind(held: Held, copy: IdDictionaryView | null, tolerateLineage: boolean): void {
    held.copy = copy;
    held.keyed = undefined;
    if (copy === null) return;
    if (tolerateLineage && copy.lineage !== held.set.lineage) return;
    held.keyed = held.set.keyed(copy);
  }

  #keyed(held: Held): KeyedIdSet | undefined {
    if (held.set.lineage === undefined) {
      // SPEC.md C-KEY-CHECK: a set of plain ids (lineage 0) asked by key is refused, never "not a member".
      throw new SessionpackError(
        "wrong_dictionary",
        `the session's ${held.kind === "facility" ? "facilities" : "groups"} hold plain ids (format version 1), ` +
          "not ids of a dictionary: they cannot be checked by key (check them by id through access.view) (C-KEY-CHECK)",
        "C-KEY-CHECK",
      );
    }
    return held.keyed;
  }

  #check(held: Held, key: DictKey): Promise<boolean> {
    let known: boolean | undefined;
    try {
      const keyed = this.#keyed(held);
      const id = keyed?.dictionary.idOf(key);
      if (id !== undefined) known = keyed!.ids.has(id);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    if (known !== undefined) return Promise.resolve(known);
    return this.#refreshed(held).then((keyed) => {
      const id = keyed?.dictionary.idOf(key);
      return id !== undefined && keyed!.ids.has(id);
    });
  }

  async #filter<T>(held: Held, records: Iterable<T>, keyOf: (record: T) => DictKey): Promise<T[]> {
    const keyed = this.#keyed(held);
    const items = [...records];
    const verdicts = new Array<boolean>(items.length).fill(false);
    const unknown: [number, DictKey][] = [];
    items.forEach((item, i) => {
      const key = keyOf(item);
      const id = keyed?.dictionary.idOf(key);
      if (id === undefined) unknown.push([i, key]);
      else verdicts[i] = keyed!.ids.has(id);
    });
    if (unknown.length > 0) {
      const fresh = await this.#refreshed(held);
      if (fresh !== undefined && fresh !== keyed) {
        for (const [i, key] of unknown) {
          const id = fresh.dictionary.idOf(key);
          verdicts[i] = id !== undefined && fresh.ids.has(id);
        }
      }
    }
    return items.filter((_, i) => verdicts[i]);
  }

  /** The keyed set after a refresh of its dictionary (rate-limited by the cache): a newer copy is bound. */
  async #refreshed(held: Held): Promise<KeyedIdSet | undefined> {
    const before = held.copy;
    const fresh = await this.#dictionaries.refresh(this.view.tenantId, held.kind, before);
    // Another refresh of this Access may have bound a newer copy meanwhile: keep the newest.
    if (fresh !== null && fresh !== held.copy && (held.copy === null || fresh.lineage !== held.copy.lineage || fresh.size > held.copy.size)) {
      this.#bind(held, fresh, false);
    }
    return held.keyed;
  }
}
