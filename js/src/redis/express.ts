/**
 * Express middleware (Express 4 and 5, and Connect): loads the request's session with its
 * access checks onto `req.sessionpack`, or answers 401 / 503 / 500 with a short generic body.
 */

import type { Access, SessionAccess } from "./access.js";
import {
  checkOptions,
  denyBody,
  denyHeaders,
  loadFor,
  report,
  requestTally,
  statusOf,
  type MiddlewareAccess,
  type MiddlewareOptions,
  type RequestAccess,
  type RolloutMiddlewareOptions,
} from "./http.js";
import type { RolloutAccess } from "./rollout/rollout-access.js";
import type { RolloutSession } from "./rollout/rollout-session.js";

/** The part of a Node `ServerResponse` (Express's `res`) the middleware answers denials with. */
export interface ResponseLike {
  readonly headersSent: boolean;
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

/** A request the middleware has run on: `sessionpack` is its read-only {@link Access}. */
export interface WithSessionpack {
  readonly sessionpack: Access;
}

/** A request the middleware over a `RolloutAccess` has run on: `sessionpack` is its read-only {@link RolloutSession}. */
export interface WithRolloutSessionpack {
  readonly sessionpack: RolloutSession;
}

/** An Express (or Connect) middleware function. */
export type ExpressMiddleware<Req, Res> = (req: Req, res: Res, next: (err?: unknown) => void) => void;

/**
 * Express middleware: for each request, `options.sessionKey(req)` names the session's Redis key;
 * the session and its facility dictionary are loaded through `access` (so the caches' freshness,
 * expiry and key rules apply) and attached as `req.sessionpack`, a frozen {@link Access} with
 * `view`, `canSee(key)`, `filter(records, keyOf)`. Then `next()`.
 *
 * Any failure answers at once, never calling `next` (so nothing downstream runs ungranted), with
 * JSON `{"error":"unauthorized"}` (401: no key, no session, `expired`, `unauthenticated` — forged
 * or unsigned —, `not_a_blob`, `corrupt`), `{"error":"unavailable"}` (503 with `Retry-After: 1`:
 * `unavailable`, `timeout`) or `{"error":"internal"}` (500: anything else); see `statusOfKind`.
 * The cause goes to `options.onError(err, req)` only. Each request is counted in `sessionpack.middleware.requests` (granted, or denied by
 * kind: METRICS.md) on the meter of `access.sessions`. The middleware never returns a promise
 * and never calls `next(err)`, so it behaves the same under Express 4 and 5 and no error handler
 * can leak the detail.
 *
 * ```js
 * import express from "express";
 * const app = express();
 * app.use(sessionpackExpress(access, {
 *   sessionKey: (req) => req.get("authorization")?.replace(/^Bearer /, "session:"),
 *   onError: (err, req) => log.warn({ kind: err.kind, path: req.path }, "denied"),
 * }));
 * app.get("/records", async (req, res) => {
 *   res.json(await req.sessionpack.filter(await records.find().toArray(), (r) => r.facilityId));
 * });
 * ```
 *
 * With TypeScript, declare the property once:
 * `declare global { namespace Express { interface Request { readonly sessionpack: import("sessionpack/redis").Access } } }`.
 *
 * **During the rollout** (ROLLOUT.md), give a `RolloutAccess` and `options.tenant(req)`: each
 * request is read in its tenant's mode (`sessionKey` names the legacy key) and
 * `req.sessionpack` is a {@link RolloutSession} with the same `canSee` / `filter` / `inGroup`.
 * Without `tenant`, the call throws at setup.
 *
 * ```js
 * app.use(sessionpackExpress(rollout, {
 *   tenant: (req) => req.get("x-tenant"),
 *   sessionKey: (req) => req.cookies.sid && `sess:${req.cookies.sid}`,
 * }));
 * ```
 */
export function sessionpackExpress<Req extends object, Res extends ResponseLike>(access: SessionAccess, options: MiddlewareOptions<Req>): ExpressMiddleware<Req, Res>;
export function sessionpackExpress<Req extends object, Res extends ResponseLike>(access: RolloutAccess, options: RolloutMiddlewareOptions<Req>): ExpressMiddleware<Req, Res>;
export function sessionpackExpress<Req extends object, Res extends ResponseLike>(access: MiddlewareAccess, options: MiddlewareOptions<Req>): ExpressMiddleware<Req, Res> {
  checkOptions(access, options);
  const challenge = options.challenge;
  const tally = requestTally(access);
  return function sessionpack(req: Req, res: Res, next: (err?: unknown) => void): void {
    let loading: Promise<RequestAccess>;
    try {
      loading = loadFor(access, options, req, tally);
    } catch (e) {
      loading = Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    loading.then(
      (a) => {
        Object.defineProperty(req, "sessionpack", { value: a, writable: false, enumerable: true, configurable: true });
        next();
      },
      (e: unknown) => {
        report(options, e, req);
        const status = statusOf(e);
        if (res.headersSent) return;
        res.statusCode = status;
        for (const [k, v] of Object.entries(denyHeaders(status, challenge))) res.setHeader(k, v);
        res.end(denyBody(status));
      },
    );
  };
}
