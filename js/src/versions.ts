/**
 * The format versions this package reads, and what differs between them. Every version's
 * archive is the version 1 archive with its own root (SPEC.md §6, §12): adding a version is a
 * row here and whatever its new root fields mean.
 */

/** What a format version's archive looks like. */
export interface VersionSchema {
  /** The header's version byte. */
  readonly version: number;
  /** The root's length in bytes; the root ends the archive. */
  readonly rootLen: number;
  /** Whether the root carries `facility_lineage` (root offset 80) and `group_lineage` (88). */
  readonly lineages: boolean;
  /** The seed of the header's digest (SPEC.md §3: 0 in version 1, the version byte in 3). */
  readonly digestSeed: number;
}

/** Version 1: plain dense ids (SPEC.md §6). */
const V1: VersionSchema = Object.freeze({ version: 1, rootLen: 80, lineages: false, digestSeed: 0 });
/** Version 3: version 1 with a 96-byte root ending in the two lineages (SPEC.md §6.5). */
const V3: VersionSchema = Object.freeze({ version: 3, rootLen: 96, lineages: true, digestSeed: 3 });

/**
 * Every version this package reads, by version byte. There is no version 2: a released refusal
 * vector makes every reader refuse byte 2 (SPEC.md §12).
 */
const SCHEMAS: ReadonlyMap<number, VersionSchema> = new Map([
  [1, V1],
  [3, V3],
]);

/** The schema of `version`, or `undefined` for a version this package does not read. */
export function schemaOf(version: number): VersionSchema | undefined {
  return SCHEMAS.get(version);
}

/** The versions this package reads, ascending. */
export const SUPPORTED_VERSIONS: readonly number[] = Object.freeze([...SCHEMAS.keys()].sort());

/** The version a session is written as: 1 unless it has a lineage (then the newest with them). */
export function schemaFor(hasLineage: boolean): VersionSchema | undefined {
  if (!hasLineage) return V1;
  for (const s of SCHEMAS.values()) if (s.lineages) return s;
  return undefined;
}
