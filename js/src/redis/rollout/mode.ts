/**
 * {@link RolloutMode}: which form of a tenant's sessions a service reads during the rollout
 * (ROLLOUT.md RO-MODE) — `legacy`, `shadow` or `blob` — and {@link parseRolloutMode}, the one
 * place a mode's name is checked.
 */

import { SessionpackError } from "../../errors.js";

/**
 * A tenant's rollout mode (ROLLOUT.md §2): `legacy` reads the legacy JSON key and decides
 * through the mapping; `shadow` reads both, answers from the legacy session and counts every
 * probe the blob decides otherwise; `blob` reads the blob only.
 */
export type RolloutMode = "legacy" | "shadow" | "blob";

/** The three modes, in the order of the rollout. */
export const ROLLOUT_MODES: readonly RolloutMode[] = Object.freeze(["legacy", "shadow", "blob"]);

/** Whether `value` is a mode's name (lower case, nothing else). */
export function isRolloutMode(value: unknown): value is RolloutMode {
  return value === "legacy" || value === "shadow" || value === "blob";
}

/**
 * `value` as a {@link RolloutMode}: exactly `"legacy"`, `"shadow"` or `"blob"`; anything else
 * (another case, spaces, another type) is `invalid_input` naming what was given and, when
 * given, where it came from (`what`).
 *
 * ```ts
 * parseRolloutMode("shadow");                    // "shadow"
 * parseRolloutMode("Shadow", "the field acme");  // throws invalid_input
 * ```
 */
export function parseRolloutMode(value: unknown, what = "a rollout mode"): RolloutMode {
  if (isRolloutMode(value)) return value;
  const shown = typeof value === "string" ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : value === null ? "null" : typeof value;
  throw new SessionpackError("invalid_input", `${what} is ${shown}, not a rollout mode: write "legacy", "shadow" or "blob" (lower case) (RO-MODE)`, "RO-MODE");
}
