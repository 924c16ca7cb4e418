//! Getting rows out of any file an owner brings: sniffing the text encoding, the
//! delimiter (or whitespace columns, or a spreadsheet) and the real header row, then
//! streaming the data rows as byte records.
//!
//! Text files are never loaded whole: a 256 KiB sample decides the format, then rows are
//! streamed through the `csv` crate. Each row is checked as UTF-8 once, as a whole (on the
//! parsing thread for a file's main pass), and its cells are then read as text without
//! copies; a row that is not UTF-8, and every row of a Windows-1252 file, stays bytes and is
//! decoded cell by cell when a preset asks (Windows-1252 for legacy files and stray bytes),
//! so the 60 columns nobody uses cost nothing. Spreadsheets (`calamine`) are read
//! sheet-at-a-time.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek as _, SeekFrom};
use std::path::Path;

use csv::{ByteRecord, StringRecord};
use encoding_rs::{UTF_16BE, UTF_16LE, WINDOWS_1252};

use super::ImportError;

/// Bytes read to decide encoding, delimiter and header row.
const SAMPLE_BYTES: usize = 256 * 1024;

/// Records looked at to find the header row.
const HEADER_SEARCH_ROWS: usize = 80;

/// The text encoding of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum TextEncoding {
    /// UTF-8 without a byte-order mark.
    Utf8,
    /// UTF-8 starting with a byte-order mark (Excel, PayPal).
    Utf8Bom,
    /// Windows-1252 (Latin-1 superset): older and Excel-saved files.
    Windows1252,
    /// UTF-16 little-endian with BOM (Excel "Unicode text").
    Utf16Le,
    /// UTF-16 big-endian with BOM.
    Utf16Be,
    /// Not text: a spreadsheet file.
    Spreadsheet,
}

impl TextEncoding {
    /// The label shown in the preview and the JSON report.
    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf8Bom => "utf-8-bom",
            TextEncoding::Windows1252 => "windows-1252",
            TextEncoding::Utf16Le => "utf-16le",
            TextEncoding::Utf16Be => "utf-16be",
            TextEncoding::Spreadsheet => "xlsx",
        }
    }
}

/// How cells are separated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Layout {
    /// A delimiter byte: `,`, `;`, tab or `|`.
    Delimited(u8),
    /// Columns separated by runs of spaces or tabs (CDNOW).
    Whitespace,
    /// A spreadsheet: its first non-empty sheet.
    Spreadsheet,
}

impl Layout {
    /// `,` `;` `\t` `|`, `whitespace` or `xlsx`, for the preview and the JSON report.
    pub fn label(self) -> String {
        match self {
            Layout::Delimited(b'\t') => "\t".to_owned(),
            Layout::Delimited(b) => char::from(b).to_string(),
            Layout::Whitespace => "whitespace".to_owned(),
            Layout::Spreadsheet => "xlsx".to_owned(),
        }
    }

    /// Words for the preview: "comma", "semicolon", …
    pub fn describe(self) -> &'static str {
        match self {
            Layout::Delimited(b',') => "comma",
            Layout::Delimited(b';') => "semicolon",
            Layout::Delimited(b'\t') => "tab",
            Layout::Delimited(b'|') => "vertical bar",
            Layout::Delimited(_) => "other delimiter",
            Layout::Whitespace => "aligned columns",
            Layout::Spreadsheet => "spreadsheet",
        }
    }
}

/// What sniffing found out about a file.
#[derive(Clone, Debug)]
pub struct Sniffed {
    /// Text encoding.
    pub encoding: TextEncoding,
    /// Cell separation.
    pub layout: Layout,
    /// The header's cells as text, or `None` for header-less files (CDNOW).
    pub header: Option<Vec<String>>,
    /// Records before the header (titles, padding) that were skipped.
    pub rows_before_header: usize,
    /// Name of the sheet read, for spreadsheets.
    pub sheet: Option<String>,
    /// Sheets before it that hold something but no table of orders (a cover or notes
    /// sheet), passed over.
    pub sheets_passed: Vec<String>,
    /// Whether quoted cells follow their delimiter after spaces (`"a", "b"`: older PayPal
    /// downloads). The reader drops those spaces, or every cell would keep its quotes and
    /// a quoted comma would split it.
    pub padded_quotes: bool,
}

/// One data row: where it is in the file and its cells.
#[derive(Clone, Debug, Default)]
pub struct RawRow {
    /// 1-based line (text) or row (spreadsheet) number, for messages.
    pub number: u64,
    cells: Cells,
}

/// A row's cells: bytes, or text once the whole row was checked as UTF-8 (then no cell
/// needs checking again; a million-row file reads ten cells a row).
#[derive(Clone, Debug)]
enum Cells {
    Bytes(ByteRecord),
    Text(StringRecord),
    /// Only while one form is being turned into the other.
    Empty,
}

impl Default for Cells {
    fn default() -> Self {
        Cells::Bytes(ByteRecord::new())
    }
}

impl RawRow {
    /// A row of `record`'s cells.
    pub fn new(number: u64, record: ByteRecord) -> RawRow {
        RawRow {
            number,
            cells: Cells::Bytes(record),
        }
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        match &self.cells {
            Cells::Bytes(record) => record.len(),
            Cells::Text(record) => record.len(),
            Cells::Empty => 0,
        }
    }

    /// Whether the row has no cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where the row starts in the file (text files).
    pub fn position(&self) -> Option<&csv::Position> {
        match &self.cells {
            Cells::Bytes(record) => record.position(),
            Cells::Text(record) => record.position(),
            Cells::Empty => None,
        }
    }

    /// Cell `index` as text (trimmed), empty when the row is shorter.
    pub fn cell(&self, index: usize, encoding: TextEncoding) -> Cow<'_, str> {
        match &self.cells {
            Cells::Text(record) => Cow::Borrowed(record.get(index).unwrap_or_default().trim()),
            Cells::Bytes(record) => decode_cell(record.get(index).unwrap_or_default(), encoding),
            Cells::Empty => Cow::Borrowed(""),
        }
    }

    /// Number of non-blank cells.
    pub fn filled_cells(&self) -> usize {
        let blank = |c: &[u8]| c.iter().all(u8::is_ascii_whitespace);
        match &self.cells {
            Cells::Bytes(record) => record.iter().filter(|c| !blank(c)).count(),
            Cells::Text(record) => record.iter().filter(|c| !blank(c.as_bytes())).count(),
            Cells::Empty => 0,
        }
    }

    /// Runs `fill` on the row's cells as bytes (reusing their buffers), to read the next
    /// record into them.
    pub fn fill<R>(&mut self, fill: impl FnOnce(&mut ByteRecord) -> R) -> R {
        let mut record = match std::mem::replace(&mut self.cells, Cells::Empty) {
            Cells::Text(text) => text.into_byte_record(),
            Cells::Bytes(bytes) => bytes,
            Cells::Empty => ByteRecord::new(),
        };
        let result = fill(&mut record);
        self.cells = Cells::Bytes(record);
        result
    }

    /// Checks the whole row as UTF-8 once, so its cells are read without checking each.
    /// Windows-1252 files stay bytes: their cells are decoded as Windows-1252 even where
    /// the bytes happen to be valid UTF-8.
    fn check_text(&mut self, encoding: TextEncoding) {
        if encoding == TextEncoding::Windows1252 || !matches!(self.cells, Cells::Bytes(_)) {
            return;
        }
        self.cells = match std::mem::replace(&mut self.cells, Cells::Empty) {
            Cells::Bytes(bytes) => match StringRecord::from_byte_record(bytes) {
                Ok(text) => Cells::Text(text),
                Err(not_text) => Cells::Bytes(not_text.into_byte_record()),
            },
            other => other,
        };
    }
}

/// Decodes one cell and trims it. UTF-8 is borrowed; invalid UTF-8 (a stray legacy byte in
/// a UTF-8 file) and Windows-1252 files are decoded as Windows-1252.
pub fn decode_cell(bytes: &[u8], encoding: TextEncoding) -> Cow<'_, str> {
    if encoding != TextEncoding::Windows1252
        && let Ok(text) = std::str::from_utf8(bytes)
    {
        return Cow::Borrowed(text.trim());
    }
    let (decoded, _, _) = WINDOWS_1252.decode(bytes);
    match decoded {
        Cow::Borrowed(text) => Cow::Borrowed(text.trim()),
        Cow::Owned(text) => Cow::Owned(text.trim().to_owned()),
    }
}

/// Sniffs `path`: encoding, layout, header row. `looks_like_header` recognises a header
/// row of a known platform, which wins over the generic guess.
pub fn sniff(
    path: &Path,
    looks_like_header: &dyn Fn(&[String]) -> bool,
) -> Result<Sniffed, ImportError> {
    let file_error = |e: std::io::Error| ImportError::Io {
        file: path.display().to_string(),
        detail: e.to_string(),
    };
    let size = std::fs::metadata(path).map_err(file_error)?.len();
    if size == 0 {
        return Err(ImportError::Empty {
            file: display_name(path),
        });
    }
    let mut sample = Vec::with_capacity(SAMPLE_BYTES.min(size as usize));
    File::open(path)
        .map_err(file_error)?
        .take(SAMPLE_BYTES as u64)
        .read_to_end(&mut sample)
        .map_err(file_error)?;

    if is_spreadsheet(path, &sample) {
        return sniff_spreadsheet(path, looks_like_header);
    }
    let encoding = detect_encoding(&sample);
    let text = decode_sample(&sample, encoding, (sample.len() as u64) < size);
    if looks_binary(&text) {
        return Err(ImportError::NotATable {
            file: display_name(path),
        });
    }
    if text.trim().is_empty() {
        return Err(ImportError::Empty {
            file: display_name(path),
        });
    }
    if is_whitespace_table(&text) {
        return Ok(Sniffed {
            encoding,
            layout: Layout::Whitespace,
            header: None,
            rows_before_header: 0,
            sheet: None,
            sheets_passed: Vec::new(),
            padded_quotes: false,
        });
    }
    let delimiter = detect_delimiter(&text).ok_or_else(|| ImportError::NotATable {
        file: display_name(path),
    })?;
    let padded_quotes = has_padded_quotes(&text, delimiter);
    let records = if padded_quotes {
        sample_records(&unpadded_text(&text, delimiter), delimiter)
    } else {
        sample_records(&text, delimiter)
    };
    let header_index =
        find_header(&records, looks_like_header).ok_or_else(|| ImportError::NotATable {
            file: display_name(path),
        })?;
    Ok(Sniffed {
        encoding,
        layout: Layout::Delimited(delimiter),
        header: Some(records[header_index].clone()),
        rows_before_header: header_index,
        sheet: None,
        sheets_passed: Vec::new(),
        padded_quotes,
    })
}

/// Whether a quoted cell follows its delimiter after spaces somewhere in `text`.
fn has_padded_quotes(text: &str, delimiter: u8) -> bool {
    text.as_bytes()
        .windows(3)
        .any(|w| w == [delimiter, b' ', b'"'])
}

/// `text` without the spaces between a delimiter and a quoted cell.
fn unpadded_text(text: &str, delimiter: u8) -> String {
    let mut out = String::with_capacity(text.len());
    let read = PaddedQuotes::new(text.as_bytes(), delimiter).read_to_string(&mut out);
    // Reading from memory cannot fail, and only ASCII spaces are dropped.
    if read.is_err() {
        return text.to_owned();
    }
    out
}

/// A stream without the spaces between a delimiter (or a line start) and the opening quote
/// of the next cell; everything else, quoted text included, passes through unchanged.
struct PaddedQuotes<R> {
    inner: R,
    delimiter: u8,
    in_quotes: bool,
    /// Right after a delimiter or line end, outside quotes.
    cell_start: bool,
    /// Spaces read at a cell start, written only if no quote follows.
    held_spaces: usize,
}

impl<R: BufRead> PaddedQuotes<R> {
    fn new(inner: R, delimiter: u8) -> PaddedQuotes<R> {
        PaddedQuotes {
            inner,
            delimiter,
            in_quotes: false,
            cell_start: true,
            held_spaces: 0,
        }
    }
}

impl<R: BufRead> Read for PaddedQuotes<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let mut written = 0;
        loop {
            let input = self.inner.fill_buf()?;
            if input.is_empty() {
                // Spaces at the very end stay.
                let n = self.held_spaces.min(out.len() - written);
                out[written..written + n].fill(b' ');
                self.held_spaces -= n;
                return Ok(written + n);
            }
            let mut used = 0;
            for &byte in input {
                if self.in_quotes {
                    if written == out.len() {
                        break;
                    }
                    out[written] = byte;
                    written += 1;
                    self.in_quotes = byte != b'"';
                } else if self.cell_start && byte == b' ' {
                    self.held_spaces += 1;
                } else if self.cell_start && byte == b'"' {
                    if written == out.len() {
                        break;
                    }
                    self.held_spaces = 0;
                    out[written] = byte;
                    written += 1;
                    self.in_quotes = true;
                    self.cell_start = false;
                } else {
                    if written + self.held_spaces + 1 > out.len() {
                        break;
                    }
                    out[written..written + self.held_spaces].fill(b' ');
                    written += self.held_spaces;
                    self.held_spaces = 0;
                    out[written] = byte;
                    written += 1;
                    self.in_quotes = byte == b'"';
                    self.cell_start = byte == self.delimiter || byte == b'\n' || byte == b'\r';
                }
                used += 1;
            }
            self.inner.consume(used);
            if written > 0 {
                return Ok(written);
            }
            if used == 0 {
                // More held spaces than `out` holds: write what fits.
                let n = self.held_spaces.min(out.len());
                out[..n].fill(b' ');
                self.held_spaces -= n;
                return Ok(n);
            }
        }
    }
}

/// The file name without its folder, for messages.
pub fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn is_spreadsheet(path: &Path, sample: &[u8]) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let zip = sample.starts_with(b"PK\x03\x04");
    let ole = sample.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    matches!(ext.as_str(), "xlsx" | "xlsm" | "xlsb" | "xls" | "ods") || zip || ole
}

fn detect_encoding(sample: &[u8]) -> TextEncoding {
    if sample.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return TextEncoding::Utf8Bom;
    }
    if sample.starts_with(&[0xFF, 0xFE]) {
        return TextEncoding::Utf16Le;
    }
    if sample.starts_with(&[0xFE, 0xFF]) {
        return TextEncoding::Utf16Be;
    }
    // UTF-16 without a BOM: ASCII text with every other byte zero.
    let head = &sample[..sample.len().min(400)];
    if head.len() >= 8 {
        let zeros_odd = head.iter().skip(1).step_by(2).filter(|b| **b == 0).count();
        let zeros_even = head.iter().step_by(2).filter(|b| **b == 0).count();
        if zeros_odd * 10 > head.len() * 4 {
            return TextEncoding::Utf16Le;
        }
        if zeros_even * 10 > head.len() * 4 {
            return TextEncoding::Utf16Be;
        }
    }
    match std::str::from_utf8(sample) {
        Ok(_) => TextEncoding::Utf8,
        // A multi-byte character cut at the end of the sample is still UTF-8.
        Err(e) if e.error_len().is_none() && e.valid_up_to() + 4 >= sample.len() => {
            TextEncoding::Utf8
        }
        Err(_) => TextEncoding::Windows1252,
    }
}

fn decode_sample(sample: &[u8], encoding: TextEncoding, truncated: bool) -> String {
    let mut text = match encoding {
        TextEncoding::Utf8 | TextEncoding::Spreadsheet => {
            String::from_utf8_lossy(sample).into_owned()
        }
        TextEncoding::Utf8Bom => String::from_utf8_lossy(&sample[3..]).into_owned(),
        TextEncoding::Windows1252 => WINDOWS_1252.decode(sample).0.into_owned(),
        TextEncoding::Utf16Le => UTF_16LE.decode(sample).0.into_owned(),
        TextEncoding::Utf16Be => UTF_16BE.decode(sample).0.into_owned(),
    };
    if truncated && let Some(last_newline) = text.rfind('\n') {
        // Drop the partial last line of a sample cut from a longer file.
        text.truncate(last_newline + 1);
    }
    text
}

fn looks_binary(text: &str) -> bool {
    let sample: Vec<char> = text.chars().take(4096).collect();
    let control = sample
        .iter()
        .filter(|c| (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || **c == '\u{fffd}')
        .count();
    control * 20 > sample.len().max(1)
}

/// CDNOW-style files: every line is 4–5 numeric tokens separated by runs of blanks.
fn is_whitespace_table(text: &str) -> bool {
    let mut lines = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()).take(200) {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        let numeric = tokens.iter().all(|t| {
            t.bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        });
        if !(3..=6).contains(&tokens.len()) || !numeric || line.contains([',', ';']) {
            return false;
        }
        lines += 1;
    }
    lines > 0
}

/// The delimiter that splits the sample into the most consistent table.
fn detect_delimiter(text: &str) -> Option<u8> {
    let mut best: Option<(u8, f64)> = None;
    for candidate in [b',', b';', b'\t', b'|'] {
        let counts: Vec<usize> = sample_records(text, candidate)
            .iter()
            .map(Vec::len)
            .filter(|n| *n >= 2)
            .collect();
        if counts.is_empty() {
            continue;
        }
        let modal = modal_count(&counts);
        let consistent = counts.iter().filter(|n| **n == modal).count() as f64;
        // Consistency matters most; more columns break ties (a comma inside text gives
        // a spurious second column in a few rows only).
        let score = consistent * (1.0 + (modal as f64).ln());
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((candidate, score));
        }
    }
    best.map(|(d, _)| d)
}

fn modal_count(counts: &[usize]) -> usize {
    let mut tally = std::collections::HashMap::new();
    for n in counts {
        *tally.entry(*n).or_insert(0usize) += 1;
    }
    tally
        .into_iter()
        .max_by_key(|(n, c)| (*c, *n))
        .map_or(0, |(n, _)| n)
}

fn sample_records(text: &str, delimiter: u8) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    reader
        .records()
        .take(HEADER_SEARCH_ROWS)
        .filter_map(Result::ok)
        .map(|r| r.iter().map(|c| c.trim().to_owned()).collect())
        .collect()
}

/// The index of the header row among the first records: a known platform header if there
/// is one, else the first row of mostly-text cells that is followed by data.
fn find_header(
    records: &[Vec<String>],
    looks_like_header: &dyn Fn(&[String]) -> bool,
) -> Option<usize> {
    if let Some(i) = records.iter().position(|r| looks_like_header(r)) {
        return Some(i);
    }
    let filled = |r: &Vec<String>| r.iter().filter(|c| !c.is_empty()).count();
    let widths: Vec<usize> = records.iter().map(filled).filter(|n| *n >= 2).collect();
    let modal = modal_count(&widths);
    if modal < 2 {
        return None;
    }
    records.iter().enumerate().position(|(i, r)| {
        let cells: Vec<&String> = r.iter().filter(|c| !c.is_empty()).collect();
        let texty = cells.iter().filter(|c| !looks_like_value(c)).count();
        cells.len() * 10 >= modal * 6
            && texty * 10 >= cells.len() * 7
            // Data follows within a few rows (group rows may come first).
            && (i + 1 == records.len() || records.iter().skip(i + 1).take(3).any(|next| filled(next) >= 2))
    })
}

/// Numbers, money and dates are data, not header names.
fn looks_like_value(cell: &str) -> bool {
    let stripped: String = cell
        .chars()
        .filter(|c| {
            !matches!(
                c,
                '$' | '€' | '£' | ',' | '.' | '-' | '/' | ':' | ' ' | '\''
            )
        })
        .collect();
    !stripped.is_empty() && stripped.chars().all(|c| c.is_ascii_digit())
}

fn sniff_spreadsheet(
    path: &Path,
    looks_like_header: &dyn Fn(&[String]) -> bool,
) -> Result<Sniffed, ImportError> {
    let sample_of = |rows: &[ByteRecord]| -> Vec<Vec<String>> {
        rows.iter()
            .take(HEADER_SEARCH_ROWS)
            .map(|r| {
                r.iter()
                    .map(|c| String::from_utf8_lossy(c).trim().to_owned())
                    .collect()
            })
            .collect()
    };
    // The first sheet with a table: a cover or notes sheet before the orders is passed.
    let sheet = read_sheet(path, None, &|rows| {
        find_header(&sample_of(rows), looks_like_header).is_some()
    })?;
    let sample = sample_of(&sheet.rows);
    let header_index =
        find_header(&sample, looks_like_header).ok_or_else(|| ImportError::NotATable {
            file: display_name(path),
        })?;
    let (sheet, sheets_passed) = (sheet.name, sheet.passed);
    Ok(Sniffed {
        encoding: TextEncoding::Spreadsheet,
        layout: Layout::Spreadsheet,
        header: Some(sample[header_index].clone()),
        rows_before_header: header_index,
        sheet: Some(sheet),
        sheets_passed,
        padded_quotes: false,
    })
}

/// One sheet of a workbook as records of text cells.
struct Sheet {
    name: String,
    /// Sheet rows above the first record (calamine starts at the first filled row), so
    /// messages give the row number Excel shows.
    rows_above: u64,
    rows: Vec<ByteRecord>,
    /// The non-empty sheets before it that were not accepted.
    passed: Vec<String>,
}

/// The first non-empty sheet (`only` given: that sheet) that `accept`s its rows, else the
/// first non-empty one. Excel dates become ISO text (`2025-01-31 14:05:00`), numbers their
/// shortest decimal form.
fn read_sheet(
    path: &Path,
    only: Option<&str>,
    accept: &dyn Fn(&[ByteRecord]) -> bool,
) -> Result<Sheet, ImportError> {
    use calamine::Reader as _;
    let bad = |detail: String| ImportError::Spreadsheet {
        file: display_name(path),
        detail,
    };
    let mut workbook = calamine::open_workbook_auto(path).map_err(|e| bad(e.to_string()))?;
    let mut first: Option<Sheet> = None;
    let mut passed = Vec::new();
    for name in workbook.sheet_names() {
        if only.is_some_and(|only| only != name) {
            continue;
        }
        let range = workbook
            .worksheet_range(&name)
            .map_err(|e| bad(e.to_string()))?;
        if range.is_empty() {
            continue;
        }
        let rows: Vec<ByteRecord> = range
            .rows()
            .map(|cells| {
                let mut record = ByteRecord::new();
                for cell in cells {
                    record.push_field(spreadsheet_cell_text(cell).as_bytes());
                }
                record
            })
            .collect();
        let sheet = Sheet {
            name,
            rows_above: range.start().map_or(0, |(row, _)| u64::from(row)),
            rows,
            passed: passed.clone(),
        };
        if accept(&sheet.rows) {
            return Ok(sheet);
        }
        passed.push(sheet.name.clone());
        first.get_or_insert(sheet);
    }
    first.ok_or_else(|| ImportError::Empty {
        file: display_name(path),
    })
}

fn spreadsheet_cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 1e15 {
                format!("{}", *f as i64)
            } else {
                format!("{f}")
            }
        }
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.format("%Y-%m-%d").to_string(),
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => d.as_f64().to_string(),
        },
    }
}

/// Streams the data rows after the header.
pub struct RowReader {
    inner: Inner,
    encoding: TextEncoding,
}

enum Inner {
    Csv {
        reader: Box<csv::Reader<Box<dyn Read + Send>>>,
        lines: SharedLines,
    },
    Threaded(ThreadedCsv),
    Lines {
        reader: BufReader<Box<dyn Read + Send>>,
        /// The current line, its buffer reused.
        line: String,
        number: u64,
        /// Where the next line starts in the decoded text (the same as in the file for
        /// ASCII and UTF-8): the rows' positions, for progress.
        offset: u64,
    },
    Sheet {
        rows: std::vec::IntoIter<ByteRecord>,
        number: u64,
    },
}

impl RowReader {
    /// Opens `path` as `sniffed` describes and skips to the first data row.
    pub fn open(path: &Path, sniffed: &Sniffed) -> Result<RowReader, ImportError> {
        let file_error = |e: std::io::Error| ImportError::Io {
            file: display_name(path),
            detail: e.to_string(),
        };
        let skip = sniffed.rows_before_header + usize::from(sniffed.header.is_some());
        let inner = match sniffed.layout {
            Layout::Spreadsheet => {
                let sheet = read_sheet(path, sniffed.sheet.as_deref(), &|_| true)?;
                let mut rows = sheet.rows.into_iter();
                for _ in 0..skip {
                    rows.next();
                }
                Inner::Sheet {
                    rows,
                    number: sheet.rows_above + skip as u64,
                }
            }
            Layout::Whitespace => Inner::Lines {
                reader: BufReader::new(text_stream(path, sniffed.encoding).map_err(file_error)?),
                line: String::new(),
                number: 0,
                offset: 0,
            },
            Layout::Delimited(delimiter) => {
                let (stream, lines) = counting_lines(unpadded_if(
                    sniffed.padded_quotes,
                    text_stream(path, sniffed.encoding).map_err(file_error)?,
                    delimiter,
                ));
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .delimiter(delimiter)
                    .from_reader(stream);
                let mut record = ByteRecord::new();
                for _ in 0..skip {
                    if !reader
                        .read_byte_record(&mut record)
                        .map_err(|e| csv_error(path, &e))?
                    {
                        break;
                    }
                }
                Inner::Csv {
                    reader: Box::new(reader),
                    lines,
                }
            }
        };
        Ok(RowReader {
            inner,
            encoding: sniffed.encoding,
        })
    }

    /// Like [`RowReader::open`], for a full pass over a delimited file: the records are
    /// parsed on a second thread (in batches whose buffers are reused) while the caller
    /// interprets them, and the file's SHA-256 is computed from the same bytes on the way.
    /// Other layouts fall back to [`RowReader::open`].
    pub fn open_threaded(path: &Path, sniffed: &Sniffed) -> Result<RowReader, ImportError> {
        let Layout::Delimited(delimiter) = sniffed.layout else {
            return RowReader::open(path, sniffed);
        };
        let file = File::open(path).map_err(|e| ImportError::Io {
            file: display_name(path),
            detail: e.to_string(),
        })?;
        let skip = sniffed.rows_before_header + usize::from(sniffed.header.is_some());
        Ok(RowReader {
            inner: Inner::Threaded(ThreadedCsv::start(
                path,
                file,
                sniffed.encoding,
                delimiter,
                skip,
                sniffed.padded_quotes,
            )),
            encoding: sniffed.encoding,
        })
    }

    /// The file's SHA-256 (hex) if this reader hashed it and has read it to the end.
    pub fn finish(self) -> Option<String> {
        match self.inner {
            Inner::Threaded(threaded) => threaded.finish(),
            _ => None,
        }
    }

    /// Reads the next row into `row`; `false` at the end of the file.
    pub fn next_row(&mut self, row: &mut RawRow, path: &Path) -> Result<bool, ImportError> {
        match &mut self.inner {
            Inner::Threaded(threaded) => threaded.next_row(row),
            Inner::Csv { reader, lines } => {
                let more = row
                    .fill(|record| reader.read_byte_record(record))
                    .map_err(|e| csv_error(path, &e))?;
                if let Ok(mut lines) = lines.lock() {
                    row.number = lines.line_of(row.position().map_or(0, csv::Position::byte));
                }
                row.check_text(self.encoding);
                Ok(more)
            }
            Inner::Lines {
                reader,
                line,
                number,
                offset,
            } => {
                line.clear();
                let read = reader.read_line(line).map_err(|e| ImportError::Io {
                    file: display_name(path),
                    detail: e.to_string(),
                })?;
                if read == 0 {
                    return Ok(false);
                }
                *number += 1;
                row.number = *number;
                let mut position = csv::Position::new();
                position.set_byte(*offset).set_line(*number);
                *offset += read as u64;
                row.fill(|record| {
                    record.clear();
                    for token in line.split_whitespace() {
                        record.push_field(token.as_bytes());
                    }
                    record.set_position(Some(position));
                });
                row.check_text(self.encoding);
                Ok(true)
            }
            Inner::Sheet { rows, number } => match rows.next() {
                Some(record) => {
                    *number += 1;
                    *row = RawRow::new(*number, record);
                    row.check_text(self.encoding);
                    Ok(true)
                }
                None => Ok(false),
            },
        }
    }
}

/// The file as a byte stream the csv reader can split: the BOM skipped, UTF-16 transcoded.
fn text_stream(path: &Path, encoding: TextEncoding) -> std::io::Result<Box<dyn Read + Send>> {
    let mut file = File::open(path)?;
    if encoding == TextEncoding::Utf8Bom {
        file.seek(SeekFrom::Start(3))?;
    }
    Ok(decoded_stream(file, encoding))
}

/// Where the lines of a stream begin, so a record's line number comes from its byte offset:
/// the csv reader's own count misses the line ends of CRLF files and blank lines.
#[derive(Default)]
struct LineStarts {
    /// Offsets of the line ends (`\n`) read but not yet passed by a record, each with
    /// whether a `\r` comes right before it.
    newlines: std::collections::VecDeque<(u64, bool)>,
    /// Line ends already passed.
    passed: u64,
    /// Whether the last byte read was `\r` (a CRLF split between two reads).
    after_cr: bool,
}

impl LineStarts {
    /// The 1-based line of the record the csv reader says starts at byte `offset`; offsets
    /// are asked in increasing order. The reader's offset is where it began reading, before
    /// the blank lines it skips: those are passed too.
    fn line_of(&mut self, mut offset: u64) -> u64 {
        while let Some(&(end, crlf)) = self.newlines.front() {
            let blank = end == offset || (crlf && end == offset + 1);
            if end >= offset && !blank {
                break;
            }
            if blank {
                offset = end + 1;
            }
            self.newlines.pop_front();
            self.passed += 1;
        }
        self.passed + 1
    }

    /// Notes the line ends of `bytes`, which start at byte `offset` of the stream.
    fn note(&mut self, bytes: &[u8], offset: u64) {
        for i in memchr::memchr_iter(b'\n', bytes) {
            let crlf = match i.checked_sub(1) {
                Some(before) => bytes[before] == b'\r',
                None => self.after_cr,
            };
            self.newlines.push_back((offset + i as u64, crlf));
        }
        if let Some(last) = bytes.last() {
            self.after_cr = *last == b'\r';
        }
    }
}

/// The line starts of a stream, shared by its reader and whoever numbers its records.
type SharedLines = std::sync::Arc<std::sync::Mutex<LineStarts>>;

/// A stream that notes where its lines end as they pass.
struct LineCounting {
    inner: Box<dyn Read + Send>,
    lines: SharedLines,
    offset: u64,
}

impl Read for LineCounting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Ok(mut lines) = self.lines.lock() {
            lines.note(&buf[..n], self.offset);
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// `stream`, counting its lines, and the line starts it fills in.
fn counting_lines(stream: Box<dyn Read + Send>) -> (Box<dyn Read + Send>, SharedLines) {
    let lines = SharedLines::default();
    let counting = LineCounting {
        inner: stream,
        lines: std::sync::Arc::clone(&lines),
        offset: 0,
    };
    (Box::new(counting), lines)
}

/// `stream`, without the spaces before quoted cells when `padded` (see [`PaddedQuotes`]).
fn unpadded_if(padded: bool, stream: Box<dyn Read + Send>, delimiter: u8) -> Box<dyn Read + Send> {
    if padded {
        Box::new(PaddedQuotes::new(BufReader::new(stream), delimiter))
    } else {
        stream
    }
}

/// `source` (positioned after any BOM) as bytes the csv reader can split: UTF-16 is
/// transcoded to UTF-8, everything else passes through.
fn decoded_stream<R: Read + Send + 'static>(
    source: R,
    encoding: TextEncoding,
) -> Box<dyn Read + Send> {
    match encoding {
        TextEncoding::Utf16Le | TextEncoding::Utf16Be => Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(if encoding == TextEncoding::Utf16Le {
                    UTF_16LE
                } else {
                    UTF_16BE
                }))
                .build(source),
        ),
        _ => Box::new(BufReader::with_capacity(1 << 16, source)),
    }
}

/// Rows per batch handed from the parsing thread to the caller: small enough that the
/// batches in flight stay in the processor's cache between the two threads (1024 was
/// measurably slower on a million-row file).
const BATCH_ROWS: usize = 256;

/// A SHA-256 hex digest, filled in when the whole file has been read.
type SharedDigest = std::sync::Arc<std::sync::Mutex<Option<String>>>;

/// Passes every byte read through SHA-256 and publishes the digest at the end of the file.
struct HashingReader<R> {
    inner: R,
    hasher: Option<sha2::Sha256>,
    digest: SharedDigest,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use sha2::Digest as _;
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            if let Some(hasher) = self.hasher.take() {
                let hex: String = hasher
                    .finalize()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                if let Ok(mut slot) = self.digest.lock() {
                    *slot = Some(hex);
                }
            }
        } else if let Some(hasher) = &mut self.hasher {
            hasher.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// Records parsed on a second thread and handed over in batches whose buffers are reused.
struct ThreadedCsv {
    batches: std::sync::mpsc::Receiver<Result<Vec<RawRow>, ImportError>>,
    recycle: std::sync::mpsc::Sender<Vec<RawRow>>,
    current: Vec<RawRow>,
    next: usize,
    digest: SharedDigest,
    thread: Option<std::thread::JoinHandle<()>>,
    ended: bool,
}

impl ThreadedCsv {
    fn start(
        path: &Path,
        file: File,
        encoding: TextEncoding,
        delimiter: u8,
        skip: usize,
        padded_quotes: bool,
    ) -> ThreadedCsv {
        let (batch_tx, batches) = std::sync::mpsc::sync_channel(4);
        let (recycle, recycled) = std::sync::mpsc::channel::<Vec<RawRow>>();
        let digest: SharedDigest = std::sync::Arc::default();
        let digest_out = std::sync::Arc::clone(&digest);
        let path = path.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("clv-desk-csv".to_owned())
            .spawn(move || {
                use sha2::Digest as _;
                let mut hashing = HashingReader {
                    inner: BufReader::with_capacity(1 << 16, file),
                    hasher: Some(sha2::Sha256::new()),
                    digest: digest_out,
                };
                if encoding == TextEncoding::Utf8Bom {
                    let mut bom = [0u8; 3];
                    if hashing.read_exact(&mut bom).is_err() {
                        return;
                    }
                }
                let (stream, lines) = counting_lines(unpadded_if(
                    padded_quotes,
                    decoded_stream(hashing, encoding),
                    delimiter,
                ));
                let mut reader = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .delimiter(delimiter)
                    .from_reader(stream);
                let mut scratch = ByteRecord::new();
                for _ in 0..skip {
                    match reader.read_byte_record(&mut scratch) {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(e) => {
                            let _ = batch_tx.send(Err(csv_error(&path, &e)));
                            return;
                        }
                    }
                }
                loop {
                    let mut batch = recycled.try_recv().unwrap_or_default();
                    batch.resize_with(BATCH_ROWS, RawRow::default);
                    let mut filled = 0;
                    while filled < BATCH_ROWS {
                        let row = &mut batch[filled];
                        match row.fill(|record| reader.read_byte_record(record)) {
                            Ok(true) => {
                                if let Ok(mut lines) = lines.lock() {
                                    row.number = lines
                                        .line_of(row.position().map_or(0, csv::Position::byte));
                                }
                                // Checked here, on the parsing thread, while the caller works.
                                row.check_text(encoding);
                                filled += 1;
                            }
                            Ok(false) => break,
                            Err(e) => {
                                let _ = batch_tx.send(Err(csv_error(&path, &e)));
                                return;
                            }
                        }
                    }
                    let done = filled < BATCH_ROWS;
                    batch.truncate(filled);
                    if !batch.is_empty() && batch_tx.send(Ok(batch)).is_err() {
                        return; // the caller stopped reading
                    }
                    if done {
                        return;
                    }
                }
            })
            .ok();
        ThreadedCsv {
            batches,
            recycle,
            current: Vec::new(),
            next: 0,
            digest,
            thread,
            ended: false,
        }
    }

    fn next_row(&mut self, row: &mut RawRow) -> Result<bool, ImportError> {
        loop {
            if self.next < self.current.len() {
                std::mem::swap(row, &mut self.current[self.next]);
                self.next += 1;
                return Ok(true);
            }
            if self.ended {
                return Ok(false);
            }
            let used = std::mem::take(&mut self.current);
            if used.capacity() > 0 {
                let _ = self.recycle.send(used);
            }
            self.next = 0;
            match self.batches.recv() {
                Ok(Ok(batch)) => self.current = batch,
                Ok(Err(e)) => return Err(e),
                Err(_) => {
                    self.ended = true;
                    return Ok(false);
                }
            }
        }
    }

    /// The digest, once every row was read (the thread has then finished).
    fn finish(mut self) -> Option<String> {
        if !self.ended {
            return None;
        }
        if let Some(thread) = self.thread.take() {
            thread.join().ok()?;
        }
        self.digest.lock().ok()?.clone()
    }
}

fn csv_error(path: &Path, error: &csv::Error) -> ImportError {
    let line = error.position().map_or(0, csv::Position::line);
    ImportError::Io {
        file: display_name(path),
        detail: format!("cannot read line {line}: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn no_presets(_: &[String]) -> bool {
        false
    }

    /// What [`PaddedQuotes`] makes of `text`, read `chunk` bytes at a time through a
    /// buffer of `capacity`.
    fn unpadded(text: &str, capacity: usize, chunk: usize) -> String {
        let source = BufReader::with_capacity(capacity, text.as_bytes());
        let mut stream = PaddedQuotes::new(source, b',');
        let mut out = Vec::new();
        let mut buffer = vec![0u8; chunk];
        loop {
            let n = stream.read(&mut buffer).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buffer[..n]);
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn spaces_before_quoted_cells_go_and_nothing_else_changes() {
        let text = "\"Date\", \"Name\",  \"Gross\"\n \"3/14/2016\", \"Smith, John\", \"1,250.00\"\n\
                    a, b ,\"say \"\"hi\"\", you\" , \"x\" \n   ";
        let expected = "\"Date\",\"Name\",\"Gross\"\n\"3/14/2016\",\"Smith, John\",\"1,250.00\"\n\
                        a, b ,\"say \"\"hi\"\", you\" ,\"x\" \n   ";
        for (capacity, chunk) in [(8192, 8192), (1, 1), (3, 2), (7, 5)] {
            assert_eq!(
                unpadded(text, capacity, chunk),
                expected,
                "read {chunk} at a time through {capacity}"
            );
        }
        assert!(has_padded_quotes(text, b','));
        assert!(!has_padded_quotes("\"a\",\"b\"\n", b','));
    }

    #[test]
    fn rows_are_numbered_by_the_line_they_start_on_whatever_the_line_ends() {
        let dir = tempfile::tempdir().unwrap();
        for (name, end) in [("lf.csv", "\n"), ("crlf.csv", "\r\n")] {
            // Lines: 1 header, 2 A1, 3 blank, 4–5 A2 with a two-line note, 6 A3.
            let text = ["Order,Note", "A1,x", "", "A2,\"two", "lines\"", "A3,y", ""].join(end);
            let path = write(&dir, name, text.as_bytes());
            let sniffed = sniff(&path, &no_presets).unwrap();
            let mut plain = RowReader::open(&path, &sniffed).unwrap();
            let mut threaded = RowReader::open_threaded(&path, &sniffed).unwrap();
            for reader in [&mut plain, &mut threaded] {
                let mut numbers = Vec::new();
                let mut row = RawRow::default();
                while reader.next_row(&mut row, &path).unwrap() {
                    numbers.push(row.number);
                }
                assert_eq!(numbers, [2, 4, 6], "{name}");
            }
        }
    }

    #[test]
    fn an_older_paypal_download_with_spaces_after_its_commas_reads_as_cells() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "Download.csv",
            b"\"Date\", \"Name\", \"Gross\"\n\"3/14/2016\", \"Smith, John\", \"1,250.00\"\n",
        );
        let sniffed = sniff(&path, &no_presets).unwrap();
        assert!(sniffed.padded_quotes);
        assert_eq!(
            sniffed.header.as_deref(),
            Some(&["Date".to_owned(), "Name".to_owned(), "Gross".to_owned()][..])
        );
        let expected = vec![vec!["3/14/2016", "Smith, John", "1,250.00"]];
        assert_eq!(rows(&path, &sniffed), expected);
        let mut threaded = RowReader::open_threaded(&path, &sniffed).unwrap();
        let mut row = RawRow::default();
        assert!(threaded.next_row(&mut row, &path).unwrap());
        let cells: Vec<String> = (0..row.len())
            .map(|i| row.cell(i, sniffed.encoding).into_owned())
            .collect();
        assert_eq!(cells, expected[0]);
    }

    fn rows(path: &Path, sniffed: &Sniffed) -> Vec<Vec<String>> {
        let mut reader = RowReader::open(path, sniffed).unwrap();
        let mut row = RawRow::default();
        let mut out = Vec::new();
        while reader.next_row(&mut row, path).unwrap() {
            out.push(
                (0..row.len())
                    .map(|i| row.cell(i, sniffed.encoding).into_owned())
                    .collect(),
            );
        }
        out
    }

    #[test]
    fn bom_is_stripped_and_utf8_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "p.csv",
            "\u{feff}\"Date\",\"Name\",\"Gross\"\n\"1/2/2025\",\"Zoë\",\"5.00\"\n".as_bytes(),
        );
        let s = sniff(&path, &no_presets).unwrap();
        assert_eq!(s.encoding, TextEncoding::Utf8Bom);
        assert_eq!(s.header.as_deref().unwrap()[0], "Date");
        assert_eq!(rows(&path, &s), vec![vec!["1/2/2025", "Zoë", "5.00"]]);
    }

    #[test]
    fn windows_1252_is_detected_and_decoded() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = b"Name;Amount\nM".to_vec();
        bytes.push(0xFC); // ü in cp1252
        bytes.extend_from_slice(b"ller;12,50\n");
        let path = write(&dir, "w.csv", &bytes);
        let s = sniff(&path, &no_presets).unwrap();
        assert_eq!(
            (s.encoding, s.layout),
            (TextEncoding::Windows1252, Layout::Delimited(b';'))
        );
        assert_eq!(rows(&path, &s), vec![vec!["Müller", "12,50"]]);
    }

    #[test]
    fn utf16_from_excel_unicode_text() {
        let dir = tempfile::tempdir().unwrap();
        let text = "Order\tTotal\n1001\t9.50\n";
        let mut bytes = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let path = write(&dir, "u.txt", &bytes);
        let s = sniff(&path, &no_presets).unwrap();
        assert_eq!(
            (s.encoding, s.layout),
            (TextEncoding::Utf16Le, Layout::Delimited(b'\t'))
        );
        assert_eq!(rows(&path, &s), vec![vec!["1001", "9.50"]]);
    }

    #[test]
    fn report_wrappers_before_the_header_are_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let csv = "Sales by Customer Detail\nJanuary - March 2025\n\n,Date,Transaction Type,Num,Amount\nJane Doe,,,,\n,01/05/2025,Invoice,1001,50.00\n";
        let path = write(&dir, "qb.csv", csv.as_bytes());
        let s = sniff(&path, &no_presets).unwrap();
        // Two title records; the empty line is not a record (the csv reader drops it).
        assert_eq!(s.rows_before_header, 2);
        assert_eq!(s.header.as_deref().unwrap()[1], "Date");
        assert_eq!(rows(&path, &s).len(), 2);
    }

    #[test]
    fn quoted_multiline_cells_and_semicolons_in_text() {
        let dir = tempfile::tempdir().unwrap();
        let csv = "Name,Notes,Total\n#1,\"line one\nline two; still notes\",10.00\n#2,,5.00\n";
        let path = write(&dir, "m.csv", csv.as_bytes());
        let s = sniff(&path, &no_presets).unwrap();
        assert_eq!(s.layout, Layout::Delimited(b','));
        let r = rows(&path, &s);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0][1], "line one\nline two; still notes");
    }

    #[test]
    fn whitespace_columns_are_recognised() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "cd.txt",
            b"00001 19970101  1  11.77\n00001 19970118 \t 2  89.00\n",
        );
        let s = sniff(&path, &no_presets).unwrap();
        assert_eq!((s.layout, s.header.clone()), (Layout::Whitespace, None));
        assert_eq!(rows(&path, &s)[1], vec!["00001", "19970118", "2", "89.00"]);
    }

    #[test]
    fn whitespace_rows_know_where_they_start_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let text = b"00001 19970101  1  11.77\n00002 19970118 \t 2  89.00\n00003 19970201 1 5.00\n";
        let path = write(&dir, "cd.txt", text);
        let s = sniff(&path, &no_presets).unwrap();
        let mut reader = RowReader::open(&path, &s).unwrap();
        let mut row = RawRow::default();
        let mut starts = Vec::new();
        while reader.next_row(&mut row, &path).unwrap() {
            let position = row.position().expect("a whitespace row has a position");
            starts.push((position.byte(), position.line(), row.number));
        }
        // Each line's first byte in the file, and its line number.
        assert_eq!(starts, vec![(0, 1, 1), (25, 2, 2), (51, 3, 3)]);
        assert_eq!(&text[25..30], b"00002");
        assert_eq!(&text[51..56], b"00003");
    }

    #[test]
    fn empty_and_binary_files_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let empty = write(&dir, "e.csv", b"");
        assert!(matches!(
            sniff(&empty, &no_presets),
            Err(ImportError::Empty { .. })
        ));
        let blank = write(&dir, "b.csv", b"\n\n  \n");
        assert!(matches!(
            sniff(&blank, &no_presets),
            Err(ImportError::Empty { .. })
        ));
        let binary: Vec<u8> = (0..2048u32).map(|i| (i * 131 % 256) as u8).collect();
        let bin = write(&dir, "g.bin", &binary);
        assert!(matches!(
            sniff(&bin, &no_presets),
            Err(ImportError::NotATable { .. })
        ));
    }

    #[test]
    fn threaded_reading_gives_the_same_rows_and_the_file_hash() {
        use sha2::Digest as _;
        let dir = tempfile::tempdir().unwrap();
        let mut csv = String::from("\u{feff}Order,Note,Total\n");
        for i in 0..3000 {
            csv.push_str(&format!("{i},\"multi\nline {i}\",{}.50\n", i % 90));
        }
        let path = write(&dir, "big.csv", csv.as_bytes());
        let s = sniff(&path, &no_presets).unwrap();
        let plain = rows(&path, &s);
        let mut threaded = RowReader::open_threaded(&path, &s).unwrap();
        let mut row = RawRow::default();
        let mut got = Vec::new();
        while threaded.next_row(&mut row, &path).unwrap() {
            got.push(
                (0..row.len())
                    .map(|i| row.cell(i, s.encoding).into_owned())
                    .collect::<Vec<_>>(),
            );
        }
        assert_eq!(got, plain);
        assert_eq!(got.len(), 3000);
        let expected: String = sha2::Sha256::digest(csv.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(threaded.finish(), Some(expected));
    }

    #[test]
    fn a_stray_legacy_byte_after_the_sample_decodes_only_its_cell_as_windows_1252() {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = b"Name,City,Total\n".to_vec();
        while bytes.len() <= SAMPLE_BYTES {
            bytes.extend_from_slice("Zoë,Köln,1.00\n".as_bytes());
        }
        bytes.extend_from_slice(b"M\xFCller,");
        bytes.extend_from_slice(" Zoë ,2.00\n".as_bytes());
        let path = write(&dir, "late.csv", &bytes);
        let s = sniff(&path, &no_presets).unwrap();
        assert_eq!(s.encoding, TextEncoding::Utf8);
        for threaded in [false, true] {
            let mut reader = if threaded {
                RowReader::open_threaded(&path, &s).unwrap()
            } else {
                RowReader::open(&path, &s).unwrap()
            };
            let mut row = RawRow::default();
            let mut last = Vec::new();
            let mut first = Vec::new();
            while reader.next_row(&mut row, &path).unwrap() {
                last = (0..row.len())
                    .map(|i| row.cell(i, s.encoding).into_owned())
                    .collect();
                if first.is_empty() {
                    first.clone_from(&last);
                }
            }
            assert_eq!(first, vec!["Zoë", "Köln", "1.00"]);
            assert_eq!(last, vec!["Müller", "Zoë", "2.00"]);
        }
    }

    #[test]
    fn a_known_header_wins_over_the_generic_guess() {
        let dir = tempfile::tempdir().unwrap();
        let csv = "Report,Generated\nOrder,Total\n1,2.00\n";
        let path = write(&dir, "k.csv", csv.as_bytes());
        let s = sniff(&path, &|h| h.first().is_some_and(|c| c == "Order")).unwrap();
        assert_eq!(s.rows_before_header, 1);
    }
}
