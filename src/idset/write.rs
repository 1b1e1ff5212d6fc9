//! The writer side: a `RoaringBitmap` to canonical portable bytes.

use roaring::RoaringBitmap;

use super::layout::{ARRAY_MAX, BITMAP_BYTES, COOKIE_NO_RUNS, COOKIE_RUNS, NO_OFFSET_THRESHOLD};

/// With no run container, cookie 12346 is used from this many containers on: its 4-byte count
/// is then no larger than 12347's run-flag bitset.
const NO_RUN_COOKIE_FROM: usize = 25;

/// Encodes `ids` in the portable Roaring format, in the canonical form that `SPEC.md` (section
/// 7.3) defines: each container stored in its smallest kind (a run container only when strictly
/// smaller than the array or bitmap); cookie 12347 when a container is a run or there are at most
/// 24 containers (so sets of up to three containers need no offset header), else cookie 12346,
/// whichever header is smaller; and cookie 12346 with no container for the empty set.
///
/// Any reader of the portable format (CRoaring, Java, Go, roaring-rs) reads the result; a user
/// who sees every facility of a dense range costs a few bytes.
///
/// ```
/// use roaring::RoaringBitmap;
///
/// let whole_tenant: RoaringBitmap = (1_000..6_000).collect();
/// let bytes = sessionpack::encode_id_set(&whole_tenant);
/// assert_eq!(bytes.len(), 15); // cookie, run flags, one key, one run
/// assert_eq!(RoaringBitmap::deserialize_from(&bytes[..]).unwrap(), whole_tenant);
/// ```
pub fn encode_id_set(ids: &RoaringBitmap) -> Vec<u8> {
    let mut out = Vec::new();
    encode_id_set_into(ids, &mut out);
    out
}

/// Like [`encode_id_set`], appending to `out`.
///
/// ```
/// let mut out = b"prefix".to_vec();
/// sessionpack::encode_id_set_into(&[42].into_iter().collect(), &mut out);
/// assert_eq!(&out[6..], sessionpack::encode_id_set(&[42].into_iter().collect()));
/// ```
pub fn encode_id_set_into(ids: &RoaringBitmap, out: &mut Vec<u8>) {
    if ids.is_empty() {
        out.extend_from_slice(&COOKIE_NO_RUNS.to_le_bytes());
        out.extend_from_slice(&0_u32.to_le_bytes());
        return;
    }

    // One pass over the ids builds every container's bytes; the header comes first in the
    // output but depends on all of them.
    let mut containers: Vec<Written> = Vec::new();
    let mut body: Vec<u8> = Vec::new();
    let mut values: Vec<u16> = Vec::new();
    let mut key: Option<u16> = None;
    for id in ids {
        let high = (id >> 16) as u16;
        if key != Some(high) {
            if let Some(k) = key {
                containers.push(write_container(k, &values, &mut body));
            }
            key = Some(high);
            values.clear();
        }
        values.push(id as u16);
    }
    if let Some(k) = key {
        containers.push(write_container(k, &values, &mut body));
    }

    let count = containers.len();
    let runs = containers.iter().any(|c| c.run);
    // Cookie 12346 spends 4 bytes on the count, 12347 ceil(n / 8) on the run flags and no offset
    // header below four containers: 12347 is smaller up to 24 containers.
    let flags_len = if runs || count < NO_RUN_COOKIE_FROM {
        let cookie = u32::from(COOKIE_RUNS) | ((count as u32 - 1) << 16);
        out.extend_from_slice(&cookie.to_le_bytes());
        let mut flags = vec![0_u8; count.div_ceil(8)];
        for (i, c) in containers.iter().enumerate() {
            if let Some(byte) = flags.get_mut(i / 8).filter(|_| c.run) {
                *byte |= 1 << (i % 8);
            }
        }
        out.extend_from_slice(&flags);
        flags.len()
    } else {
        out.extend_from_slice(&COOKIE_NO_RUNS.to_le_bytes());
        out.extend_from_slice(&(count as u32).to_le_bytes());
        4
    };
    for c in &containers {
        out.extend_from_slice(&c.key.to_le_bytes());
        out.extend_from_slice(&((c.len - 1) as u16).to_le_bytes());
    }
    if count >= NO_OFFSET_THRESHOLD || !runs && count >= NO_RUN_COOKIE_FROM {
        let header = 4 + flags_len + 8 * count;
        let mut at = header as u32;
        for c in &containers {
            out.extend_from_slice(&at.to_le_bytes());
            at += c.size as u32;
        }
    }
    out.extend_from_slice(&body);
}

/// What the header needs to know of a written container.
struct Written {
    key: u16,
    len: u32,
    run: bool,
    size: usize,
}

/// Appends the container holding the sorted, distinct `values` to `body` in its smallest kind.
fn write_container(key: u16, values: &[u16], body: &mut Vec<u8>) -> Written {
    let len = values.len() as u32;
    let runs = 1 + values
        .iter()
        .zip(values.iter().skip(1))
        .filter(|&(&a, &b)| u32::from(b) != u32::from(a) + 1)
        .count();
    let plain = if len <= ARRAY_MAX {
        2 * values.len()
    } else {
        BITMAP_BYTES
    };
    let start = body.len();
    let run = 2 + 4 * runs < plain;
    if run {
        body.extend_from_slice(&(runs as u16).to_le_bytes());
        let mut rest = values;
        while let Some((&first, tail)) = rest.split_first() {
            let extra = tail
                .iter()
                .zip(1..)
                .take_while(|&(&v, step)| u32::from(v) == u32::from(first) + step)
                .count();
            body.extend_from_slice(&first.to_le_bytes());
            body.extend_from_slice(&(extra as u16).to_le_bytes());
            rest = tail.get(extra..).unwrap_or_default();
        }
    } else if len <= ARRAY_MAX {
        for v in values {
            body.extend_from_slice(&v.to_le_bytes());
        }
    } else {
        let mut bits = [0_u8; BITMAP_BYTES];
        for &v in values {
            if let Some(byte) = bits.get_mut(usize::from(v >> 3)) {
                *byte |= 1 << (v & 7);
            }
        }
        body.extend_from_slice(&bits);
    }
    Written {
        key,
        len,
        run,
        size: body.len() - start,
    }
}
