/**
 * {@link StoreError}: what went wrong talking to Redis. A fault of the stored value is a
 * `SessionpackError` (`not_a_blob`, `corrupt`, `expired`, …), as from `Decoder.open`.
 */

import { SessionpackError, type ErrorKind } from "../errors.js";

/**
 * The kinds of a {@link StoreError}, named as in the Rust crate `sessionpack-redis`:
 * - `timeout`: the server did not answer within the target's timeout;
 * - `unavailable`: the server could not be reached, or the connection dropped;
 * - `server`: the server answered with an error;
 * - `contended`: a dictionary append kept losing to other writers.
 */
export type StoreErrorKind = "timeout" | "unavailable" | "server" | "contended";

/**
 * An error of the store or the cache that is not about the value: the server timed out, could
 * not be reached, or refused the command. **On any error, deny access**: none of them is a
 * session, and none is a missing key (that is `null`).
 */
export class StoreError extends Error {
  readonly kind: StoreErrorKind;

  constructor(kind: StoreErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreError";
    this.kind = kind;
  }
}

/**
 * The kind's name of any error the store or the cache throws: a `SessionpackError`'s kind
 * (`not_a_blob`, `expired`, …) or a `StoreError`'s (`timeout`, `unavailable`, `server`,
 * `contended`); `undefined` for anything else (a bug: deny access all the same).
 */
export function errorKind(e: unknown): ErrorKind | StoreErrorKind | undefined {
  if (e instanceof SessionpackError || e instanceof StoreError) return e.kind;
  return undefined;
}

/** `not_a_blob` for a key that holds another Redis type (a list, a hash, …). */
export function wrongType(key: string): SessionpackError {
  return new SessionpackError(
    "not_a_blob",
    `key ${JSON.stringify(key)} holds a Redis type other than a string, not a sessionpack blob (WRONGTYPE)`,
    "R-HDR-MAGIC",
  );
}

/**
 * Classifies what node-redis threw for a command on `key` (`timedOut`: our own timer fired).
 * WRONGTYPE is `not_a_blob`; other replies of the server are `server`; everything else —
 * refused connections, closed or offline clients, sockets that dropped — is `unavailable`.
 */
export function classify(e: unknown, key: string): SessionpackError | StoreError {
  if (e instanceof SessionpackError || e instanceof StoreError) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  const name = err.constructor.name;
  const message = err.message;
  if (/ErrorReply|SimpleError|BlobError/.test(name) || isReply(err)) {
    if (message.startsWith("WRONGTYPE")) return wrongType(key);
    if (/^(CLUSTERDOWN|LOADING|MASTERDOWN|TRYAGAIN)/.test(message)) {
      return new StoreError("unavailable", `Redis is unavailable: ${message}`, { cause: e });
    }
    return new StoreError("server", `Redis refused the command: ${message}`, { cause: e });
  }
  if (/Timeout/.test(name)) return new StoreError("timeout", `Redis did not answer in time: ${message}`, { cause: e });
  return new StoreError("unavailable", `Redis is unavailable: ${name}: ${message}`, { cause: e });
}

function isReply(err: Error): boolean {
  for (let p: unknown = Object.getPrototypeOf(err); p !== null && p !== Error.prototype; p = Object.getPrototypeOf(p)) {
    const ctor = (p as { constructor?: { name?: string } }).constructor;
    if (ctor?.name === "ErrorReply") return true;
  }
  return false;
}

/** The `timeout` error of a call that took longer than `ms`. */
export function timedOut(what: string, ms: number): StoreError {
  return new StoreError("timeout", `Redis did not answer ${what} within ${ms} ms`);
}

/**
 * `promise`, or a rejection with `onTimeout()` after `ms`. The original promise's later
 * rejection is swallowed (it has been reported as the timeout).
 */
export function within<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      reject(onTimeout());
    }, ms);
    promise.then(
      (v) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
