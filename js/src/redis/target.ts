/**
 * {@link Target}: which Redis deployment to talk to — one server, or a Redis Cluster by its
 * seed nodes — and how long every call may wait for it.
 */

import { invalidInput } from "../errors.js";

/**
 * A Redis deployment with the timeouts every call is held to: a server that stops answering
 * gives a `StoreError` of kind `timeout`, never a hang.
 *
 * ```ts
 * const one = Target.standalone("redis://127.0.0.1:6379");
 * const cluster = Target.parse(process.env.REDIS_CLUSTER_URL!).withTimeout(250); // "redis://a:7000,redis://b:7000"
 * ```
 */
export class Target {
  /** The default response timeout, in milliseconds. */
  static readonly DEFAULT_TIMEOUT_MS = 1_000;
  /** The default connection timeout, in milliseconds. */
  static readonly DEFAULT_CONNECT_TIMEOUT_MS = 1_000;

  /** The server's URL, or the cluster's seeds. */
  readonly urls: readonly string[];
  /** Whether this is a Redis Cluster. */
  readonly isCluster: boolean;
  /** How long a call waits for the server's answer, in milliseconds. */
  readonly timeoutMs: number;
  /** How long connecting may take, in milliseconds. */
  readonly connectTimeoutMs: number;

  private constructor(urls: readonly string[], isCluster: boolean, timeoutMs: number, connectTimeoutMs: number) {
    if (urls.length === 0) invalidInput("no Redis URL given");
    for (const u of urls) checkUrl(u);
    this.urls = Object.freeze([...urls]);
    this.isCluster = isCluster;
    this.timeoutMs = timeoutMs;
    this.connectTimeoutMs = connectTimeoutMs;
  }

  /** One Redis server, by URL (`redis://[user:password@]host:port[/db]`, or `rediss://` for TLS). */
  static standalone(url: string): Target {
    return new Target([url], false, Target.DEFAULT_TIMEOUT_MS, Target.DEFAULT_CONNECT_TIMEOUT_MS);
  }

  /**
   * A Redis Cluster, by the URLs of some of its nodes (seeds); node-redis finds the rest and
   * follows `MOVED` and `ASK` redirects itself.
   */
  static cluster(seeds: Iterable<string>): Target {
    return new Target([...seeds], true, Target.DEFAULT_TIMEOUT_MS, Target.DEFAULT_CONNECT_TIMEOUT_MS);
  }

  /**
   * One URL is a standalone server; several, separated by commas, are cluster seeds (the form
   * of `REDIS_CLUSTER_URL`). A single URL prefixed with `cluster:` is a one-seed cluster.
   * Throws `invalid_input` for an empty list or a URL that does not parse.
   */
  static parse(spec: string): Target {
    const forced = spec.startsWith("cluster:");
    const urls = (forced ? spec.slice("cluster:".length) : spec)
      .split(",")
      .map((u) => u.trim())
      .filter((u) => u.length > 0);
    if (urls.length === 0) invalidInput("no Redis URL given");
    return urls.length === 1 && !forced ? Target.standalone(urls[0]!) : Target.cluster(urls);
  }

  /** The same deployment, with calls waiting at most `ms` for an answer (default 1,000). */
  withTimeout(ms: number): Target {
    return new Target(this.urls, this.isCluster, positive(ms, "timeout"), this.connectTimeoutMs);
  }

  /** The same deployment, with connecting taking at most `ms` (default 1,000). */
  withConnectTimeout(ms: number): Target {
    return new Target(this.urls, this.isCluster, this.timeoutMs, positive(ms, "connect timeout"));
  }

  /** `url`, or the cluster's seeds separated by commas. */
  toString(): string {
    return this.urls.join(",");
  }
}

function positive(ms: number, what: string): number {
  if (!Number.isFinite(ms) || ms <= 0) invalidInput(`a ${what} of ${String(ms)} ms: give a positive number of milliseconds`);
  return ms;
}

function checkUrl(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    invalidInput(`${JSON.stringify(url)} is not a Redis URL (redis://host:port)`);
  }
  if (u.protocol !== "redis:" && u.protocol !== "rediss:") {
    invalidInput(`${JSON.stringify(url)} is not a Redis URL: the scheme is redis:// or rediss://`);
  }
}
