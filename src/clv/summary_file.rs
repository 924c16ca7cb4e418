//! Reading an RFM summary file (`clv-desk fit-summary`): one row per customer with the
//! columns `frequency`, `recency`, `T` and, for Gamma-Gamma, `monetary_value`, in whatever
//! time unit the file uses. This is how the models are checked against other tools and
//! published data (the CDNOW summaries), so the names those use are accepted too:
//! `x`, `t_x`, `zbar` (Fader & Hardie's files) and any letter case.
//!
//! A bad cell is an error naming the file, row, column, the value and what was expected;
//! nothing here panics on any input.

use std::path::{Path, PathBuf};

use super::spend::SpendHistory;
use super::summary::Triple;

/// One customer of a summary file.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SummaryRow {
    /// Repeat purchases x ≥ 0.
    pub frequency: f64,
    /// Time from first to last purchase, 0 ≤ tₓ ≤ T.
    pub recency: f64,
    /// Time from first purchase to the end of observation.
    pub t: f64,
    /// Mean value of the repeat purchases, when the file has the column.
    pub monetary_value: Option<f64>,
}

/// What went wrong reading a summary file.
#[derive(Debug, thiserror::Error)]
pub enum SummaryFileError {
    /// The file could not be opened or read.
    #[error("{file}: cannot read the file: {message}")]
    Unreadable {
        /// The file.
        file: PathBuf,
        /// The system's reason.
        message: String,
    },
    /// A required column is missing from the header.
    #[error(
        "{file}: no “{column}” column; a summary file needs the columns frequency, recency and T (and monetary_value for gamma-gamma); the header has: {header}"
    )]
    MissingColumn {
        /// The file.
        file: PathBuf,
        /// The missing column.
        column: &'static str,
        /// The header as found.
        header: String,
    },
    /// A cell is not what the column needs.
    #[error("{file}, row {row}, column “{column}”: “{value}” is not {expected}")]
    BadCell {
        /// The file.
        file: PathBuf,
        /// 1-based row number in the file (the header is row 1).
        row: u64,
        /// The column.
        column: String,
        /// The cell as written.
        value: String,
        /// What the column needs, in words.
        expected: &'static str,
    },
    /// No data rows.
    #[error("{file}: the file has a header but no customers")]
    Empty {
        /// The file.
        file: PathBuf,
    },
}

const FREQUENCY: &[&str] = &["frequency", "x"];
const RECENCY: &[&str] = &["recency", "t_x", "tx"];
const AGE: &[&str] = &["t", "age"];
const MONETARY: &[&str] = &["monetary_value", "zbar", "monetary", "m"];

/// Reads every row of the summary file at `path`.
pub fn read_summary_file(path: &Path) -> Result<Vec<SummaryRow>, SummaryFileError> {
    let file = path.to_path_buf();
    let unreadable = |e: &dyn std::fmt::Display| SummaryFileError::Unreadable {
        file: file.clone(),
        message: e.to_string(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| unreadable(&e))?;
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| unreadable(&e))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
        .collect();
    let find = |names: &[&str]| {
        header
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let required = |names: &[&'static str]| {
        find(names).ok_or_else(|| SummaryFileError::MissingColumn {
            file: file.clone(),
            column: names[0],
            header: header.join(", "),
        })
    };
    let columns = [required(FREQUENCY)?, required(RECENCY)?, required(AGE)?];
    let monetary = find(MONETARY);
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let row = i as u64 + 2;
        let record = record.map_err(|e| unreadable(&e))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |index: usize, expected: &'static str| -> Result<f64, SummaryFileError> {
            let text = record.get(index).unwrap_or("");
            text.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0)
                .ok_or_else(|| SummaryFileError::BadCell {
                    file: file.clone(),
                    row,
                    column: header[index].clone(),
                    value: text.to_owned(),
                    expected,
                })
        };
        let frequency = cell(
            columns[0],
            "a whole number of repeat purchases (0, 1, 2, …)",
        )?;
        if frequency.fract() != 0.0 {
            return Err(SummaryFileError::BadCell {
                file,
                row,
                column: header[columns[0]].clone(),
                value: record.get(columns[0]).unwrap_or("").to_owned(),
                expected: "a whole number of repeat purchases (0, 1, 2, …)",
            });
        }
        let recency = cell(columns[1], "a time of 0 or more")?;
        let t = cell(columns[2], "a time of 0 or more, at least the recency")?;
        if recency > t {
            return Err(SummaryFileError::BadCell {
                file,
                row,
                column: header[columns[1]].clone(),
                value: record.get(columns[1]).unwrap_or("").to_owned(),
                expected: "at most T (the last purchase cannot be after the end of observation)",
            });
        }
        let monetary_value = match monetary {
            Some(index) => Some(cell(index, "an amount of 0 or more")?),
            None => None,
        };
        rows.push(SummaryRow {
            frequency,
            recency,
            t,
            monetary_value,
        });
    }
    if rows.is_empty() {
        return Err(SummaryFileError::Empty { file });
    }
    Ok(rows)
}

/// The distinct (x, tₓ, T) of the rows with their counts, sorted by x (as the likelihoods
/// want them).
pub fn summary_triples(rows: &[SummaryRow]) -> Vec<Triple> {
    let mut keyed: Vec<(u64, u64, u64)> = rows
        .iter()
        .map(|r| (r.frequency.to_bits(), r.t.to_bits(), r.recency.to_bits()))
        .collect();
    keyed.sort_unstable_by(|a, b| {
        f64::from_bits(a.0)
            .total_cmp(&f64::from_bits(b.0))
            .then(f64::from_bits(a.1).total_cmp(&f64::from_bits(b.1)))
            .then(f64::from_bits(a.2).total_cmp(&f64::from_bits(b.2)))
    });
    let mut out: Vec<Triple> = Vec::new();
    for (x, t, tx) in keyed {
        let (x, t, tx) = (f64::from_bits(x), f64::from_bits(t), f64::from_bits(tx));
        match out.last_mut() {
            Some(last) if last.x == x && last.t == t && last.tx == tx => last.count += 1.0,
            _ => out.push(Triple {
                x,
                tx,
                t,
                count: 1.0,
            }),
        }
    }
    out
}

/// The repeat customers' spend histories (x > 0 and a positive mean), for Gamma-Gamma.
pub fn summary_spend(rows: &[SummaryRow]) -> Vec<SpendHistory> {
    rows.iter()
        .filter_map(|r| {
            let mean = r.monetary_value?;
            (r.frequency > 0.0 && mean > 0.0).then_some(SpendHistory {
                x: r.frequency,
                mean,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.csv");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn rows_read_with_either_naming_and_identical_triples_group() {
        let (_d, path) = write(
            "\u{feff}ID,x,t_x,T,zbar\n1,2,30.43,38.86,22.35\n2,0,0,38.86,0\n3,2,30.43,38.86,10\n",
        );
        let rows = read_summary_file(&path).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].monetary_value, Some(22.35));
        let triples = summary_triples(&rows);
        assert_eq!(triples.len(), 2);
        assert_eq!(triples[0].x, 0.0);
        assert_eq!(triples[1].count, 2.0);
        assert_eq!(summary_spend(&rows).len(), 2);
    }

    #[test]
    fn bad_cells_name_the_row_column_value_and_expectation() {
        let (_d, path) = write("frequency,recency,T\n1,2,3\n1.5,2,3\n");
        let message = read_summary_file(&path).unwrap_err().to_string();
        assert!(message.contains("row 3"), "{message}");
        assert!(message.contains("“frequency”"), "{message}");
        assert!(message.contains("“1.5”"), "{message}");
        assert!(message.contains("whole number"), "{message}");

        let (_d, path) = write("frequency,recency,T\n1,5,3\n");
        let message = read_summary_file(&path).unwrap_err().to_string();
        assert!(message.contains("at most T"), "{message}");

        let (_d, path) = write("frequency,recency,T\n1,abc,3\n");
        let message = read_summary_file(&path).unwrap_err().to_string();
        assert!(
            message.contains("row 2") && message.contains("“abc”"),
            "{message}"
        );

        let (_d, path) = write("frequency,T\n1,3\n");
        let message = read_summary_file(&path).unwrap_err().to_string();
        assert!(message.contains("no “recency” column"), "{message}");

        let (_d, path) = write("frequency,recency,T\n");
        assert!(matches!(
            read_summary_file(&path),
            Err(SummaryFileError::Empty { .. })
        ));

        let (_d, path) = write("\u{0}\u{ff}garbage");
        assert!(read_summary_file(&path).is_err());
    }
}
