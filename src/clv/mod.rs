//! Customer-lifetime-value mathematics. No egui, no SQLite: plain numbers in, plain
//! numbers out, so every formula is tested alone against published values.

pub mod simulate;
pub mod special;
