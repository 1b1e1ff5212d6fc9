//! The RoaringFormatSpec reference files (tests/data/roaring/, see its README for provenance)
//! read as exactly the set their README describes.

use roaring::RoaringBitmap;
use sessionpack::IdSetView;

/// `k` for k in 0, 1000, …, 99000; the multiples of 3 in [300000, 600000); every value in
/// [700000, 800000).
fn expected() -> RoaringBitmap {
    let mut set: RoaringBitmap = (0..100).map(|k| k * 1000).collect();
    set.extend((100_000..200_000).map(|k| 3 * k));
    set.insert_range(700_000..800_000);
    set
}

fn check(name: &str, cookie: u32) {
    let path = format!("{}/tests/data/roaring/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        u32::from_le_bytes(bytes[..4].try_into().unwrap()) & 0xFFFF,
        cookie
    );
    let view = IdSetView::new(&bytes).unwrap();
    let expected = expected();
    assert_eq!(view.len(), 200_100);
    assert_eq!(view.len(), expected.len());
    assert!(view.iter().eq(expected.iter()), "{name}: ids differ");
    assert_eq!(view.to_bitmap(), expected);
    assert_eq!((view.min(), view.max()), (Some(0), Some(799_999)));
    for id in [0, 1000, 99_000, 300_000, 300_003, 599_997, 700_000, 799_999] {
        assert!(view.contains(id), "{name}: {id} missing");
    }
    for id in [
        1,
        999,
        100_000,
        300_001,
        600_000,
        699_999,
        800_000,
        u32::MAX,
    ] {
        assert!(!view.contains(id), "{name}: {id} present");
    }
    let stats = view.stats();
    assert_eq!(stats.arrays + stats.bitmaps + stats.runs, 11);
}

#[test]
fn bitmap_without_runs() {
    check("bitmapwithoutruns.bin", 12346);
}

#[test]
fn bitmap_with_runs() {
    check("bitmapwithruns.bin", 12347);
}
