//! Issue 12's memory bound: no blob of at most 4 KiB makes `Decoder::open` allocate more than
//! 1 MiB with the default limits. Opens the worst blobs of `sessionpack_benches::hostile` with a
//! fresh `Decoder` under a global allocator that counts bytes (per thread), and adds the size of
//! the zstd context (allocated by libzstd in C, outside Rust's allocator, once per decoder).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use sessionpack::{Decoder, Limits};
use sessionpack_benches::hostile::{self, Family, MAX_BLOB};

struct CountingBytes;

thread_local! {
    static BYTES: Cell<u64> = const { Cell::new(0) };
}

fn count(bytes: usize) {
    let _ = BYTES.try_with(|n| n.set(n.get() + bytes as u64));
}

#[allow(unsafe_code)] // a global allocator is an unsafe trait: the only way to count allocations
                      // SAFETY: every call is forwarded unchanged to the system allocator; counting touches only a
                      // thread-local `Cell` with a const initializer and no destructor, which never allocates.
unsafe impl GlobalAlloc for CountingBytes {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: `ptr` was allocated by `System` with `layout`, per the caller's contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `realloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingBytes = CountingBytes;

/// Bytes allocated on this thread while `f` runs (every allocation counted in full, frees not
/// subtracted: an upper bound on the peak).
fn allocated<T>(f: impl FnOnce() -> T) -> (u64, T) {
    let before = BYTES.with(Cell::get);
    let out = f();
    (BYTES.with(Cell::get) - before, out)
}

const MIB: u64 = 1 << 20;

#[test]
fn no_blob_of_4_kib_makes_open_allocate_more_than_1_mib() {
    for family in Family::ALL {
        let h = hostile::build(family);
        // libzstd's decompression context (fixed, whatever the blob), measured after it has
        // inflated this blob's body.
        let dctx = {
            let mut dctx = zstd::zstd_safe::DCtx::create();
            let mut out = Vec::with_capacity(h.header.decoded_len as usize);
            dctx.decompress(&mut out, &h.blob[40..]).expect("inflates");
            dctx.sizeof() as u64
        };
        assert!(h.blob.len() <= MAX_BLOB && h.header.compressed);
        let (bytes, result) = allocated(|| Decoder::new().open(&h.blob).map(|v| v.expires_at()));
        result.expect("a hostile blob is a valid session");
        eprintln!(
            "{}: blob {} B, decoded {} B: open allocated {bytes} B in Rust + {dctx} B zstd context",
            family.name(),
            h.blob.len(),
            h.header.decoded_len,
        );
        assert!(
            u64::from(h.header.decoded_len) <= Limits::default().max_inflated_len(4056),
            "the builder broke the rule"
        );
        assert!(
            bytes + dctx <= MIB,
            "{}: {bytes} + {dctx} bytes",
            family.name()
        );
    }
}

#[test]
fn a_claim_of_16_mib_allocates_nothing() {
    let mut blob = hostile::build(Family::Runs).blob;
    blob[20..24].copy_from_slice(&(16_u32 << 20).to_le_bytes());
    let mut decoder = Decoder::new();
    let (bytes, result) = allocated(|| decoder.open(&blob).map(|_| ()));
    let err = result.expect_err("refused");
    assert_eq!(err.kind().name(), "limit", "{err}");
    assert_eq!(bytes, 0, "refused from the header, before any allocation");
}
