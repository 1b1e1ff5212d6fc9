// A Fastify service (Fastify 4 or 5) with the same `GET /records` as express-service.mjs: the
// Mongo-shaped records the caller's session may see, by facility ObjectId; 401 / 503 / 500
// denials with short generic bodies.
//
//   REDIS_URL=redis://127.0.0.1:6379 SESSIONPACK_KEY=<64 hex digits> node examples/fastify-service.mjs
//
// (`test/middleware.test.ts` runs this app on Fastify 4 and 5 against a server and a cluster.)
import { pathToFileURL } from "node:url";
import { sessionpackFastify } from "sessionpack/redis";
import { connectAccess } from "./express-service.mjs";
import { bearer, sessionKeyOf } from "./keys.mjs";

/** The app: `fastify` is the framework's default export (4 or 5); the rest as for the Express service. */
export async function createFastifyService(fastify, { access, records, onError }) {
  const app = fastify({ logger: false });
  await app.register(
    sessionpackFastify(access, {
      sessionKey: (request) => sessionKeyOf(bearer(request.headers.authorization)),
      onError,
    }),
  );
  app.get("/records", async (request) => request.sessionpack.filter(await records(), (r) => r.facilityId));
  // Errors of handlers: nothing leaked, nothing granted.
  app.setErrorHandler((err, request, reply) => {
    onError?.(err, request);
    return reply.code(500).send({ error: "internal" });
  });
  return app;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const fastify = (await import(process.env.FASTIFY_MODULE ?? "fastify")).default;
  const keys = [{ id: Number(process.env.SESSIONPACK_KEY_ID ?? 1), key: Buffer.from(process.env.SESSIONPACK_KEY ?? "", "hex") }];
  const { default: Redis } = await import("ioredis");
  const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379"); // the service's own ioredis client
  const { access } = await connectAccess(redis, keys);
  const app = await createFastifyService(fastify, { access, records: async () => [], onError: (e) => console.warn("denied:", e.kind ?? e.name) });
  await app.listen({ port: Number(process.env.PORT ?? 3000), host: "127.0.0.1" });
}
