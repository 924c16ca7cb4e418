//! No file makes the importer panic: random bytes, and random mutations (flipped bytes,
//! cut ranges, inserted junk, duplicated lines, quotes and delimiters) of every valid
//! fixture, xlsx included, go through sniffing and staging and must end in `Ok` or a
//! readable error.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use clv_desk::import::{ImportOptions, ShopZone, stage_file};
use proptest::prelude::*;

fn fixture_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/import");
    let mut files = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if !path.to_string_lossy().ends_with(".json")
                && !path.to_string_lossy().ends_with(".py")
                && !path.to_string_lossy().ends_with(".md")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Stages `bytes` saved under `name`; any outcome but a panic is fine, and an error must
/// say something.
fn stage_bytes(bytes: &[u8], name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let options = ImportOptions {
        shop_zone: ShopZone::Named(Tz::UTC),
        ..ImportOptions::default()
    };
    if let Err(e) = stage_file(&path, &options, &mut |_, _| true) {
        assert!(!e.to_string().is_empty());
    }
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Cut(usize, usize),
    Insert(usize, Vec<u8>),
    DuplicateLine(usize),
    Sprinkle(usize, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), 0usize..200).prop_map(|(i, n)| Mutation::Cut(i, n)),
        (
            any::<usize>(),
            proptest::collection::vec(any::<u8>(), 1..40)
        )
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (
            any::<usize>(),
            prop_oneof![
                Just(b'"'),
                Just(b','),
                Just(b';'),
                Just(b'\t'),
                Just(b'\n'),
                Just(b'\r'),
                Just(0u8),
                Just(0xFF)
            ]
        )
            .prop_map(|(i, b)| Mutation::Sprinkle(i, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let len = bytes.len().max(1);
    match mutation {
        Mutation::Flip(i, b) => {
            if !bytes.is_empty() {
                bytes[i % len] ^= b;
            }
        }
        Mutation::Cut(i, n) => {
            let start = i % len;
            let end = (start + n).min(bytes.len());
            if start < end {
                bytes.drain(start..end);
            }
        }
        Mutation::Insert(i, v) => {
            let at = (i % len).min(bytes.len());
            bytes.splice(at..at, v.iter().copied());
        }
        Mutation::DuplicateLine(i) => {
            let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
            if let Some(line) = lines.get(i % lines.len().max(1)) {
                let mut copy = line.to_vec();
                copy.push(b'\n');
                bytes.extend_from_slice(&copy);
            }
        }
        Mutation::Sprinkle(i, b) => {
            if !bytes.is_empty() {
                bytes[i % len] = *b;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..3000), ext in prop_oneof![Just("csv"), Just("txt"), Just("xlsx")]) {
        stage_bytes(&bytes, &format!("random.{ext}"));
    }

    #[test]
    fn mutated_real_exports_never_panic(index in any::<usize>(), mutations in proptest::collection::vec(mutation(), 1..6)) {
        let files = fixture_files();
        let file = &files[index % files.len()];
        let mut bytes = std::fs::read(file).unwrap();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        stage_bytes(&bytes, &name);
    }
}

#[test]
fn every_fixture_is_in_the_pool() {
    assert!(fixture_files().len() >= 25, "{:?}", fixture_files());
}
