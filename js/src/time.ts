/**
 * Times: Unix milliseconds, exact as `bigint` (the format's `i64`), and their everyday forms —
 * a `number` and a `Date` — given out only when they are exact.
 */

import { fail, invalidInput } from "./errors.js";

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
/** The largest |time| a `Date` holds: 100,000,000 days (ECMA-262 TimeClip), about ±275,760 years. */
const DATE_MAX = 8_640_000_000_000_000n;

/** A time as callers give it: Unix milliseconds as a `bigint` or an integer `number`, or a `Date`. */
export type TimeLike = bigint | number | Date;

/**
 * The exact `i64` milliseconds of `v`: a bigint in `i64`, a safe-integer number, or a valid
 * `Date`; `invalid_input` for anything else (a fraction, `NaN`, an Invalid Date, a string).
 */
export function toMillis(v: unknown, name: string): bigint {
  if (typeof v === "bigint") {
    if (v < I64_MIN || v > I64_MAX) invalidInput(`${name} ${v} is outside i64`);
    return v;
  }
  if (typeof v === "number") {
    if (!Number.isSafeInteger(v)) {
      invalidInput(`${name} must be an integer number of Unix milliseconds (a bigint beyond 2^53), got ${v}`);
    }
    return BigInt(v);
  }
  if (v instanceof Date) {
    const ms = v.getTime();
    if (Number.isNaN(ms)) invalidInput(`${name} is an Invalid Date`);
    return BigInt(ms);
  }
  return invalidInput(
    `${name} must be Unix milliseconds (a bigint or an integer number) or a Date, got ${v === null ? "null" : typeof v}`,
  );
}

/**
 * `v` as a number, exact: throws `limit` when `|v|` is above `Number.MAX_SAFE_INTEGER`
 * (2^53 − 1 ms, about 285,000 years), where a number would round.
 */
export function millisNumber(v: bigint, name: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) {
    fail(
      "limit",
      undefined,
      `${name} ${v} (Unix ms) is beyond what a number holds exactly (±(2^53 − 1)): read ${name}, a bigint, instead`,
    );
  }
  return n;
}

/** `v` as a new `Date`: throws `limit` when `|v|` is above 8.64e15 ms, a `Date`'s range. */
export function millisDate(v: bigint, name: string): Date {
  if (v > DATE_MAX || v < -DATE_MAX) {
    fail("limit", undefined, `${name} ${v} (Unix ms) is beyond a Date's range (±8.64e15 ms): read ${name}, a bigint, instead`);
  }
  return new Date(Number(v));
}
