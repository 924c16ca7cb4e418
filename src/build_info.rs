//! What this binary is: version and git commit, embedded by `build.rs`.
//! Shown by `clv-desk --version` and in the About window.

/// The crate version from `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The short git commit the binary was built from, or `unknown` outside a git checkout.
pub const GIT_COMMIT: &str = env!("CLV_DESK_GIT_COMMIT");

/// `0.1.0 (commit 0123456789ab)`: the long version string for `--version` and About.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("CLV_DESK_GIT_COMMIT"),
    ")"
);
