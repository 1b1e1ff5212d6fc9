/**
 * The JSON reader of the legacy converter (MAPPING.md §7): one pass over the text that checks
 * the whole document (RFC 8259 grammar, escapes, no lone surrogate, nesting of at most 127
 * levels, the limit of MAPPING.md M-DOC-JSON) and builds only the values the mapping asks for (a {@link Want} tree), everything
 * else being checked and skipped without allocating. Numbers are kept as their source text
 * ({@link Num}), so integers beyond 2^53 and the forms `1.0` / `1e3` stay visible; a member
 * name repeated in one object keeps its last value (as `JSON.parse` does), unless the reader
 * is asked to refuse repeats (the mapping document, M-MAP-JSON).
 *
 * Its cost is linear in the text, its recursion bounded by the nesting limit.
 */

import { unescapeChecked } from "../json-unescape.js";

/** A JSON number, as its source text (exact: never rounded through a double). */
export class Num {
  constructor(readonly text: string) {}
}

/** A JSON object: its members by name (only the wanted ones, unless it was read whole). */
export class Obj {
  constructor(readonly m: Map<string, Value>) {}
}

/** Where an array's element was checked and skipped, not built (the mapping never reads it). */
export const SKIPPED: unique symbol = Symbol("skipped");

/** A JSON value as the reader builds it (arrays as JS arrays). */
export type Value = string | Num | boolean | null | Obj | Value[] | typeof SKIPPED;

/**
 * The deepest nesting of arrays and objects the reader accepts (MAPPING.md M-DOC-JSON): 127
 * levels, where serde_json (the Rust converter's reader) stops; `[]` alone is one level.
 */
export const MAX_DEPTH = 127;

/** What the mapping reads below one value: a node of the tree of its paths. */
export class Want {
  /** The value is read whole (a field's value ends here). */
  whole = false;
  /** Members (or array indexes) read below, by token. */
  members: Map<string, Want> | undefined = undefined;
  /** A bit `len & 31` for every member token of length `len`: a cheap first filter. */
  lenMask = 0;
  /** What is read below every element (`[]`). */
  each: Want | undefined = undefined;
  /** Per array index: what is read below that element (`each` and the index merged). */
  at: Map<number, Want> | undefined = undefined;

  /** The node of member (or index) `token`, made when missing. */
  member(token: string): Want {
    this.members ??= new Map();
    let w = this.members.get(token);
    if (w === undefined) {
      w = new Want();
      this.members.set(token, w);
      this.lenMask |= 1 << (token.length & 31);
    }
    return w;
  }

  /** The node below every element, made when missing. */
  every(): Want {
    return (this.each ??= new Want());
  }

  /** Computes the per-index nodes of the whole tree; call once it is complete. */
  seal(): this {
    if (this.members !== undefined) {
      for (const [token, w] of this.members) {
        w.seal();
        const index = arrayIndex(token);
        if (index >= 0) {
          this.at ??= new Map();
          this.at.set(index, this.each === undefined ? w : merge(w, this.each).seal());
        }
      }
    }
    this.each?.seal();
    return this;
  }
}

/** A node reading what both `a` and `b` read. */
function merge(a: Want, b: Want): Want {
  const out = new Want();
  out.whole = a.whole || b.whole;
  for (const src of [a, b]) {
    if (src.members === undefined) continue;
    for (const [token, w] of src.members) {
      const mine = out.members?.get(token);
      if (mine === undefined) {
        out.member(token);
        out.members!.set(token, w);
      } else out.members!.set(token, merge(mine, w));
    }
  }
  if (a.each !== undefined || b.each !== undefined) {
    out.each = a.each === undefined ? b.each : b.each === undefined ? a.each : merge(a.each, b.each);
  }
  return out;
}

/** `token` as an array index (`0` or digits without a leading zero), or -1. */
export function arrayIndex(token: string): number {
  const n = token.length;
  if (n === 0 || n > 9) return n > 9 && /^[1-9][0-9]*$/.test(token) ? Number.MAX_SAFE_INTEGER : -1;
  const first = token.charCodeAt(0);
  if (first === 0x30) return n === 1 ? 0 : -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const c = token.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v;
}

/** A fault in the JSON text: what is wrong, and where (an offset in the text). */
export class JsonFault extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = "JsonFault";
  }

  /** The line and column (1-based) of the fault in `text`. */
  where(text: string): string {
    let line = 1;
    let col = 1;
    const end = Math.min(this.offset, text.length);
    for (let k = 0; k < end; k++) {
      if (text.charCodeAt(k) === 0x0a) {
        line++;
        col = 1;
      } else col++;
    }
    return `line ${line}, column ${col}`;
  }
}

const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

/**
 * Reads the JSON text `t` (no byte order mark: the caller drops it) as one value and builds
 * what `want` asks for. `unique`: refuse a member name repeated in an object. Throws
 * {@link JsonFault} for anything that is not one JSON value.
 */
export function readJson(t: string, want: Want, unique = false): Value {
  const r = new Reader(t, unique);
  r.ws();
  if (r.i >= t.length) r.fail("the text holds no JSON value");
  const v = r.wanted(want);
  r.ws();
  if (r.i < t.length) r.fail("something follows the JSON value (only whitespace may)");
  return v;
}

class Reader {
  i = 0;
  depth = 0;
  constructor(
    readonly t: string,
    readonly unique: boolean,
  ) {}

  fail(message: string, at: number = this.i): never {
    throw new JsonFault(message, at);
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

  private enter(): void {
    if (++this.depth > MAX_DEPTH) this.fail(`arrays and objects nested deeper than ${MAX_DEPTH} levels`);
  }

  /** The value at the cursor, built as `w` asks (checked and skipped when `w` is undefined). */
  wanted(w: Want | undefined): Value {
    if (w === undefined) {
      this.skip();
      return SKIPPED;
    }
    if (w.whole) return this.whole();
    this.ws();
    const c = this.t.charCodeAt(this.i);
    if (c === 0x7b) return this.object(w);
    if (c === 0x5b) return this.array(w);
    return this.scalar();
  }

  /** An object, keeping the members `w` names (the last of a repeated name). */
  private object(w: Want): Obj {
    const t = this.t;
    this.enter();
    this.i++;
    const m = new Map<string, Value>();
    const members = w.members;
    const mask = w.lenMask;
    this.ws();
    if (t.charCodeAt(this.i) === 0x7d) {
      this.i++;
      this.depth--;
      return new Obj(m);
    }
    for (;;) {
      this.ws();
      if (t.charCodeAt(this.i) !== 0x22) this.fail("expected a member name (a string)");
      // The name, compared without building it unless its length may match a wanted one.
      const start = this.i + 1;
      const end = this.skipString();
      let child: Want | undefined;
      let name: string | undefined;
      if (members !== undefined) {
        if (this.plain) {
          const len = end - start;
          if (((mask >>> (len & 31)) & 1) !== 0) {
            name = t.slice(start, end);
            child = members.get(name);
          }
        } else {
          name = unescapeChecked(t, start, end);
          child = members.get(name);
        }
      }
      this.ws();
      if (t.charCodeAt(this.i) !== 0x3a) this.fail("expected `:` after a member name");
      this.i++;
      if (child !== undefined) m.set(name!, this.wanted(child));
      else this.skip();
      this.ws();
      const c = t.charCodeAt(this.i);
      if (c === 0x2c) {
        this.i++;
        continue;
      }
      if (c === 0x7d) {
        this.i++;
        this.depth--;
        return new Obj(m);
      }
      this.fail("expected `,` or `}` in an object");
    }
  }

  /** An array, building the elements `w` reads (every one with `[]`, else those it indexes). */
  private array(w: Want): Value[] {
    const t = this.t;
    this.enter();
    this.i++;
    const out: Value[] = [];
    const at = w.at;
    const each = w.each;
    this.ws();
    if (t.charCodeAt(this.i) === 0x5d) {
      this.i++;
      this.depth--;
      return out;
    }
    for (;;) {
      const k = out.length;
      out.push(this.wanted(at?.get(k) ?? each));
      this.ws();
      const c = t.charCodeAt(this.i);
      if (c === 0x2c) {
        this.i++;
        continue;
      }
      if (c === 0x5d) {
        this.i++;
        this.depth--;
        return out;
      }
      this.fail("expected `,` or `]` in an array");
    }
  }

  /** A string, number, boolean or null at the cursor (after whitespace). */
  private scalar(): Value {
    const t = this.t;
    const c = t.charCodeAt(this.i);
    if (c === 0x22) return this.string();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = this.i;
      this.skipNumber();
      return new Num(t.slice(start, this.i));
    }
    if (c === 0x74) return this.literal("true", true);
    if (c === 0x66) return this.literal("false", false);
    if (c === 0x6e) return this.literal("null", null);
    return this.fail(this.i >= t.length ? "the text ends where a value was expected" : "expected a JSON value");
  }

  private literal<T>(word: string, v: T): T {
    if (!this.t.startsWith(word, this.i)) this.fail("expected a JSON value");
    this.i += word.length;
    return v;
  }

  /** The whole value at the cursor, built. */
  private whole(): Value {
    this.ws();
    const t = this.t;
    const c = t.charCodeAt(this.i);
    if (c === 0x7b) {
      this.enter();
      this.i++;
      const m = new Map<string, Value>();
      this.ws();
      if (t.charCodeAt(this.i) === 0x7d) {
        this.i++;
        this.depth--;
        return new Obj(m);
      }
      for (;;) {
        this.ws();
        if (t.charCodeAt(this.i) !== 0x22) this.fail("expected a member name (a string)");
        const at = this.i;
        const name = this.string();
        if (this.unique && m.has(name)) this.fail(`the member name ${JSON.stringify(name)} is repeated in one object`, at);
        this.ws();
        if (t.charCodeAt(this.i) !== 0x3a) this.fail("expected `:` after a member name");
        this.i++;
        m.set(name, this.whole());
        this.ws();
        const d = t.charCodeAt(this.i);
        if (d === 0x2c) {
          this.i++;
          continue;
        }
        if (d === 0x7d) {
          this.i++;
          this.depth--;
          return new Obj(m);
        }
        this.fail("expected `,` or `}` in an object");
      }
    }
    if (c === 0x5b) {
      this.enter();
      this.i++;
      const out: Value[] = [];
      this.ws();
      if (t.charCodeAt(this.i) === 0x5d) {
        this.i++;
        this.depth--;
        return out;
      }
      for (;;) {
        out.push(this.whole());
        this.ws();
        const d = t.charCodeAt(this.i);
        if (d === 0x2c) {
          this.i++;
          continue;
        }
        if (d === 0x5d) {
          this.i++;
          this.depth--;
          return out;
        }
        this.fail("expected `,` or `]` in an array");
      }
    }
    return this.scalar();
  }

  /** Checks and skips the value at the cursor. */
  private skip(): void {
    this.ws();
    const t = this.t;
    const c = t.charCodeAt(this.i);
    if (c === 0x22) {
      this.skipString();
      return;
    }
    if (c === 0x7b) {
      this.enter();
      this.i++;
      this.ws();
      if (t.charCodeAt(this.i) === 0x7d) {
        this.i++;
        this.depth--;
        return;
      }
      for (;;) {
        this.ws();
        if (t.charCodeAt(this.i) !== 0x22) this.fail("expected a member name (a string)");
        this.skipString();
        this.ws();
        if (t.charCodeAt(this.i) !== 0x3a) this.fail("expected `:` after a member name");
        this.i++;
        this.skip();
        this.ws();
        const d = t.charCodeAt(this.i);
        if (d === 0x2c) {
          this.i++;
          continue;
        }
        if (d === 0x7d) {
          this.i++;
          this.depth--;
          return;
        }
        this.fail("expected `,` or `}` in an object");
      }
    }
    if (c === 0x5b) {
      this.enter();
      this.i++;
      this.ws();
      if (t.charCodeAt(this.i) === 0x5d) {
        this.i++;
        this.depth--;
        return;
      }
      for (;;) {
        this.skip();
        this.ws();
        const d = t.charCodeAt(this.i);
        if (d === 0x2c) {
          this.i++;
          continue;
        }
        if (d === 0x5d) {
          this.i++;
          this.depth--;
          return;
        }
        this.fail("expected `,` or `]` in an array");
      }
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      this.skipNumber();
      return;
    }
    if (c === 0x74) this.literal("true", true);
    else if (c === 0x66) this.literal("false", false);
    else if (c === 0x6e) this.literal("null", null);
    else this.fail(this.i >= t.length ? "the text ends where a value was expected" : "expected a JSON value");
  }

  /** Whether the last string {@link skipString} passed had no escape. */
  private plain = true;

  /**
   * Checks and skips the string whose `"` is at the cursor; returns the offset of its closing
   * quote and sets {@link plain}.
   */
  private skipString(): number {
    const t = this.t;
    let i = this.i + 1;
    let plain = true;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) {
        plain = false;
        i = this.escape(i);
        continue;
      }
      // Not `c >= 0x20`: a control character, or NaN past the end of the text.
      if (!(c >= 0x20)) {
        this.fail(i >= t.length ? "a string is not closed" : "a control character (U+0000 to U+001F) in a string", i);
      }
      i++;
    }
    this.plain = plain;
    this.i = i + 1;
    return i;
  }

  /** Checks the escape whose `\` is at `i`; returns the offset after it. */
  private escape(i: number): number {
    const t = this.t;
    const e = t.charCodeAt(i + 1);
    if (e === 0x75) {
      const u = this.hex4(i + 2);
      if (u >= 0xd800 && u <= 0xdbff) {
        if (t.charCodeAt(i + 6) !== 0x5c || t.charCodeAt(i + 7) !== 0x75) this.fail("a lone surrogate in a \\u escape (no UTF-8 form)", i);
        const v = this.hex4(i + 8);
        if (v < 0xdc00 || v > 0xdfff) this.fail("a lone surrogate in a \\u escape (no UTF-8 form)", i);
        return i + 12;
      }
      if (u >= 0xdc00 && u <= 0xdfff) this.fail("a lone surrogate in a \\u escape (no UTF-8 form)", i);
      return i + 6;
    }
    if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) return i + 2;
    return this.fail("an invalid escape in a string", i);
  }

  private hex4(at: number): number {
    const t = this.t;
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = t.charCodeAt(at + k);
      const d = c < 128 ? HEX[c]! : -1;
      if (d < 0) this.fail("an invalid \\u escape (four hexadecimal digits expected)", at + k);
      v = v * 16 + d;
    }
    return v;
  }

  /** The string whose `"` is at the cursor, unescaped. */
  private string(): string {
    const start = this.i;
    const end = this.skipString();
    return this.plain ? this.t.slice(start + 1, end) : unescapeChecked(this.t, start + 1, end);
  }

  /** Checks and skips the number at the cursor (RFC 8259's grammar). */
  private skipNumber(): void {
    const t = this.t;
    let i = this.i;
    if (t.charCodeAt(i) === 0x2d) i++;
    const first = t.charCodeAt(i);
    if (first === 0x30) i++;
    else if (first >= 0x31 && first <= 0x39) {
      i++;
      while (isDigit(t.charCodeAt(i))) i++;
    } else this.fail("an invalid number", i);
    if (t.charCodeAt(i) === 0x2e) {
      i++;
      if (!isDigit(t.charCodeAt(i))) this.fail("an invalid number (a digit must follow `.`)", i);
      while (isDigit(t.charCodeAt(i))) i++;
    }
    const e = t.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      i++;
      const s = t.charCodeAt(i);
      if (s === 0x2b || s === 0x2d) i++;
      if (!isDigit(t.charCodeAt(i))) this.fail("an invalid number (a digit must follow the exponent)", i);
      while (isDigit(t.charCodeAt(i))) i++;
    }
    // A digit right after a leading 0 (`01`) is refused by the grammar.
    if (first === 0x30 && isDigit(t.charCodeAt(this.i + (t.charCodeAt(this.i) === 0x2d ? 2 : 1)))) this.fail("an invalid number (a leading zero)", i);
    this.i = i;
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
