//! Build script: embeds the version and git commit, and turns
//! `assets/migrations/*.sql` into the ordered, append-only migration list.
//!
//! Migration files must be named `NNNN_short_name.sql`, numbered 1, 2, 3, … with no
//! gaps or repeats; the build fails with a message naming the offending file otherwise.
//! Each migration's SQL is embedded with `include_str!` together with a checksum, so
//! the store can refuse a database whose applied migrations were edited afterwards.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());

    emit_git_commit(&manifest_dir);

    let migrations_dir = manifest_dir.join("assets").join("migrations");
    println!("cargo:rerun-if-changed={}", migrations_dir.display());
    match migration_source(&migrations_dir) {
        Ok(source) => {
            if let Err(err) = std::fs::write(out_dir.join("migrations.rs"), source) {
                panic!("build.rs: cannot write migrations.rs: {err}");
            }
        }
        Err(message) => panic!("build.rs: {message}"),
    }
}

/// Sets `CLV_DESK_GIT_COMMIT` to the short commit hash, or "unknown" outside a git checkout.
fn emit_git_commit(manifest_dir: &Path) {
    let dot_git = manifest_dir.join(".git");
    // In a worktree `.git` is a file naming the worktree's own git folder.
    let git_dir = std::fs::read_to_string(&dot_git)
        .ok()
        .and_then(|text| {
            text.strip_prefix("gitdir:")
                .map(|d| manifest_dir.join(d.trim()))
        })
        .unwrap_or(dot_git);
    if git_dir.is_dir() {
        // Re-run when HEAD moves (checkout) or a commit is made: HEAD, its reflog (appended
        // at every commit and checkout), the branch's loose ref and the packed refs. Only
        // files that exist are named: Cargo counts a missing one as changed on every build,
        // which recompiled the crate each time (`.git/packed-refs` is often absent).
        let mut watched = vec![git_dir.join("HEAD"), git_dir.join("logs").join("HEAD")];
        if let Ok(head) = std::fs::read_to_string(git_dir.join("HEAD"))
            && let Some(reference) = head.strip_prefix("ref: ")
        {
            watched.push(git_dir.join(reference.trim()));
        }
        watched.push(git_dir.join("packed-refs"));
        for path in watched.iter().filter(|p| p.is_file()) {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    let commit = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(manifest_dir)
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=CLV_DESK_GIT_COMMIT={commit}");
}

/// One `assets/migrations/NNNN_name.sql` file.
struct MigrationFile {
    version: u32,
    name: String,
    path: PathBuf,
    checksum: u64,
}

/// Reads and validates the migration files and returns the Rust source of the list.
fn migration_source(dir: &Path) -> Result<String, String> {
    let mut files = Vec::new();
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("sql") {
            continue;
        }
        println!("cargo:rerun-if-changed={}", path.display());
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| format!("{}: file name is not UTF-8", path.display()))?;
        let (number, name) = stem.split_once('_').ok_or_else(|| {
            format!(
                "{}: migration files must be named NNNN_name.sql",
                path.display()
            )
        })?;
        let version: u32 = number.parse().map_err(|_| {
            format!(
                "{}: '{number}' is not a migration number (expected NNNN_name.sql)",
                path.display()
            )
        })?;
        let sql =
            std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        files.push(MigrationFile {
            version,
            name: name.to_owned(),
            checksum: fnv1a64(&sql),
            path,
        });
    }
    files.sort_by_key(|f| f.version);
    for (index, file) in files.iter().enumerate() {
        let expected = u32::try_from(index + 1).unwrap_or(u32::MAX);
        if file.version != expected {
            return Err(format!(
                "{}: migrations must be numbered 1, 2, 3, … without gaps or repeats; expected number {expected}",
                file.path.display()
            ));
        }
    }
    if files.is_empty() {
        return Err(format!("no migrations found in {}", dir.display()));
    }

    let mut src = String::from(
        "// @generated by build.rs from assets/migrations/*.sql — do not edit.\n\
         /// Every schema migration, in the order it is applied.\n\
         pub static MIGRATIONS: &[Migration] = &[\n",
    );
    for f in &files {
        let _ = writeln!(
            src,
            "    Migration {{ version: {}, name: {:?}, sql: include_str!({:?}), checksum: 0x{:016x} }},",
            f.version,
            f.name,
            f.path.display().to_string(),
            f.checksum
        );
    }
    src.push_str("];\n");
    Ok(src)
}

/// 64-bit FNV-1a: a stable fingerprint of a migration's bytes (not a security hash).
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}
