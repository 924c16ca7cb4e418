//! CLV Desk: an offline desktop app that turns a small business's order history into
//! customer lifetime values and the programs that raise them.
//!
//! Layering (arrows point one way): `ui → app → {store, import, clv, programs, export} →
//! domain` (`store` runs the pure `programs` rules it persists). `clv` and `programs` never
//! touch egui or SQLite, so their rules are tested alone; views never run SQL or math
//! directly, they read state prepared by `app` and emit commands.

pub mod app;
pub mod bench;
pub mod build_info;
pub mod cli;
pub mod clv;
pub mod demo;
pub mod domain;
pub mod export;
pub mod import;
/// Loyalty (and later referral and care) rules as pure functions: no SQLite, no egui.
pub mod programs;
pub mod store;
pub mod ui;
