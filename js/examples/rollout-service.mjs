// Rolling out (ROLLOUT.md): a service that reads each tenant's sessions in the tenant's rollout
// mode — `legacy` (the legacy JSON key, through the mapping), `shadow` (both; answers from
// legacy; every disagreement counted and logged) or `blob` — switched per tenant with one
// command while it runs:
//
//   redis-cli HSET sessionpack:rollout acme shadow   # read both, decide from legacy, count
//   redis-cli HSET sessionpack:rollout acme blob     # read the blob only
//   redis-cli HDEL sessionpack:rollout acme          # back to the default (`*`, else legacy)
//
//   REDIS_URL=redis://127.0.0.1:6379 SESSIONPACK_KEY=<64 hex digits> MAPPING=examples/legacy-mapping.json \
//     node examples/rollout-service.mjs
//
// The issuing side writes both forms while any tenant reads `legacy` or `shadow`: see `issue`.
// (`test/rollout-middleware.test.ts` runs these apps on Express 5 and Fastify 5.)
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { LegacyMapping, encode } from "sessionpack";
import { RedisRolloutPolicy, RolloutAccess, dualWrite, sessionpackExpress, sessionpackFastify } from "sessionpack/redis";
import { connectAccess } from "./express-service.mjs";
import { bearer } from "./keys.mjs";

const ID = /^[A-Za-z0-9_-]{1,128}$/;

/** The legacy key of a session id: `sess:<id>` (ids of letters, digits, `-` and `_` only); `undefined` otherwise (401). */
export function legacyKeyOf(sessionId) {
  return typeof sessionId === "string" && ID.test(sessionId) ? `sess:${sessionId}` : undefined;
}

/** The tenant a request names (`X-Tenant`), checked as an id; `undefined` otherwise (401). It picks the rollout mode, nothing else. */
export function tenantOf(header) {
  return typeof header === "string" && ID.test(header) ? header : undefined;
}

/**
 * The rollout reader over `redis` (the service's own client): the caches of the blob side, the
 * mapping, and the policy — a Redis hash (`sessionpack:rollout`) unless `options.policy` gives one.
 */
export async function connectRollout(redis, keys, mapping, options = {}) {
  const { access, close } = await connectAccess(redis, keys, { freshness: "header-check" });
  const policy = options.policy ?? (await RedisRolloutPolicy.start(redis, { onError: (e) => console.warn("rollout policy:", e.message) }));
  const rollout = await RolloutAccess.connect({ access, mapping, policy, ...(options.onDisagreement ? { onDisagreement: options.onDisagreement } : {}) });
  return {
    rollout,
    close: async () => {
      await rollout.close();
      if (options.policy === undefined) await policy.close();
      await close();
    },
  };
}

/** The Express app (4 or 5): `GET /records` answers the records the caller may see, decided in its tenant's mode. */
export function createRolloutExpressService(express, { rollout, records, onError }) {
  const app = express();
  app.disable("x-powered-by");
  app.use(
    sessionpackExpress(rollout, {
      tenant: (req) => tenantOf(req.headers["x-tenant"]),
      sessionKey: (req) => legacyKeyOf(bearer(req.headers.authorization)),
      onError,
    }),
  );
  app.get("/records", async (req, res, next) => {
    try {
      res.json(await req.sessionpack.filter(await records(), (r) => r.facilityId));
    } catch (e) {
      next(e);
    }
  });
  app.use((err, req, res, _next) => {
    onError?.(err, req);
    res.status(500).json({ error: "internal" });
  });
  return app;
}

/** The same service on Fastify (4 or 5). */
export async function createRolloutFastifyService(fastify, { rollout, records, onError }) {
  const app = fastify({ logger: false });
  await app.register(
    sessionpackFastify(rollout, {
      tenant: (request) => tenantOf(request.headers["x-tenant"]),
      sessionKey: (request) => legacyKeyOf(bearer(request.headers.authorization)),
      onError,
    }),
  );
  app.get("/records", async (request) => request.sessionpack.filter(await records(), (r) => r.facilityId));
  app.setErrorHandler((err, request, reply) => {
    onError?.(err, request);
    return reply.code(500).send({ error: "internal" });
  });
  return app;
}

/**
 * The issuing side (login, refresh): the legacy JSON as before, and its blob — converted with
 * the mapping through the tenant's dictionaries, signed — under `sp:sess:<id>`, both with one
 * absolute expiry.
 */
export async function issue(redis, { sessionId, legacyJson, mapping, facilities, groups, macKey, ttlMs }) {
  const { session } = mapping.convert(legacyJson, { facilities, groups });
  return dualWrite(redis, { legacyKey: legacyKeyOf(sessionId), legacyJson, blob: encode(session, { key: macKey }), ttlMs });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const express = (await import(process.env.EXPRESS_MODULE ?? "express")).default;
  const { createClient } = await import("redis");
  const keys = [{ id: Number(process.env.SESSIONPACK_KEY_ID ?? 1), key: Buffer.from(process.env.SESSIONPACK_KEY ?? "", "hex") }];
  const mapping = LegacyMapping.fromJson(readFileSync(process.env.MAPPING ?? "examples/legacy-mapping.json"));
  const redis = await createClient({ url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" }).connect();
  const { rollout } = await connectRollout(redis, keys, mapping);
  const app = createRolloutExpressService(express, { rollout, records: async () => [], onError: (e) => console.warn("denied:", e.kind ?? e.name) });
  app.listen(Number(process.env.PORT ?? 3000), () => console.log("listening"));
  setInterval(() => console.log(JSON.stringify({ shadow: rollout.shadowCounts() })), 60_000).unref();
}
