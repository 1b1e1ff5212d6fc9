// The types of fastify-service.mjs, for the tests that run the example under the strict compiler
// (test/middleware.test.ts, on Fastify 4 and 5). The app is typed by what the service and its
// callers call of it, so that both majors' `fastify` fit.
import type { ServiceDeps } from "./express-service.mjs";

/**
 * The part of a Fastify instance (4 or 5) the service and its callers use. The service's own
 * calls (`register` with the plugin of `sessionpackFastify`, `get` with the route's handler,
 * `setErrorHandler`) take `unknown` here: Fastify's overloaded, generic declarations of them
 * accept no single signature both majors share. (Each major's own `register` takes a
 * `FastifyPlugin`: test/fastify-types.check.ts type-checks that.)
 */
export interface FastifyApp {
  register(plugin: unknown): PromiseLike<unknown>;
  get(path: string, handler: unknown): unknown;
  setErrorHandler(handler: unknown): unknown;
  listen(options: { port: number; host: string }): Promise<string>;
  close(): PromiseLike<unknown>;
}

/**
 * The app, on `fastify` (the framework's default export, 4 or 5), with the same `GET /records`
 * as the Express service; registered and ready to listen.
 *
 * ```ts
 * import fastify from "fastify";
 * const app = await createFastifyService(fastify, { access, records: async () => [] });
 * await app.listen({ port: 3000, host: "127.0.0.1" });
 * ```
 */
export function createFastifyService<App extends FastifyApp>(fastify: (options: { logger: boolean }) => App, deps: ServiceDeps): Promise<App>;
