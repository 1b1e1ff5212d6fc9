/**
 * The JSON form (SPEC.md §10): the writer, byte for byte what the Rust crate (serde_json's
 * compact writer) prints, and an exact reader that refuses what the Rust reader refuses:
 * integers are read from their source text (never rounded through a double), a number with a
 * fraction or an exponent is refused for every field, and so is `-0` (serde_json reads it as a
 * float).
 */

import { invalidInput } from "./errors.js";
import { unescapeChecked } from "./json-unescape.js";

// ---------------------------------------------------------------------------------------------
// Writing

// Characters that need an escape: `"`, `\` and the controls below U+0020.
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;
const HEX = "0123456789abcdef";

/** `s` as a JSON string, escaped as serde_json's compact writer does. */
export function jsonString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c) continue;
    out += s.slice(from, i);
    from = i + 1;
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += "\\\\";
        break;
      case 0x08:
        out += "\\b";
        break;
      case 0x09:
        out += "\\t";
        break;
      case 0x0a:
        out += "\\n";
        break;
      case 0x0c:
        out += "\\f";
        break;
      case 0x0d:
        out += "\\r";
        break;
      default:
        out += "\\u00" + HEX[c >>> 4]! + HEX[c & 15]!;
    }
  }
  return out + s.slice(from) + '"';
}

/** What the writer needs of a session, its maps in UTF-8 byte order. */
export interface JsonParts {
  userId: string;
  tenantId: string;
  token: string;
  issuedAt: bigint;
  expiresAt: bigint;
  roles: Iterable<string>;
  settings: Iterable<readonly [string, string]>;
  attributes: Iterable<readonly [string, string]>;
  facilities: { forEach(f: (id: number) => void): void };
  groups: { forEach(f: (id: number) => void): void };
  facilityLineage: bigint | undefined;
  groupLineage: bigint | undefined;
}

function ids(set: { forEach(f: (id: number) => void): void }): string {
  let out = "[";
  let first = true;
  set.forEach((id) => {
    out += first ? String(id) : "," + String(id);
    first = false;
  });
  return out + "]";
}

function map(entries: Iterable<readonly [string, string]>): string {
  let out = "{";
  let first = true;
  for (const [k, v] of entries) {
    if (!first) out += ",";
    out += jsonString(k) + ":" + jsonString(v);
    first = false;
  }
  return out + "}";
}

/** The compact JSON form (SPEC.md §10, "The written text"). */
export function writeJson(s: JsonParts): string {
  let roles = "[";
  let first = true;
  for (const r of s.roles) {
    if (!first) roles += ",";
    roles += jsonString(r);
    first = false;
  }
  roles += "]";
  let out =
    `{"user_id":${jsonString(s.userId)},"tenant_id":${jsonString(s.tenantId)},"token":${jsonString(s.token)},` +
    `"issued_at":${s.issuedAt},"expires_at":${s.expiresAt},"roles":${roles},` +
    `"settings":${map(s.settings)},"attributes":${map(s.attributes)},` +
    `"facilities":${ids(s.facilities)},"groups":${ids(s.groups)}`;
  if (s.facilityLineage !== undefined) out += `,"facility_lineage":"${hex16(s.facilityLineage)}"`;
  if (s.groupLineage !== undefined) out += `,"group_lineage":"${hex16(s.groupLineage)}"`;
  return out + "}";
}

function hex16(v: bigint): string {
  return v.toString(16).padStart(16, "0");
}

// ---------------------------------------------------------------------------------------------
// Reading

/** A JSON value as the schema-driven reader found it, for refusals: `the string "x"`. */
function describe(p: Parser): string {
  const c = p.t.charCodeAt(p.i);
  if (c === 0x22) {
    const s = p.string();
    return `the string ${JSON.stringify(s.length > 64 ? s.slice(0, 64) + "…" : s)}`;
  }
  if (c === 0x7b) return "a map";
  if (c === 0x5b) return "an array";
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return `the number ${p.numberText()}`;
  if (p.t.startsWith("true", p.i)) return "the boolean true";
  if (p.t.startsWith("false", p.i)) return "the boolean false";
  if (p.t.startsWith("null", p.i)) return "null";
  return p.syntax("expected a value");
}

/** A cursor over JSON text, refusing with `invalid_input` and the line and column. */
export class Parser {
  i = 0;
  constructor(readonly t: string) {}

  fail(message: string): never {
    let line = 1;
    let col = 1;
    for (let k = 0; k < this.i && k < this.t.length; k++) {
      if (this.t.charCodeAt(k) === 0x0a) {
        line++;
        col = 1;
      } else col++;
    }
    invalidInput(`invalid JSON session at line ${line}, column ${col}: ${message}`);
  }

  syntax(message: string): never {
    return this.fail(this.i >= this.t.length ? `EOF while parsing: ${message}` : message);
  }

  ws(): void {
    const t = this.t;
    let i = this.i;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  /** Skips whitespace and consumes `ch` if it is next. */
  eat(ch: number): boolean {
    this.ws();
    if (this.t.charCodeAt(this.i) === ch) {
      this.i++;
      return true;
    }
    return false;
  }

  expect(ch: number, what: string): void {
    if (!this.eat(ch)) this.syntax(`expected ${what}`);
  }

  peek(): number {
    this.ws();
    return this.t.charCodeAt(this.i);
  }

  /** A refusal of the value at the cursor: `<path>: expected <what>, found <found>`. */
  wrongType(path: string, what: string): never {
    this.ws();
    const at = this.i;
    const found = describe(this);
    this.i = at;
    return this.fail(`${path}: expected ${what}, found ${found}`);
  }

  /** A JSON string at the cursor (after whitespace), unescaped. */
  string(): string {
    this.ws();
    const t = this.t;
    if (t.charCodeAt(this.i) !== 0x22) this.syntax("expected a string");
    const from = this.i + 1;
    let i = from;
    let plain = true;
    for (;;) {
      if (i >= t.length) {
        this.i = i;
        this.syntax("a string is not closed");
      }
      const c = t.charCodeAt(i);
      if (c === 0x22) break;
      if (c < 0x20) {
        this.i = i;
        this.fail("control character (\\u0000-\\u001F) found while parsing a string");
      }
      if (c >= 0xd800 && c <= 0xdfff) {
        // Text given as a JS string may hold lone surrogates, which have no UTF-8 form.
        const d = t.charCodeAt(i + 1);
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          i += 2;
          continue;
        }
        this.i = i;
        this.fail("a lone surrogate in a string (no UTF-8 form)");
      }
      if (c !== 0x5c) {
        i++;
        continue;
      }
      plain = false;
      const e = t.charCodeAt(i + 1);
      i += 2;
      switch (e) {
        // `"`, `\`, `/`, b, f, n, r, t
        case 0x22:
        case 0x5c:
        case 0x2f:
        case 0x62:
        case 0x66:
        case 0x6e:
        case 0x72:
        case 0x74:
          break;
        case 0x75: {
          const u = this.hex4(i);
          i += 4;
          if (u >= 0xd800 && u <= 0xdbff) {
            if (t.charCodeAt(i) !== 0x5c || t.charCodeAt(i + 1) !== 0x75) {
              this.i = i;
              this.fail("lone leading surrogate in hex escape");
            }
            const v = this.hex4(i + 2);
            if (v < 0xdc00 || v > 0xdfff) {
              this.i = i;
              this.fail("lone leading surrogate in hex escape");
            }
            i += 6;
          } else if (u >= 0xdc00 && u <= 0xdfff) {
            this.i = i;
            this.fail("lone trailing surrogate in hex escape");
          }
          break;
        }
        default:
          this.i = i - 1;
          this.fail("invalid escape");
      }
    }
    this.i = i + 1;
    // Checked above: the one unescape of the package (json-unescape.ts) builds the text.
    return plain ? t.slice(from, i) : unescapeChecked(t, from, i);
  }

  private hex4(at: number): number {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = this.t.charCodeAt(at + k);
      let d: number;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
      else {
        this.i = at + k;
        return this.fail("invalid escape");
      }
      v = v * 16 + d;
    }
    return v;
  }

  /** The source text of the JSON number at the cursor, consumed; refuses a malformed one. */
  numberText(): string {
    this.ws();
    const t = this.t;
    const start = this.i;
    let i = start;
    if (t.charCodeAt(i) === 0x2d) i++;
    const first = t.charCodeAt(i);
    if (first === 0x30) {
      i++;
      const next = t.charCodeAt(i);
      if (next >= 0x30 && next <= 0x39) {
        this.i = i;
        this.fail("invalid number");
      }
    } else if (first >= 0x31 && first <= 0x39) {
      while (isDigit(t.charCodeAt(i))) i++;
    } else {
      this.i = i;
      this.fail("invalid number");
    }
    if (t.charCodeAt(i) === 0x2e) {
      i++;
      if (!isDigit(t.charCodeAt(i))) {
        this.i = i;
        this.fail("invalid number");
      }
      while (isDigit(t.charCodeAt(i))) i++;
    }
    const e = t.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const s = t.charCodeAt(i);
      if (s === 0x2b || s === 0x2d) i++;
      if (!isDigit(t.charCodeAt(i))) {
        this.i = i;
        this.fail("invalid number");
      }
      while (isDigit(t.charCodeAt(i))) i++;
    }
    this.i = i;
    return t.slice(start, i);
  }

  /**
   * An integer in `[min, max]` at the cursor, exactly: the number's source text as a bigint.
   * A fraction, an exponent or `-0` is refused, as serde_json reads them as floats.
   */
  integer(path: string, what: string, min: bigint, max: bigint): bigint {
    const c = this.peek();
    if (c !== 0x2d && !isDigit(c)) this.wrongType(path, what);
    const at = this.i;
    const text = this.numberText();
    const end = this.i;
    this.i = at;
    if (!/^-?\d+$/.test(text) || text === "-0") this.fail(`${path}: expected ${what}, found the number ${text}`);
    const v = BigInt(text);
    if (v < min || v > max) this.fail(`${path}: expected ${what}, found the number ${text}`);
    this.i = end;
    return v;
  }

  /** The end of the document: only whitespace may follow. */
  end(): void {
    this.ws();
    if (this.i < this.t.length) this.fail("trailing characters");
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
