//! Running the `clv-desk` binary from the integration tests, away from the user's real data
//! folder and preferences, and (in [`ui`]) the harness the view tests share. Each test
//! binary uses some of these helpers.

#![allow(dead_code, clippy::expect_used)] // shared by several test binaries; a panic is the failure report

pub mod db;
pub mod fixtures;
pub mod orders;
pub mod ui;

use std::process::{Command, Output};

/// The binary under test, with HOME and the data folder pointed at the temp directory.
pub fn clv_desk() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_clv-desk"));
    command.env("HOME", std::env::temp_dir()).env(
        "XDG_DATA_HOME",
        std::env::temp_dir().join("clv-desk-test-data"),
    );
    command
}

/// Runs `command` to the end.
pub fn run(command: &mut Command) -> Output {
    command.output().expect("the clv-desk binary runs")
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
