//! Customer-lifetime-value mathematics. No egui, no SQLite: plain numbers in, plain
//! numbers out, so every formula is tested alone against published values.

pub mod backtest;
pub mod derivatives;
pub mod engine;
pub mod fit;
pub mod insights;
pub mod optim;
pub mod pareto;
pub mod purchase;
pub mod segments;
pub mod simple;
pub mod simulate;
pub mod special;
pub mod spend;
pub mod summary;
pub mod summary_file;
pub mod value;
