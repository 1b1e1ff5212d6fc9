/**
 * The times of legacy documents (MAPPING.md §5): ISO-8601 text in the one form the mapping
 * document accepts, to Unix milliseconds.
 */

const ISO = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?(Z|[+-][0-9]{2}:[0-9]{2})$/;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days from 1970-01-01 to the proleptic Gregorian date `y-m-d` (Howard Hinnant's algorithm). */
function daysFromCivil(year: number, m: number, d: number): number {
  const y = m <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * The Unix milliseconds of `text` (`YYYY-MM-DDTHH:MM:SS[.F](Z|±HH:MM)`, M-TIME-ISO), or
 * `undefined` when it is not that: a real day, hours 00–23, minutes and seconds 00–59, offsets
 * up to 23:59; the fraction's first three digits are the milliseconds. Exact: every such time
 * is within ±2^53 milliseconds.
 */
export function isoMillis(text: string): bigint | undefined {
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const s = Number(m[6]);
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  if (mo < 1 || mo > 12 || d < 1 || d > DAYS[mo - 1]! + (mo === 2 && leap ? 1 : 0)) return undefined;
  if (h > 23 || mi > 59 || s > 59) return undefined;
  const ms = Number(((m[7] ?? "") + "000").slice(0, 3));
  let offset = 0;
  const zone = m[8]!;
  if (zone !== "Z") {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return undefined;
    offset = (oh * 60 + om) * (zone.charCodeAt(0) === 0x2b ? 1 : -1);
  }
  const secs = daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset * 60;
  return BigInt(secs * 1000 + ms);
}
