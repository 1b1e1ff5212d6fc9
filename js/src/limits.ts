/** Size limits (SPEC.md §8), enforced alike by the decoder and the encoder. */

/** Limits; every one is inclusive (a value equal to the limit is accepted). */
export interface Limits {
  /** Largest decoded archive, in bytes (default 16 MiB). */
  readonly maxDecodedLen: number;
  /** Largest string, in bytes of UTF-8 (default 16 KiB). */
  readonly maxStringLen: number;
  /** Most roles (default 1,024). */
  readonly maxRoles: number;
  /** Most settings (default 4,096). */
  readonly maxSettings: number;
  /** Most attributes (default 4,096). */
  readonly maxAttributes: number;
  /** Largest inflation of a compressed body (default 4): `decoded_len <= ratio × stored_len + 16384`. */
  readonly maxInflationRatio: number;
}

/** The defaults of SPEC.md §8. */
export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxDecodedLen: 16 << 20,
  maxStringLen: 16 << 10,
  maxRoles: 1024,
  maxSettings: 4096,
  maxAttributes: 4096,
  maxInflationRatio: 4,
});

/** The allowance of R-LIMIT-RATIO, a constant of the format (16 KiB). */
export const INFLATION_ALLOWANCE = 16 << 10;

/** Limits from a partial set of overrides. */
export function limitsFrom(partial: Partial<Limits> | undefined): Limits {
  if (partial === undefined) return DEFAULT_LIMITS;
  const out = { ...DEFAULT_LIMITS, ...partial };
  for (const [name, v] of Object.entries(out)) {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new RangeError(`limit ${name} must be a non-negative integer, got ${String(v)}`);
    }
  }
  return Object.freeze(out);
}

/** The largest `decoded_len` a compressed body of `storedLen` bytes may declare (exact: < 2^53). */
export function maxInflatedLen(limits: Limits, storedLen: number): number {
  return limits.maxInflationRatio * storedLen + INFLATION_ALLOWANCE;
}
