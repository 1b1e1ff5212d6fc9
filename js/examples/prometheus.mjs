// Prometheus scraping sessionpack's metrics (METRICS.md at the repository's root): an Express
// service whose caches and middleware report on an OpenTelemetry MeterProvider read by
// @opentelemetry/exporter-prometheus, served as `GET /metrics` by the same app (or, without
// `preventServerStart`, on the exporter's own port 9464). The application installs
// @opentelemetry/api, @opentelemetry/sdk-metrics and @opentelemetry/exporter-prometheus; the
// package itself only needs @opentelemetry/api, as an optional peer.
//
//   REDIS_URL=redis://127.0.0.1:6379 SESSIONPACK_KEY=<64 hex digits> node examples/prometheus.mjs
//   curl -s localhost:3000/metrics | grep ^sessionpack_
//
// Prometheus then scrapes it with:
//
//   scrape_configs:
//     - job_name: my-service
//       static_configs: [{ targets: ["my-service:3000"] }]
//
// (`test/metrics.test.ts` runs this app against a server and checks what /metrics shows.)
import { pathToFileURL } from "node:url";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { MeterProvider } from "@opentelemetry/sdk-metrics";
import { SessionAccess, SessionCache, sessionpackExpress } from "sessionpack/redis";
import { bearer, sessionKeyOf } from "./keys.mjs";

/**
 * A MeterProvider whose metrics a Prometheus exporter serves: `exporter.getMetricsRequestHandler`
 * answers a scrape. (To register it for every library of the process instead of passing it:
 * `metrics.setGlobalMeterProvider(meterProvider)` from @opentelemetry/api, before connecting.)
 */
export function prometheusMetrics() {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter] });
  return { exporter, meterProvider };
}

/** The caches over `redis` (a URL, or the app's own client), reporting on `meterProvider`. */
export async function connectAccess(redis, keys, meterProvider, freshness = "tracking") {
  const sessions = await SessionCache.connect(redis, { freshness, keys, metrics: meterProvider });
  const dictionaries = sessions.dictionaries({ keys });
  return {
    access: new SessionAccess({ sessions, dictionaries }),
    close: async () => {
      await dictionaries.close();
      await sessions.close();
    },
  };
}

/**
 * The app (`express`: Express 4 or 5's default export): `GET /metrics` for Prometheus (before
 * the middleware: a scrape carries no session), then the sessionpack middleware and
 * `GET /facilities/:id`, whether the caller's session may see that facility.
 */
export function createApp(express, { access, exporter }) {
  const app = express();
  app.disable("x-powered-by");
  app.get("/metrics", (req, res) => exporter.getMetricsRequestHandler(req, res));
  app.use(sessionpackExpress(access, { sessionKey: (req) => sessionKeyOf(bearer(req.headers.authorization)) }));
  app.get("/facilities/:id", (req, res, next) => {
    req.sessionpack.canSee(req.params.id).then((visible) => res.json({ visible }), next);
  });
  return app;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const express = (await import(process.env.EXPRESS_MODULE ?? "express")).default;
  const keys = [{ id: Number(process.env.SESSIONPACK_KEY_ID ?? 1), key: Buffer.from(process.env.SESSIONPACK_KEY ?? "", "hex") }];
  const { exporter, meterProvider } = prometheusMetrics();
  const { access } = await connectAccess(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", keys, meterProvider);
  createApp(express, { access, exporter }).listen(Number(process.env.PORT ?? 3000), () => console.log("listening; metrics at /metrics"));
}
