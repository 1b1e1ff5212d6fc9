/**
 * Compiled, never run: `npm run build:test` type-checks this file, so a TypeScript service can
 * `register` the plugin on Fastify 4 and on Fastify 5 with their own types and no cast (a
 * `FastifyLike` narrower than Fastify's `addHook` overloads once made that impossible).
 */
import Fastify4 from "fastify4";
import Fastify5 from "fastify5";
import { sessionpackFastify, type RolloutAccess, type SessionAccess } from "../dist/redis/index.js";

export function registersOnBothMajors(access: SessionAccess): void {
  const plugin = sessionpackFastify(access, {
    sessionKey: (request: { headers: Record<string, unknown> }) => `session:${String(request.headers["x-session"])}`,
  });
  void Fastify4().register(plugin);
  void Fastify5().register(plugin);
}

export function registersRolloutOnBothMajors(rollout: RolloutAccess): void {
  const plugin = sessionpackFastify(rollout, {
    tenant: (request: { headers: Record<string, unknown> }) => String(request.headers["x-tenant"]),
    sessionKey: (request: { headers: Record<string, unknown> }) => `sess:${String(request.headers["x-session"])}`,
  });
  void Fastify4().register(plugin);
  void Fastify5().register(plugin);
}
