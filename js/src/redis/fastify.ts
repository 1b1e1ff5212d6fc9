/**
 * A Fastify plugin (Fastify 4 and 5): loads the request's session with its access checks onto
 * `request.sessionpack`, or answers 401 / 503 / 500 with a short generic body.
 */

import type { SessionAccess } from "./access.js";
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

/** The part of a Fastify instance the plugin uses. */
export interface FastifyLike {
  decorateRequest(name: string, value: unknown): unknown;
  hasRequestDecorator(name: string): boolean;
  /**
   * Typed so that Fastify 4's and 5's own `addHook` overloads are assignable to it: a request is
   * any object, and a reply's `code`/`header` return something the hook never uses.
   */
  addHook(name: "onRequest" | "preHandler", hook: (request: object, reply: ReplyLike) => Promise<unknown>): unknown;
}

/** The part of a Fastify reply the plugin answers denials with. */
export interface ReplyLike {
  readonly sent: boolean;
  code(status: number): unknown;
  header(name: string, value: string): unknown;
  send(body: string): unknown;
}

/** Options of {@link sessionpackFastify}: {@link MiddlewareOptions} and the hook to run in. */
export interface FastifyPluginOptions<Req> extends MiddlewareOptions<Req> {
  /** `"onRequest"` (default: before the body is read) or `"preHandler"` (after validation, when the key comes from the body). */
  hook?: "onRequest" | "preHandler";
}

/** Options of {@link sessionpackFastify} over a `RolloutAccess`: {@link RolloutMiddlewareOptions} and the hook to run in. */
export interface RolloutFastifyPluginOptions<Req> extends RolloutMiddlewareOptions<Req> {
  /** As {@link FastifyPluginOptions.hook}. */
  hook?: "onRequest" | "preHandler";
}

/** A Fastify plugin function (callback style, which Fastify 4 and 5 both take). */
export type FastifyPlugin = ((instance: FastifyLike, opts: unknown, done: (err?: Error) => void) => void) & {
  readonly [key: symbol]: unknown;
};

/**
 * A Fastify plugin: decorates requests with `sessionpack` and adds a hook that, for each request,
 * loads the session named by `options.sessionKey(request)` and its facility dictionary through
 * `access`, setting `request.sessionpack` to a frozen {@link Access} (`view`, `canSee(key)`,
 * `filter(records, keyOf)`).
 *
 * Any failure answers at once (the route handler never runs) with JSON
 * `{"error":"unauthorized"}` (401), `{"error":"unavailable"}` (503, `Retry-After: 1`) or
 * `{"error":"internal"}` (500), as `statusOfKind` maps the error's kind; the cause goes to
 * `options.onError(err, request)` only (each request is counted in `sessionpack.middleware.requests`, granted or denied by
 * kind, on the meter of `access.sessions`: METRICS.md) — the hook sends the reply itself rather than throwing,
 * so Fastify's error handler never puts an error's message in a body.
 *
 * The plugin does not encapsulate (like `fastify-plugin`): it applies to the context it is
 * registered in and that context's children. Register it inside a plugin of your own to guard
 * only that plugin's routes.
 *
 * ```js
 * import Fastify from "fastify";
 * const app = Fastify();
 * await app.register(sessionpackFastify(access, {
 *   sessionKey: (request) => request.headers["x-session"] && `session:${request.headers["x-session"]}`,
 * }));
 * app.get("/records", async (request) => request.sessionpack.filter(await loadRecords(), (r) => r.facilityId));
 * ```
 *
 * With TypeScript: `declare module "fastify" { interface FastifyRequest { sessionpack: import("sessionpack/redis").Access } }`.
 *
 * **During the rollout** (ROLLOUT.md), give a `RolloutAccess` and `options.tenant(request)`:
 * each request is read in its tenant's mode and `request.sessionpack` is a `RolloutSession`
 * with the same checks; without `tenant`, the call throws at setup.
 *
 * ```js
 * await app.register(sessionpackFastify(rollout, {
 *   tenant: (request) => request.headers["x-tenant"],
 *   sessionKey: (request) => request.headers["x-session"] && `sess:${request.headers["x-session"]}`,
 * }));
 * ```
 */
export function sessionpackFastify<Req extends object>(access: SessionAccess, options: FastifyPluginOptions<Req>): FastifyPlugin;
export function sessionpackFastify<Req extends object>(access: RolloutAccess, options: RolloutFastifyPluginOptions<Req>): FastifyPlugin;
export function sessionpackFastify<Req extends object>(access: MiddlewareAccess, options: FastifyPluginOptions<Req>): FastifyPlugin {
  checkOptions(access, options);
  const hook = options.hook ?? "onRequest";
  if (hook !== "onRequest" && hook !== "preHandler") throw new TypeError('options.hook must be "onRequest" or "preHandler"');
  const challenge = options.challenge;
  const tally = requestTally(access);
  const plugin = (instance: FastifyLike, _opts: unknown, done: (err?: Error) => void): void => {
    if (!instance.hasRequestDecorator("sessionpack")) instance.decorateRequest("sessionpack", null);
    instance.addHook(hook, async (req: object, reply: ReplyLike) => {
      const request = req as Req;
      let a: RequestAccess;
      try {
        a = await loadFor(access, options, request, tally);
      } catch (e) {
        report(options, e, request);
        const status = statusOf(e);
        if (reply.sent) return reply;
        reply.code(status);
        for (const [k, v] of Object.entries(denyHeaders(status, challenge))) reply.header(k, v);
        reply.send(denyBody(status));
        return reply;
      }
      (request as { sessionpack: RequestAccess }).sessionpack = a;
      return undefined;
    });
    done();
  };
  // What fastify-plugin sets: no encapsulation, a name in errors and in the plugin tree.
  Object.defineProperties(plugin, {
    [Symbol.for("skip-override")]: { value: true },
    [Symbol.for("fastify.display-name")]: { value: "sessionpack" },
    [Symbol.for("plugin-meta")]: { value: { name: "sessionpack", fastify: ">=4" } },
  });
  return plugin as FastifyPlugin;
}
