/**
 * sessionpack/redis: sessions and id dictionaries on Redis and Redis Cluster, through the
 * service's own client — node-redis 5.9+ (client or cluster) or ioredis 5+ (`Redis` or
 * `Cluster`), both optional peer dependencies, neither loaded unless used — or through
 * connections of its own to a URL (node-redis, loaded then).
 *
 * - {@link SessionStore}: `put` (with a TTL), `get` (`null` for a missing or Redis-expired
 *   key), `peek` (the 40-byte header only), `delete`; the same for id dictionaries, with an
 *   append that converges under concurrent writers.
 * - {@link SessionCache}: a bounded cache (entries and bytes) of validated sessions, fresh by
 *   header checks or by RESP3 client tracking; every use re-applies expiry and the
 *   keys-imply-a-MAC rule.
 * - {@link DictionaryCache}: the same for id dictionaries (bounded by bytes), with "refresh
 *   once, then deny" for a key a copy lacks, at most once per dictionary per interval.
 * - {@link SessionAccess}: a session and its tenant's dictionaries as one read-only
 *   {@link Access} (`canSee(key)`, `filter(records, keyOf)`); {@link sessionpackExpress},
 *   {@link sessionpackFastify} and {@link withSession} put it on requests and jobs, and
 *   {@link statusOf} maps errors to HTTP statuses (401, 503, 500).
 * - The rollout from legacy JSON sessions (ROLLOUT.md): {@link RolloutAccess} reads each
 *   tenant's sessions in its {@link RolloutMode} (`legacy`, `shadow` with every probe counted,
 *   `blob`) as a {@link RolloutSession} with the same checks, the mode coming from a
 *   {@link RolloutPolicy} (a function, or {@link RedisRolloutPolicy} on a Redis hash); the
 *   middleware take it with `options.tenant`; {@link dualWrite} writes both forms with one expiry.
 *
 * The caches and the middleware export metrics through OpenTelemetry (METRICS.md at the
 * repository's root), on the meter of their `metrics` option or the global one of the optional
 * peer `@opentelemetry/api`; without it, nothing.
 *
 * **On any error, deny access.** A missing key is `null`, never an error.
 */

export { Target } from "./target.js";
export { StoreError, errorKind, type StoreErrorKind } from "./errors.js";
export { SessionStore, type StoreOptions, type Payload } from "./store.js";
export { DictHeader } from "../dict-header.js";
export { type Connectable, type TimeoutOptions } from "./link.js";
export { SessionCache } from "./cache.js";
export { type CacheOptions, type CacheStats, type Freshness, type TrackingOptions } from "./shared.js";
export {
  DictionaryCache,
  defaultDictionaryKey,
  type DictKey,
  type DictionaryCacheOptions,
  type DictionaryCacheStats,
  type DictionaryFreshness,
  type SessionCacheLike,
} from "./dictionaries.js";
export { SessionAccess, Access, NoSessionError } from "./access.js";
export {
  statusOf,
  statusOfKind,
  denyBody,
  type DenyStatus,
  type MiddlewareOptions,
  type RolloutMiddlewareOptions,
  type MiddlewareAccess,
  type RequestAccess,
} from "./http.js";
export { sessionpackExpress, type ResponseLike, type WithSessionpack, type WithRolloutSessionpack, type ExpressMiddleware } from "./express.js";
export {
  sessionpackFastify,
  type FastifyLike,
  type ReplyLike,
  type FastifyPlugin,
  type FastifyPluginOptions,
  type RolloutFastifyPluginOptions,
} from "./fastify.js";
export { withSession } from "./worker.js";
export {
  type MetricsOption,
  type MeterLike,
  type MeterProviderLike,
  type HistogramLike,
  type ObservableLike,
  type BatchObservableResultLike,
  type InstrumentOptionsLike,
  type MetricAttributesLike,
} from "./otel.js";
export { type RolloutMode, ROLLOUT_MODES, isRolloutMode, parseRolloutMode } from "./rollout/mode.js";
export { KeyTemplate } from "./rollout/template.js";
export { type RolloutPolicy, type RolloutPolicyLike } from "./rollout/policy.js";
export { RedisRolloutPolicy, DEFAULT_ROLLOUT_KEY, type RedisRolloutPolicyOptions } from "./rollout/redis-policy.js";
export { RolloutAccess, type RolloutAccessOptions } from "./rollout/rollout-access.js";
export { RolloutSession } from "./rollout/rollout-session.js";
export { type ShadowCounts, type ProbeCounts } from "./rollout/shadow-counts.js";
export { logShadowDisagreement, logShadowBlobUnreadable, type ShadowDisagreement, type ShadowBlobUnreadable, type ProbeSet } from "./rollout/shadow-log.js";
export { dualDelete, dualExpire, dualWrite, type DualDelete, type DualExpire, type DualExpired, type DualWrite, type DualWritten } from "./rollout/dual-write.js";
