/**
 * {@link RedisRolloutPolicy}: the tenants' rollout modes kept in one Redis hash (ROLLOUT.md §3):
 * read whole (`HGETALL`) at start and every refresh interval in the background, answered from
 * memory on every read.
 */

import { SessionpackError } from "../../errors.js";
import { describeValue } from "../clients/types.js";
import { StoreError } from "../errors.js";
import { Link, type Connectable, type TimeoutOptions } from "../link.js";
import { isRolloutMode, type RolloutMode } from "./mode.js";
import type { RolloutPolicyLike } from "./policy.js";

/** The hash's default key. */
export const DEFAULT_ROLLOUT_KEY = "sessionpack:rollout";

/** The field that gives the mode of every tenant without a field of its own. */
const EVERY_TENANT = "*";

/** Options of {@link RedisRolloutPolicy.start}. */
export interface RedisRolloutPolicyOptions extends TimeoutOptions {
  /** The hash's key (default `sessionpack:rollout`). */
  key?: string;
  /** How often the hash is read again, ms (default 1,000). */
  refreshIntervalMs?: number;
  /**
   * Told when a refresh is refused (a value that is not a mode: once per refused version of the
   * hash) or fails (a store error: once until a refresh succeeds again); the policy keeps the
   * last hash it accepted. Default: `console.warn` of one line. Its own throws are ignored.
   */
  onError?: (err: SessionpackError | StoreError) => void;
}

/** A version of the hash, accepted. */
type Modes = ReadonlyMap<string, RolloutMode>;

/** The text of a hash field or value (a `Buffer` from the adapters). */
function text(v: unknown): string | undefined {
  if (Buffer.isBuffer(v)) return v.toString("utf8");
  return typeof v === "string" ? v : undefined;
}

/** `HGETALL`'s reply (a flat array of fields and values, a Map, or an object) as pairs of text. */
function pairsOf(reply: unknown, key: string): [string, string][] {
  const out: [string, string][] = [];
  const add = (f: unknown, v: unknown) => {
    const field = text(f);
    const value = text(v);
    if (field === undefined || value === undefined) throw new StoreError("server", `HGETALL ${JSON.stringify(key)} answered with ${describeValue(f)} → ${describeValue(v)}, not text`);
    out.push([field, value]);
  };
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) add(reply[i], reply[i + 1]);
  } else if (reply instanceof Map) {
    for (const [f, v] of reply) add(f, v);
  } else if (reply !== null && typeof reply === "object" && !Buffer.isBuffer(reply)) {
    for (const [f, v] of Object.entries(reply)) add(f, v);
  } else {
    throw new StoreError("server", `HGETALL ${JSON.stringify(key)} answered with ${describeValue(reply)}, not a hash`);
  }
  return out;
}

/** The pairs as a version of the modes, or the refusal naming the first field whose value is no mode (sorted by field). */
function modesOf(pairs: [string, string][], key: string): Modes | SessionpackError {
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const modes = new Map<string, RolloutMode>();
  for (const [field, value] of pairs) {
    if (!isRolloutMode(value)) {
      return new SessionpackError(
        "invalid_input",
        `the rollout hash ${JSON.stringify(key)} gives the field ${JSON.stringify(field)} the value ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}, ` +
          'which is not a mode: write "legacy", "shadow" or "blob" (lower case); this version of the hash is refused whole (RO-POLICY-INVALID)',
        "RO-POLICY-INVALID",
      );
    }
    modes.set(field, value);
  }
  return modes;
}

function defaultOnError(err: Error): void {
  console.warn(JSON.stringify({ sessionpack: "rollout_policy_error", kind: (err as { kind?: unknown }).kind ?? "other", message: err.message }));
}

/**
 * A rollout policy backed by a Redis hash (ROLLOUT.md §3): fields are tenant ids, values are
 * mode names, and the field `*` gives the mode of every tenant without one; a tenant with
 * neither is in `legacy` mode (RO-POLICY-DEFAULT). Read whole at start (a value that is not a
 * mode, or a store error, fails the start) and every `refreshIntervalMs` after on a timer that
 * does not keep the process alive (RO-POLICY-REFRESH); a refused or failed refresh keeps the
 * last accepted hash and tells `onError` (RO-POLICY-INVALID). {@link modeOf} never waits.
 *
 * It works over the service's own client (node-redis or ioredis, server or cluster), a
 * `Target` or a URL — as `SessionCache.connect` takes them; it never closes the service's client.
 *
 * ```ts
 * const policy = await RedisRolloutPolicy.start(redis, { onError: (e) => log.warn(e.message) });
 * policy.modeOf("acme");   // "legacy" until `redis-cli HSET sessionpack:rollout acme shadow`
 * await policy.close();    // at shutdown (the timer is unref()ed: it never holds the process)
 * ```
 */
export class RedisRolloutPolicy implements RolloutPolicyLike {
  /** The hash's key. */
  readonly key: string;
  /** How often the hash is read again, ms. */
  readonly refreshIntervalMs: number;
  readonly #link: Link;
  readonly #onError: (err: SessionpackError | StoreError) => void;
  #modes: Modes;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  /** What was last reported (so that one refused version, or one outage, is reported once). */
  #reported: string | undefined;
  #refreshes = 0;

  private constructor(link: Link, key: string, refreshIntervalMs: number, onError: (err: SessionpackError | StoreError) => void, modes: Modes) {
    this.#link = link;
    this.key = key;
    this.refreshIntervalMs = refreshIntervalMs;
    this.#onError = onError;
    this.#modes = modes;
  }

  /**
   * Reads the hash once and starts refreshing it. Fails (`invalid_input` naming the field and
   * the value, or the store's error) when the hash cannot be read or holds a value that is not
   * a mode; a missing hash is an empty one (every tenant `legacy`).
   */
  static async start(client: Connectable, options: RedisRolloutPolicyOptions = {}): Promise<RedisRolloutPolicy> {
    const key = options.key ?? DEFAULT_ROLLOUT_KEY;
    if (typeof key !== "string" || key === "") throw new SessionpackError("invalid_input", "RedisRolloutPolicy: options.key must be the hash's key, a non-empty string");
    const interval = options.refreshIntervalMs ?? 1000;
    if (typeof interval !== "number" || !Number.isFinite(interval) || interval <= 0) {
      throw new SessionpackError("invalid_input", `RedisRolloutPolicy: options.refreshIntervalMs must be a positive number of milliseconds, not ${String(interval)}`);
    }
    const onError = options.onError ?? defaultOnError;
    if (typeof onError !== "function") throw new SessionpackError("invalid_input", "RedisRolloutPolicy: options.onError must be a function (err) => void");
    const link = await Link.connect(client, options);
    let modes: Modes | SessionpackError;
    try {
      modes = modesOf(pairsOf(await link.query(key, ["HGETALL", key], true), key), key);
    } catch (e) {
      await link.close();
      throw e;
    }
    if (modes instanceof SessionpackError) {
      await link.close();
      throw modes;
    }
    const policy = new RedisRolloutPolicy(link, key, interval, onError, modes);
    policy.#schedule();
    return policy;
  }

  /** The mode of `tenant` now: its field, else the field `*`, else `legacy`. No I/O. */
  modeOf(tenant: string): RolloutMode {
    return this.#modes.get(tenant) ?? this.#modes.get(EVERY_TENANT) ?? "legacy";
  }

  /** The hash as last accepted: tenant (or `*`) → mode. */
  get modes(): ReadonlyMap<string, RolloutMode> {
    return new Map(this.#modes);
  }

  /** How many refreshes have completed since the start (accepted, refused or failed). */
  get refreshes(): number {
    return this.#refreshes;
  }

  /**
   * Reads the hash now (as the timer does): resolves once the version read is accepted, or
   * refused (kept the last, `onError` told). Never rejects.
   */
  async refresh(): Promise<void> {
    if (this.#closed) return;
    let got: Modes | SessionpackError | StoreError;
    let version = "";
    try {
      const pairs = pairsOf(await this.#link.query(this.key, ["HGETALL", this.key], true), this.key);
      got = modesOf(pairs, this.key);
      version = JSON.stringify(pairs);
    } catch (e) {
      got = e instanceof SessionpackError || e instanceof StoreError ? e : new StoreError("server", e instanceof Error ? e.message : String(e));
    }
    this.#refreshes++;
    if (this.#closed) return;
    if (got instanceof SessionpackError || got instanceof StoreError) {
      const what = got instanceof StoreError ? "store" : `hash:${version}`; // a store error: once per outage, whatever its kind
      if (what === this.#reported) return;
      this.#reported = what;
      try {
        this.#onError(got);
      } catch {
        // a logging hook must not stop the refreshes
      }
      return;
    }
    this.#reported = undefined;
    this.#modes = got;
  }

  #schedule(): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      void this.refresh().then(() => this.#schedule());
    }, this.refreshIntervalMs);
    timer.unref();
    this.#timer = timer;
  }

  /** Stops the refreshes and lets go of what the policy opened (never the service's client). `modeOf` keeps answering from the last hash. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#link.close();
  }
}
