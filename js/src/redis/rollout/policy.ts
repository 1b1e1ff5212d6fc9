/**
 * {@link RolloutPolicy}: where a tenant's mode comes from on every read (ROLLOUT.md §3) — a
 * function the application supplies, or an object with `modeOf` (`RedisRolloutPolicy`) — and
 * {@link modeOf}, which asks it and checks the answer.
 */

import { parseRolloutMode, type RolloutMode } from "./mode.js";

/** A policy object: answers without I/O (`RedisRolloutPolicy` is one). */
export interface RolloutPolicyLike {
  /** The mode of `tenant` now. */
  modeOf(tenant: string): RolloutMode;
}

/**
 * A rollout policy: `(tenant) => mode`, called on every read (cheap, never blocking), or a
 * {@link RolloutPolicyLike}. An answer that is not a mode fails the read (`invalid_input`).
 *
 * ```ts
 * const policy: RolloutPolicy = (tenant) => (tenant === "acme" ? "shadow" : "legacy");
 * ```
 */
export type RolloutPolicy = ((tenant: string) => RolloutMode) | RolloutPolicyLike;

/** Whether `x` is a {@link RolloutPolicy}. */
export function isRolloutPolicy(x: unknown): x is RolloutPolicy {
  return typeof x === "function" || (typeof x === "object" && x !== null && typeof (x as { modeOf?: unknown }).modeOf === "function");
}

/**
 * The mode `policy` gives `tenant`, checked (RO-MODE): an answer that is not a mode is
 * `invalid_input`.
 *
 * ```ts
 * modeOf(() => "blob", "acme");   // "blob"
 * ```
 */
export function modeOf(policy: RolloutPolicy, tenant: string): RolloutMode {
  const answer: unknown = typeof policy === "function" ? policy(tenant) : policy.modeOf(tenant);
  return parseRolloutMode(answer, `the rollout policy's answer for the tenant ${JSON.stringify(tenant)}`);
}
