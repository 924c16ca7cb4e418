//! The platform fixtures in `tests/data/import/`: files shaped like real exports, each with
//! its hand-computed `.expected.json`.

use std::path::{Path, PathBuf};

/// Every `(data file, its .expected.json)` pair, in path order.
pub fn import_fixtures() -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/import")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("the fixture folder reads") {
            let path = entry.expect("a fixture entry reads").path();
            if path.is_dir() {
                dirs.push(path);
            } else if let Some(name) = path.to_str().and_then(|p| p.strip_suffix(".expected.json"))
            {
                out.push((PathBuf::from(name), path.clone()));
            }
        }
    }
    out.sort();
    out
}
