/**
 * Errors of the session and dictionary caches as HTTP answers: which status, which short body,
 * and the loading step the Express middleware and the Fastify plugin share. No detail of an
 * error ever reaches a response; it goes to the application's `onError` hook.
 */

import { SessionpackError } from "../errors.js";
import { type Access, NoSessionError, type SessionAccess } from "./access.js";
import { StoreError } from "./errors.js";
import { internalsOf } from "./lent.js";
import { RolloutAccess } from "./rollout/rollout-access.js";
import type { RolloutSession } from "./rollout/rollout-session.js";
import type { Tally } from "./tally.js";

/** The statuses the middleware answers with: 401 (no usable session), 503 (store unavailable), 500 (anything else). */
export type DenyStatus = 401 | 500 | 503;

/**
 * The HTTP status for an error kind (a `SessionpackError`'s, a `StoreError`'s, or
 * `"no_session"`); `undefined` (a bug, or not ours) is 500.
 *
 * | kind | status | why |
 * | --- | --- | --- |
 * | `no_session`, `expired`, `unauthenticated` | 401 | missing, expired, forged or unsigned: sign in again |
 * | `not_a_blob`, `corrupt` | 401 | the value under the session's key can't be trusted: treated as no session |
 * | `unavailable`, `timeout` | 503 | the store can't answer now: retry later, never grant |
 * | `server`, `contended`, `unsupported`, `limit`, `invalid_input`, `wrong_dictionary`, anything else | 500 | a fault of the deployment (a Redis error reply, a blob of a newer format, a dictionary of another lineage, a bad key from the app): signing in again would not help |
 *
 * ```ts
 * statusOfKind("expired");      // 401
 * statusOfKind("unavailable");  // 503
 * ```
 */
export function statusOfKind(kind: string | undefined): DenyStatus {
  switch (kind) {
    case "no_session":
    case "expired":
    case "unauthenticated":
    case "not_a_blob":
    case "corrupt":
      return 401;
    case "unavailable":
    case "timeout":
      return 503;
    default:
      return 500;
  }
}

/**
 * The HTTP status for anything the caches or {@link SessionAccess} threw: {@link statusOfKind}
 * of its kind (a `SessionpackError`, a `StoreError` or a {@link NoSessionError}); 500 for
 * anything else.
 *
 * ```ts
 * try { … } catch (e) { res.status(statusOf(e)).json({ error: "denied" }); }
 * ```
 */
export function statusOf(e: unknown): DenyStatus {
  if (e instanceof SessionpackError || e instanceof StoreError || e instanceof NoSessionError) return statusOfKind(e.kind);
  return 500;
}

/** The short, generic body of a denial with `status`: `{"error":"unauthorized"}`, `{"error":"unavailable"}` or `{"error":"internal"}`. */
export function denyBody(status: DenyStatus): string {
  return status === 401 ? '{"error":"unauthorized"}' : status === 503 ? '{"error":"unavailable"}' : '{"error":"internal"}';
}

/** The headers of a denial: JSON, never cached; `Retry-After: 1` on a 503; the challenge on a 401 when given. */
export function denyHeaders(status: DenyStatus, challenge: string | undefined): Record<string, string> {
  const h: Record<string, string> = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };
  if (status === 503) h["retry-after"] = "1";
  if (status === 401 && challenge !== undefined) h["www-authenticate"] = challenge;
  return h;
}

/** What the Express middleware and the Fastify plugin are told by the application. */
export interface MiddlewareOptions<Req> {
  /**
   * Where the request's session key comes from: the Redis key of its session, or `undefined` /
   * `null` / `""` when the request carries none (401). For example from a cookie
   * (`` req => req.cookies.sid && `session:${req.cookies.sid}` ``) or a bearer token.
   * Whatever it returns is looked up as it is: derive it from what the client sends with care
   * (a prefix of your own, so a client cannot name another kind of key).
   */
  sessionKey: (req: Req) => string | undefined | null;
  /**
   * Told of every denial's cause, for logs and metrics (`err` is a `NoSessionError`,
   * `SessionpackError`, `StoreError`, or what else was thrown); never changes the answer, and
   * its own throws are ignored.
   */
  onError?: (err: unknown, req: Req) => void;
  /** A `WWW-Authenticate` value to send with 401s (e.g. `Bearer realm="api"`); none by default. */
  challenge?: string;
}

/**
 * What the middleware is told when it reads through a {@link RolloutAccess} (ROLLOUT.md): the
 * options of {@link MiddlewareOptions}, `sessionKey` naming the **legacy** key, and the tenant
 * whose rollout mode decides how the request's session is read.
 */
export interface RolloutMiddlewareOptions<Req> extends MiddlewareOptions<Req> {
  /**
   * The request's tenant (it chooses the rollout mode, nothing else), or `undefined` / `null` /
   * `""` when the request names none (401). Required with a `RolloutAccess`.
   */
  tenant: (req: Req) => string | undefined | null;
}

/** What the middleware reads through: a {@link SessionAccess} (blobs) or a {@link RolloutAccess} (the tenant's rollout mode). */
export type MiddlewareAccess = SessionAccess | RolloutAccess;

/** What the middleware puts on a request: an {@link Access} (a `SessionAccess`), or a {@link RolloutSession} (a `RolloutAccess`). */
export type RequestAccess = Access | RolloutSession;

/**
 * Where a middleware over `access` counts its requests (`sessionpack.middleware.requests`,
 * METRICS.md): the tally of its session cache, which reports on that cache's meter; undefined
 * for a session cache that is not a `SessionCache`.
 */
export function requestTally(access: MiddlewareAccess): Tally | undefined {
  return internalsOf(access instanceof RolloutAccess ? access.access.sessions : access.sessions)?.shared.tally;
}

/**
 * Resolves to the request's {@link Access}, or rejects with why not (a `NoSessionError` for
 * none); counted in `tally` (granted, or denied by kind) when given.
 */
export async function loadFor<Req>(access: MiddlewareAccess, options: MiddlewareOptions<Req>, req: Req, tally?: Tally): Promise<RequestAccess> {
  try {
    const key = options.sessionKey(req);
    if (key === undefined || key === null || key === "") throw new NoSessionError("the request carries no session key");
    if (typeof key !== "string") throw new TypeError("sessionKey(req) must return a string, undefined or null");
    let a: RequestAccess | null;
    if (access instanceof RolloutAccess) {
      const tenant = (options as RolloutMiddlewareOptions<Req>).tenant(req);
      if (tenant === undefined || tenant === null || tenant === "") throw new NoSessionError("the request names no tenant");
      if (typeof tenant !== "string") throw new TypeError("tenant(req) must return a string, undefined or null");
      a = await access.load(tenant, key);
    } else {
      a = await access.load(key);
    }
    if (a === null) throw new NoSessionError("no session under the request's key (missing, deleted, or expired in Redis)");
    if (tally !== undefined) tally.granted++;
    return a;
  } catch (e) {
    tally?.deny(e);
    throw e;
  }
}

/** Tells `onError`, ignoring its throws. */
export function report<Req>(options: MiddlewareOptions<Req>, err: unknown, req: Req): void {
  try {
    options.onError?.(err, req);
  } catch {
    // a logging hook must not change the answer
  }
}

/** Checks the middleware's arguments: a `TypeError` saying what is expected. */
export function checkOptions<Req>(access: MiddlewareAccess, options: MiddlewareOptions<Req>): void {
  if (typeof access?.load !== "function") throw new TypeError("the first argument must be a SessionAccess or a RolloutAccess");
  if (typeof options?.sessionKey !== "function") throw new TypeError("options.sessionKey must be a function (req) => string | undefined");
  if (options.onError !== undefined && typeof options.onError !== "function") throw new TypeError("options.onError must be a function (err, req) => void");
  if (access instanceof RolloutAccess && typeof (options as Partial<RolloutMiddlewareOptions<Req>>).tenant !== "function") {
    throw new TypeError("with a RolloutAccess, options.tenant must be a function (req) => string | undefined: the request's tenant chooses its rollout mode");
  }
}
