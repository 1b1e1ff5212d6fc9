//! The `sessionpack` command (being written).
fn main() {}
