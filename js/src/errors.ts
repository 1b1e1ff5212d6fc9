/**
 * The one error class of the package, with the error kinds that every implementation of the
 * format shares by name (SPEC.md §14.3, the Rust crate's `ErrorKind::name()`).
 *
 * **Every kind means: deny access.** The kinds tell faults apart for logs, metrics and alerts;
 * none of them grants anything.
 */

/** The eight error kinds, by their shared names. */
export type ErrorKind =
  | "not_a_blob"
  | "corrupt"
  | "unsupported"
  | "limit"
  | "unauthenticated"
  | "expired"
  | "invalid_input"
  | "wrong_dictionary";

/** Every kind, in the order of SPEC.md §14.3. */
export const ERROR_KINDS: readonly ErrorKind[] = Object.freeze([
  "not_a_blob",
  "corrupt",
  "unsupported",
  "limit",
  "unauthenticated",
  "expired",
  "invalid_input",
  "wrong_dictionary",
]);

/**
 * What the package throws for any refusal: a blob or dictionary that breaks a rule, a session
 * or key the caller passed that a writer refuses, or an invalid JSON form.
 *
 * `kind` is one of the shared names; `rule` names the SPEC.md requirement (`R-…`) when the
 * refusal is of a blob or dictionary. **On any error, deny access.**
 */
export class SessionpackError extends Error {
  /** The class of the fault, shared by every implementation. */
  readonly kind: ErrorKind;
  /** The SPEC.md rule the input breaks (`R-HDR-MAGIC`, …), when there is one. */
  readonly rule: string | undefined;

  constructor(kind: ErrorKind, message: string, rule?: string) {
    super(message);
    this.name = "SessionpackError";
    this.kind = kind;
    this.rule = rule;
  }
}

/** Throws a refusal of kind `kind` for rule `rule`. */
export function fail(kind: ErrorKind, rule: string | undefined, message: string): never {
  throw new SessionpackError(kind, message, rule);
}

/** `corrupt` for rule `rule`. */
export function corrupt(rule: string, message: string): never {
  throw new SessionpackError(
    "corrupt",
    `${message} (${rule}); the bytes are damaged, truncated or forged: deny access and rewrite the value`,
    rule,
  );
}

/** `invalid_input`: the caller passed something a writer or parser refuses. */
export function invalidInput(message: string): never {
  throw new SessionpackError("invalid_input", message);
}

/**
 * The `invalid_input` of a string met where a blob's bytes were expected (`what` names where):
 * the value was decoded as text on its way (ioredis `get` instead of `getBuffer`, …), and a blob
 * decoded as UTF-8 is damaged for good.
 */
export function bytesExpected(value: string, what: string): SessionpackError {
  return new SessionpackError(
    "invalid_input",
    `${what} is a string of ${value.length} characters where bytes were expected: sessionpack reads blobs as bytes ` +
      "(a Buffer or Uint8Array), and a blob decoded as text is damaged for good. Read the value as bytes " +
      "(ioredis: getBuffer or callBuffer; node-redis: a typeMapping of RESP_TYPES.BLOB_STRING to Buffer), " +
      "or hand the client itself to SessionStore.connect or SessionCache.connect, which does",
  );
}
