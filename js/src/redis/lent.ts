/**
 * What a `SessionCache` lends a `DictionaryCache` that shares its connection and tracker:
 * recorded by the session cache when it is made, looked up by the dictionary cache. Its own
 * module so that the two caches do not import each other (the session cache makes dictionary
 * caches; the dictionary cache only reads what was lent).
 */

import type { Link } from "./link.js";
import type { Timers } from "./metrics.js";
import type { Shared } from "./shared.js";
import type { Tracker } from "./tracking.js";

/** The connection, state and tracker of a session cache (internal). */
export interface CacheInternals {
  readonly link: Link;
  readonly shared: Shared;
  readonly tracker: Tracker | undefined;
  /** The instruments of the cache's meter; undefined when its metrics are off. */
  readonly timers: Timers | undefined;
}

const INTERNALS = new WeakMap<object, CacheInternals>();

/** Records what `cache` lends (called once, by the session cache's constructor). */
export function lend(cache: object, internals: CacheInternals): void {
  INTERNALS.set(cache, internals);
}

/** The connection, state and tracker of `cache` (internal: for `DictionaryCache`); undefined for anything else. */
export function internalsOf(cache: unknown): CacheInternals | undefined {
  return typeof cache === "object" && cache !== null ? INTERNALS.get(cache) : undefined;
}
