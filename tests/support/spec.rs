//! The MUST ids of SPEC.md: every `**MUST [ID]**` (or `MUST NOT [ID]`) of a range of its
//! sections, split into refusal ids (`R-…`: each needs refusal vectors) and conduct ids
//! (`C-…`). Shared by the refusal tests of sessions (sections 2 to 9) and of dictionaries
//! (section 16).

use std::collections::BTreeSet;
use std::path::PathBuf;

/// The ids of the MUSTs between the heading `## FROM.` and the next heading `## UNTIL.` (or the
/// next top-level heading when `until` is `None`), as (all ids, refusal ids). Panics on a MUST
/// without an id, an id defined twice, an id that is neither `R-{prefix}` nor `C-{prefix}`.
pub fn must_ids(
    from: u32,
    until: Option<u32>,
    prefix: &str,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let spec =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("SPEC.md")).unwrap();
    let start = spec
        .find(&format!("\n## {from}. "))
        .unwrap_or_else(|| panic!("SPEC.md has no section {from}"))
        + 1;
    let rest = &spec[start..];
    let end = match until {
        Some(until) => rest
            .find(&format!("\n## {until}. "))
            .unwrap_or_else(|| panic!("SPEC.md has no section {until}")),
        None => rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3),
    };
    let section = &rest[..end];
    let (mut all, mut refusal) = (BTreeSet::new(), BTreeSet::new());
    for (i, _) in section.match_indices("MUST") {
        let after = &section[i + "MUST".len()..];
        let after = after.strip_prefix(" NOT").unwrap_or(after);
        let Some(after) = after.strip_prefix(" [") else {
            let line = section[..i].rfind('\n').map_or(0, |n| n + 1);
            panic!(
                "a MUST in SPEC.md section {from} on has no id: {:?}",
                &section[line..(i + 40).min(section.len())]
            );
        };
        let id = &after[..after.find(']').unwrap()];
        assert!(
            id.len() > 2
                && id
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'),
            "odd MUST id {id:?}"
        );
        assert!(all.insert(id.to_string()), "SPEC.md defines {id} twice");
        if id.starts_with(&format!("R-{prefix}")) {
            refusal.insert(id.to_string());
        } else {
            assert!(
                id.starts_with(&format!("C-{prefix}")),
                "{id}: the MUST ids here are R-{prefix}… (refusals) or C-{prefix}… (conduct)"
            );
        }
    }
    (all, refusal)
}
