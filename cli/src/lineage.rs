//! Lineages for new dictionaries: 64 random bits from the operating system, never 0.

use std::fs::File;
use std::io::Read;

use crate::Failure;

/// Where the random bits come from.
const SOURCE: &str = "/dev/urandom";

/// A random, non-zero lineage read from the operating system's random source.
pub fn random() -> Result<u64, Failure> {
    let cannot = |e: std::io::Error| {
        Failure::Input(format!(
            "cannot read {SOURCE} for the dictionary's random lineage: {e}"
        ))
    };
    let mut source = File::open(SOURCE).map_err(cannot)?;
    // Zero is reserved; eight zero bytes in a row are drawn once in 2^64 tries.
    loop {
        let mut bytes = [0_u8; 8];
        source.read_exact(&mut bytes).map_err(cannot)?;
        let lineage = u64::from_le_bytes(bytes);
        if lineage != 0 {
            return Ok(lineage);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lineages_are_random_and_not_zero() {
        let a = super::random().unwrap();
        let b = super::random().unwrap();
        assert_ne!(a, 0);
        assert_ne!(a, b);
    }
}
