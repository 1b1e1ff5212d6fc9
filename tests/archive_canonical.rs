//! One session, one encoding (issue 12; SPEC.md section 6.4): the only archive that opens to a
//! session is the one the encoder writes.
//!
//! The test lays archives out itself, from SPEC.md alone: a list of *units* in the writer's
//! order (each string's bytes, each table, each id set, the root), placed at positions, with
//! every pointer computed from those positions. Laid out canonically, the result must equal the
//! encoder's archive byte for byte (so the test's reading of the SPEC is the writer's). Then
//! each mutation keeps the session's value — every pointer still leads to the same bytes — but
//! moves something: a padding byte made non-zero, a gap before one unit, an empty vector
//! pointing elsewhere, two units placed in swapped order. Its digest and lengths recomputed,
//! the reader must refuse it, naming the first unit that is out of place.

mod support;

use proptest::prelude::*;
use sessionpack::error::{ArchiveError, FieldName, LayoutProblem, PointerProblem};
use sessionpack::{Compression, Decoder, Encoder, Error, ErrorKind, Expiry, Session};
use xxhash_rust::xxh64::xxh64;

const HEADER: usize = 40;

/// Whether `session` is written as format version 3 (a set over a dictionary): its root is 96
/// bytes, its digest seeded with 3 (SPEC.md §6.5).
fn is_v3(session: &Session) -> bool {
    session.facility_lineage.is_some() || session.group_lineage.is_some()
}

enum Contents {
    Bytes(Vec<u8>),
    /// A table of entries, each of `pointers` (unit indices) of 8 bytes.
    Table(Vec<Vec<usize>>),
    /// The root, of its version's size (80 bytes, or 96 in version 3).
    Root(usize),
}

struct Unit {
    name: FieldName,
    align: usize,
    contents: Contents,
}

impl Unit {
    fn size(&self) -> usize {
        match &self.contents {
            Contents::Bytes(b) => b.len(),
            Contents::Table(entries) => entries.iter().map(|e| e.len() * 8).sum(),
            Contents::Root(len) => *len,
        }
    }

    /// The `len` of a vector pointing at this unit: bytes, or entries of a table.
    fn len(&self) -> usize {
        match &self.contents {
            Contents::Bytes(b) => b.len(),
            Contents::Table(entries) => entries.len(),
            Contents::Root(_) => unreachable!("nothing points at the root"),
        }
    }
}

fn name(field: &'static str, index: Option<usize>, part: Option<&'static str>) -> FieldName {
    FieldName { field, index, part }
}

/// The units of `session`, in the order of SPEC.md section 6.4; the root is last.
struct Units {
    units: Vec<Unit>,
    session: Session,
}

impl Units {
    fn new(session: &Session) -> Self {
        let mut units = Vec::new();
        let bytes = |units: &mut Vec<Unit>, name, b: &[u8]| {
            units.push(Unit {
                name,
                align: 1,
                contents: Contents::Bytes(b.to_vec()),
            });
            units.len() - 1
        };
        let user = bytes(
            &mut units,
            name("user_id", None, None),
            session.user_id.as_bytes(),
        );
        let tenant = bytes(
            &mut units,
            name("tenant_id", None, None),
            session.tenant_id.as_bytes(),
        );
        let token = bytes(
            &mut units,
            name("token", None, None),
            session.token.as_bytes(),
        );
        let roles: Vec<Vec<usize>> = session
            .roles
            .iter()
            .enumerate()
            .map(|(i, r)| {
                vec![bytes(
                    &mut units,
                    name("roles", Some(i), None),
                    r.as_bytes(),
                )]
            })
            .collect();
        units.push(Unit {
            name: name("roles", None, None),
            align: 4,
            contents: Contents::Table(roles),
        });
        let roles = units.len() - 1;
        let mut maps = [0; 2];
        for (slot, (field, map)) in maps.iter_mut().zip([
            ("settings", &session.settings),
            ("attributes", &session.attributes),
        ]) {
            let entries = map
                .iter()
                .enumerate()
                .map(|(i, (k, v))| {
                    let k = bytes(&mut units, name(field, Some(i), Some("key")), k.as_bytes());
                    let v = bytes(
                        &mut units,
                        name(field, Some(i), Some("value")),
                        v.as_bytes(),
                    );
                    vec![k, v]
                })
                .collect();
            units.push(Unit {
                name: name(field, None, None),
                align: 4,
                contents: Contents::Table(entries),
            });
            *slot = units.len() - 1;
        }
        let facilities = sessionpack::encode_id_set(&session.facilities);
        let f = bytes(&mut units, name("facilities", None, None), &facilities);
        let groups = sessionpack::encode_id_set(&session.groups);
        let g = bytes(&mut units, name("groups", None, None), &groups);
        // The root's pointers, in root order, are units too: remembered by index below.
        units.push(Unit {
            name: name("root", None, None),
            align: 8,
            contents: Contents::Root(if is_v3(session) { 96 } else { 80 }),
        });
        let this = Units {
            units,
            session: session.clone(),
        };
        assert_eq!(
            [user, tenant, token, roles, maps[0], maps[1], f, g],
            this.root_pointers()
        );
        this
    }

    /// The units the root points at, in root order (found by name, checked in `new`).
    fn root_pointers(&self) -> [usize; 8] {
        let find = |field| {
            self.units
                .iter()
                .position(|u| u.name == name(field, None, None))
                .unwrap()
        };
        [
            "user_id",
            "tenant_id",
            "token",
            "roles",
            "settings",
            "attributes",
            "facilities",
            "groups",
        ]
        .map(find)
    }

    fn root(&self) -> usize {
        self.units.len() - 1
    }

    /// Positions of every unit when placed in `order` (each aligned to its own alignment), with
    /// `gap` extra zero bytes before unit `gap.0` (after its alignment).
    fn place(&self, order: &[usize], gap: Option<(usize, usize)>) -> Vec<usize> {
        let mut at = vec![0; self.units.len()];
        let mut pos = 0_usize;
        for &u in order {
            let unit = &self.units[u];
            pos = pos.next_multiple_of(unit.align);
            if let Some((_, extra)) = gap.filter(|&(g, _)| g == u) {
                pos += extra;
            }
            at[u] = pos;
            pos += unit.size();
        }
        at
    }

    fn canonical_order(&self) -> Vec<usize> {
        (0..self.units.len()).collect()
    }

    /// Padding bytes of the canonical layout, each with the unit whose alignment put it there.
    fn padding(&self) -> Vec<(usize, usize)> {
        let mut pads = Vec::new();
        let mut pos = 0_usize;
        for (u, unit) in self.units.iter().enumerate() {
            let next = pos.next_multiple_of(unit.align);
            pads.extend((pos..next).map(|p| (p, u)));
            pos = next + unit.size();
        }
        pads
    }

    /// The archive with units at `at`: every unit's contents written, every pointer computed.
    fn write(&self, at: &[usize]) -> Vec<u8> {
        let root = at[self.root()];
        let mut archive = vec![0; root + self.units[self.root()].size()];
        let pointer = |archive: &mut Vec<u8>, from: usize, to: usize| {
            let offset = i32::try_from(at[to] as i64 - from as i64).unwrap();
            let len = u32::try_from(self.units[to].len()).unwrap();
            archive[from..from + 4].copy_from_slice(&offset.to_le_bytes());
            archive[from + 4..from + 8].copy_from_slice(&len.to_le_bytes());
        };
        for (u, unit) in self.units.iter().enumerate() {
            let p = at[u];
            match &unit.contents {
                Contents::Bytes(b) => archive[p..p + b.len()].copy_from_slice(b),
                Contents::Table(entries) => {
                    for (k, &to) in entries.iter().flatten().enumerate() {
                        pointer(&mut archive, p + 8 * k, to);
                    }
                }
                Contents::Root(_) => {
                    archive[p..p + 8].copy_from_slice(&self.session.issued_at.to_le_bytes());
                    archive[p + 8..p + 16].copy_from_slice(&self.session.expires_at.to_le_bytes());
                    for (k, to) in self.root_pointers().into_iter().enumerate() {
                        pointer(&mut archive, p + 16 + 8 * k, to);
                    }
                    if is_v3(&self.session) {
                        let lineages = [self.session.facility_lineage, self.session.group_lineage];
                        for (k, lineage) in lineages.into_iter().enumerate() {
                            let at = p + 80 + 8 * k;
                            archive[at..at + 8]
                                .copy_from_slice(&lineage.unwrap_or(0).to_le_bytes());
                        }
                    }
                }
            }
        }
        archive
    }

    /// The error a reader gives for layout `at`: the first unit, in the writer's order, that
    /// is not where the canonical layout puts it.
    fn first_misplaced(&self, at: &[usize], canonical: &[usize]) -> Error {
        let u = (0..self.units.len())
            .find(|&u| at[u] != canonical[u])
            .expect("the layout differs");
        let unit = &self.units[u];
        Error::Archive(ArchiveError::Layout {
            field: unit.name,
            offset: at[u],
            expected: canonical[u],
            problem: if unit.size() == 0 {
                LayoutProblem::EmptyMoved
            } else {
                LayoutProblem::Gap
            },
        })
    }
}

/// `blob` (raw, unsigned) with its archive replaced by `archive`: digest and lengths recomputed.
fn reblob(blob: &[u8], archive: &[u8]) -> Vec<u8> {
    let mut out = blob[..HEADER].to_vec();
    let len = u32::try_from(archive.len()).unwrap().to_le_bytes();
    let seed = if blob[4] == 3 { 3 } else { 0 };
    out[8..16].copy_from_slice(&xxh64(archive, seed).to_le_bytes());
    out[16..20].copy_from_slice(&len);
    out[20..24].copy_from_slice(&len);
    out.extend_from_slice(archive);
    out
}

fn decoder() -> Decoder {
    // Generated sessions may lie anywhere in time; expiry is not what this test is about.
    Decoder::new().with_expiry(Expiry::Ignore)
}

/// What a mutation picks, as selectors reduced modulo the choices a session offers.
#[derive(Debug, Clone)]
struct Picks {
    pad: (usize, u8),
    gap: (usize, usize),
    empty: (usize, usize),
    swap: (usize, usize),
}

fn picks() -> impl Strategy<Value = Picks> {
    (
        (any::<usize>(), 1_u8..=255),
        (any::<usize>(), 1_usize..=8),
        (any::<usize>(), any::<usize>()),
        (any::<usize>(), any::<usize>()),
    )
        .prop_map(|(pad, gap, empty, swap)| Picks {
            pad,
            gap,
            empty,
            swap,
        })
}

/// Refuses `archive` (in `blob`'s header) with exactly `expected`.
fn assert_refused(blob: &[u8], archive: &[u8], expected: &Error, what: &str) {
    let mutated = reblob(blob, archive);
    match decoder().open(&mutated) {
        Ok(view) => panic!("{what}: accepted as {:?}", view.to_session()),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Corrupt, "{what}: {e}");
            assert_eq!(&e, expected, "{what}: {e}");
        }
    }
}

fn check(session: &Session, picks: &Picks) -> usize {
    let blob = Encoder::new()
        .with_compression(Compression::Never)
        .encode(session)
        .unwrap();
    let mut decoder = decoder();
    assert_eq!(decoder.open(&blob).unwrap().to_session(), *session);
    let archive = &blob[HEADER..];

    let units = Units::new(session);
    let order = units.canonical_order();
    let canonical = units.place(&order, None);
    assert_eq!(
        units.write(&canonical),
        archive,
        "the test's layout is not the writer's"
    );
    // Re-wrapped unchanged, the blob is the encoder's and opens.
    assert_eq!(reblob(&blob, archive), &blob[..]);
    let mut mutations = 0;

    // A padding byte made non-zero.
    let pads = units.padding();
    if !pads.is_empty() {
        let (p, owner) = pads[picks.pad.0 % pads.len()];
        let mut mutated = archive.to_vec();
        mutated[p] = picks.pad.1;
        let expected = Error::Archive(ArchiveError::Padding {
            offset: p,
            byte: picks.pad.1,
            before: units.units[owner].name,
        });
        assert_refused(&blob, &mutated, &expected, "non-zero padding");
        mutations += 1;
    }

    // A gap before one unit (the root included), a multiple of its alignment so that it stays
    // aligned; everything after it shifts and every pointer follows.
    let u = picks.gap.0 % units.units.len();
    let at = units.place(&order, Some((u, picks.gap.1 * units.units[u].align)));
    assert_refused(
        &blob,
        &units.write(&at),
        &units.first_misplaced(&at, &canonical),
        "gap",
    );
    mutations += 1;

    // An empty vector pointing at another aligned position inside the data.
    let empties: Vec<usize> = (0..units.root())
        .filter(|&u| units.units[u].size() == 0)
        .collect();
    if !empties.is_empty() {
        let u = empties[picks.empty.0 % empties.len()];
        let align = units.units[u].align;
        let slots = canonical[units.root()] / align + 1;
        let mut to = (picks.empty.1 % slots) * align;
        if to == canonical[u] {
            to = (to + align) % (slots * align);
        }
        if to != canonical[u] {
            let mut at = canonical.clone();
            at[u] = to;
            assert_refused(
                &blob,
                &units.write(&at),
                &units.first_misplaced(&at, &canonical),
                "moved empty vector",
            );
            mutations += 1;
        }
    }

    // Two non-empty units placed in each other's turn.
    let full: Vec<usize> = (0..units.root())
        .filter(|&u| units.units[u].size() > 0)
        .collect();
    if full.len() >= 2 {
        let a = picks.swap.0 % full.len();
        let b = (a + 1 + picks.swap.1 % (full.len() - 1)) % full.len();
        let mut swapped = order.clone();
        swapped.swap(full[a], full[b]);
        let at = units.place(&swapped, None);
        // SPEC.md section 6.3 (C-ARC-STEPS): R-ARC-ORDER is named before any layout fault, at
        // the first non-empty unit, in the writer's order, that starts before the end of an
        // earlier one's items.
        let mut data_end = 0;
        let first_out_of_order = (0..units.root())
            .filter(|&u| units.units[u].size() > 0)
            .find(|&u| {
                let early = at[u] < data_end;
                data_end = at[u] + units.units[u].size();
                early
            })
            .expect("a swap puts a unit before an earlier one's end");
        let mutated = reblob(&blob, &units.write(&at));
        match decoder.open(&mutated) {
            Ok(view) => panic!("swapped order: accepted as {:?}", view.to_session()),
            Err(e) => {
                let name = units.units[first_out_of_order].name;
                assert!(
                    matches!(
                        &e,
                        Error::Archive(ArchiveError::Pointer {
                            field,
                            problem: PointerProblem::OutOfOrder,
                            ..
                        }) if *field == name
                    ),
                    "swapped order: {e}, expected R-ARC-ORDER at {name}"
                );
                assert_eq!(e.rule(), Some("R-ARC-ORDER"));
            }
        }
        mutations += 1;
    }
    mutations
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn only_the_encoders_archive_opens(session in support::session(), picks in picks()) {
        check(&session, &picks);
    }
}

/// Every mutation applies to a session with padding, an empty vector and several units.
#[test]
fn every_mutation_applies_to_a_rich_session() {
    let session = Session::new("u1", "acme", "", 1_000, 2_000)
        .with_roles(["staff", "admin"])
        .with_setting("lang", "")
        .with_setting("theme", "dark")
        .with_facilities([1, 2, 3])
        .with_groups([10]);
    for seed in 0..64 {
        let picks = Picks {
            pad: (seed, 1 + (seed % 200) as u8),
            gap: (seed * 7, 1 + seed % 8),
            empty: (seed, seed * 3),
            swap: (seed, seed * 5),
        };
        assert_eq!(check(&session, &picks), 4, "seed {seed}");
    }
}

/// The refusal vectors of SPEC.md section 6.4 (and the order vectors, which leave a gap too but
/// are named by R-ARC-ORDER), each refused with the error that names its fault.
#[test]
fn layout_refusal_vectors_name_their_fault() {
    use LayoutProblem::{EmptyMoved, Gap};
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/v1/refuse");
    let plain = |field| name(field, None, None);
    let layout = |field, offset, expected, problem| {
        Error::Archive(ArchiveError::Layout {
            field,
            offset,
            expected,
            problem,
        })
    };
    let padding = |offset, byte, before| {
        Error::Archive(ArchiveError::Padding {
            offset,
            byte,
            before: plain(before),
        })
    };
    let cases = [
        ("layout_padding_nonzero", padding(14, 0x01, "roles")),
        ("layout_root_padding_nonzero", padding(111, 0x20, "root")),
        ("layout_gap_bytes", layout(plain("tenant_id"), 3, 2, Gap)),
        ("layout_gap_table", layout(plain("settings"), 36, 32, Gap)),
        ("layout_gap_root", layout(plain("root"), 120, 112, Gap)),
        (
            "layout_empty_bytes_moved",
            layout(plain("token"), 0, 6, EmptyMoved),
        ),
        (
            "layout_empty_table_moved",
            layout(plain("attributes"), 0, 48, EmptyMoved),
        ),
        (
            "layout_empty_table_unaligned_position",
            layout(plain("roles"), 8, 12, EmptyMoved),
        ),
        (
            "layout_empty_string_in_entry_moved",
            layout(name("settings", Some(0), Some("value")), 0, 28, EmptyMoved),
        ),
        (
            "order_overlap",
            Error::Archive(ArchiveError::Pointer {
                field: plain("tenant_id"),
                offset: 136,
                problem: PointerProblem::OutOfOrder,
            }),
        ),
        // Two vectors that trade places: R-ARC-ORDER at the second of them (SPEC.md section
        // 6.3), not the gap the first leaves.
        (
            "order_swapped_sets",
            Error::Archive(ArchiveError::Pointer {
                field: plain("groups"),
                offset: 184,
                problem: PointerProblem::OutOfOrder,
            }),
        ),
        (
            "order_value_before_key",
            Error::Archive(ArchiveError::Pointer {
                field: name("settings", Some(0), Some("value")),
                offset: 40,
                problem: PointerProblem::OutOfOrder,
            }),
        ),
    ];
    for (vector, expected) in cases {
        let blob = std::fs::read(dir.join(format!("{vector}.bin"))).unwrap();
        assert_eq!(decoder().open(&blob).unwrap_err(), expected, "{vector}");
    }
}
