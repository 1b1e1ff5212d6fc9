/**
 * The one JSON string unescape of the package, used by both of its JSON readers (the session's
 * JSON form, `json.ts`, and the legacy converter's reader, `legacy/reader.ts`). Each reader
 * checks a string first, with its own messages (RFC 8259 escapes, four hexadecimal digits after
 * `\u`, no lone surrogate); this turns a checked string into its text.
 */

/** The values of the hexadecimal digits by character code (-1: not one). */
const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

/** The four (checked) hexadecimal digits of `t` at `at`. */
function hex4(t: string, at: number): number {
  return (HEX[t.charCodeAt(at)]! << 12) | (HEX[t.charCodeAt(at + 1)]! << 8) | (HEX[t.charCodeAt(at + 2)]! << 4) | HEX[t.charCodeAt(at + 3)]!;
}

/**
 * The text of the JSON string body `t[from, to)` (between its quotes), its escapes replaced.
 * The body must have been checked: every `\` starts a valid escape, and every `\uD800`–`\uDBFF`
 * is followed by a `\uDC00`–`\uDFFF` (an escaped pair is one character).
 *
 * ```ts
 * unescapeChecked(String.raw`"a\n\u00e9\ud83d\ude00"`, 1, 22); // "a\né😀"
 * ```
 */
export function unescapeChecked(t: string, from: number, to: number): string {
  let out = "";
  let start = from;
  let i = from;
  while (i < to) {
    if (t.charCodeAt(i) !== 0x5c) {
      i++;
      continue;
    }
    out += t.slice(start, i);
    const e = t.charCodeAt(i + 1);
    i += 2;
    switch (e) {
      case 0x75: {
        const u = hex4(t, i);
        if (u >= 0xd800 && u <= 0xdbff) {
          out += String.fromCharCode(u, hex4(t, i + 6));
          i += 10;
        } else {
          out += String.fromCharCode(u);
          i += 4;
        }
        break;
      }
      case 0x62:
        out += "\b";
        break;
      case 0x66:
        out += "\f";
        break;
      case 0x6e:
        out += "\n";
        break;
      case 0x72:
        out += "\r";
        break;
      case 0x74:
        out += "\t";
        break;
      default:
        // `"`, `\` and `/` stand for themselves.
        out += String.fromCharCode(e);
    }
    start = i;
  }
  return start === from ? t.slice(from, to) : out + t.slice(start, to);
}
