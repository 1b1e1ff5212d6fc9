/**
 * {@link KeyTemplate}: how a session's blob key is made from its legacy key (ROLLOUT.md
 * RO-TEMPLATE): a string holding `{key}` exactly once, `sp:{key}` by default.
 */

import { SessionpackError } from "../../errors.js";

const PLACEHOLDER = "{key}";

/**
 * A key template (RO-TEMPLATE): `{key}` exactly once, every other character copied as it is.
 * The same templates as `sessionpack migrate --to`.
 *
 * ```ts
 * KeyTemplate.parse("sp:{key}").blobKey("sess:6f1c");   // "sp:sess:6f1c"
 * KeyTemplate.DEFAULT.text;                              // "sp:{key}"
 * KeyTemplate.parse("sp:");                              // throws invalid_input: no {key}
 * ```
 */
export class KeyTemplate {
  /** `sp:{key}`: the default template. */
  static readonly DEFAULT: KeyTemplate = new KeyTemplate("sp:", "");

  readonly #before: string;
  readonly #after: string;

  private constructor(before: string, after: string) {
    this.#before = before;
    this.#after = after;
    Object.freeze(this);
  }

  /**
   * The template `text`; refused (`invalid_input`) when it is not a string, holds `{key}`
   * not exactly once, or is `{key}` alone (which would name the legacy key itself).
   */
  static parse(text: string): KeyTemplate {
    if (typeof text !== "string") {
      throw new SessionpackError("invalid_input", `a key template is a string holding {key} once (such as "sp:{key}"), not ${text === null ? "null" : typeof text} (RO-TEMPLATE)`, "RO-TEMPLATE");
    }
    const at = text.indexOf(PLACEHOLDER);
    if (at < 0 || text.indexOf(PLACEHOLDER, at + PLACEHOLDER.length) >= 0) {
      throw new SessionpackError(
        "invalid_input",
        `the key template ${JSON.stringify(text)} holds {key} ${at < 0 ? "nowhere" : "more than once"}: it must hold it exactly once, where the legacy key goes (such as "sp:{key}") (RO-TEMPLATE)`,
        "RO-TEMPLATE",
      );
    }
    if (text.length === PLACEHOLDER.length) {
      throw new SessionpackError(
        "invalid_input",
        `the key template "{key}" alone names the legacy key itself: add a prefix or a suffix (such as "sp:{key}") (RO-TEMPLATE)`,
        "RO-TEMPLATE",
      );
    }
    return new KeyTemplate(text.slice(0, at), text.slice(at + PLACEHOLDER.length));
  }

  /** A template given as a `KeyTemplate` or its text (undefined: {@link DEFAULT}). */
  static from(template: KeyTemplate | string | undefined): KeyTemplate {
    if (template === undefined) return KeyTemplate.DEFAULT;
    return template instanceof KeyTemplate ? template : KeyTemplate.parse(template);
  }

  /** The template's text. */
  get text(): string {
    return this.#before + PLACEHOLDER + this.#after;
  }

  /** The blob key of the session whose legacy key is `legacyKey`. */
  blobKey(legacyKey: string): string {
    return this.#before + legacyKey + this.#after;
  }

  /** The template's text. */
  toString(): string {
    return this.text;
  }
}
