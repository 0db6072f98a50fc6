//! The `wsgate` command (in progress).
fn main() {}
