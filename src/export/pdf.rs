//! A small, self-contained PDF writer for the printable sheets CLV Desk makes (thank-you
//! cards, lists of referral codes): pages of positioned text lines, rectangles and lines,
//! and a text-width measure so callers can wrap text to fit before placing it.
//!
//! It exists so printing needs no extra crate and no font files: the output is PDF 1.4
//! using the standard Helvetica and Helvetica-Bold fonts every PDF reader carries, so
//! nothing is embedded. Text is encoded as WinAnsiEncoding (Windows code page 1252), which
//! covers accented Latin names such as "Zoë", "Müller" or "Séverine"; a character outside
//! it prints as `?`. Content streams are not compressed, so tests can read the text.
//!
//! Coordinates are in points (1/72 inch) measured from the page's **top-left** corner,
//! `y` growing downwards; a text line's `y` is its baseline. The writer converts to PDF's
//! bottom-left origin when it writes.

use std::fmt::Write as _;

/// Width of an A4 page in points.
pub const A4_WIDTH_PT: f64 = 595.28;
/// Height of an A4 page in points.
pub const A4_HEIGHT_PT: f64 = 841.89;

/// One of the two standard fonts the writer uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Font {
    /// Helvetica.
    Helvetica,
    /// Helvetica-Bold.
    HelveticaBold,
}

impl Font {
    /// The resource name used in content streams.
    fn resource(self) -> &'static str {
        match self {
            Font::Helvetica => "F1",
            Font::HelveticaBold => "F2",
        }
    }

    /// Advance width of one WinAnsi code in 1/1000 of the font size.
    fn advance(self, code: u8) -> u16 {
        let table = match self {
            Font::Helvetica => &HELVETICA_WIDTHS,
            Font::HelveticaBold => &HELVETICA_BOLD_WIDTHS,
        };
        match code {
            32..=255 => table[usize::from(code - 32)],
            _ => 0,
        }
    }
}

/// How a rectangle's outline or a line is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stroke {
    /// Line width in points.
    pub width_pt: f64,
    /// Grey level: 0 is black, 1 is white.
    pub gray: f64,
    /// Dash length (and gap) in points; `None` for a solid line.
    pub dash_pt: Option<f64>,
}

impl Stroke {
    /// A thin solid black line.
    pub fn solid(width_pt: f64) -> Stroke {
        Stroke {
            width_pt,
            gray: 0.0,
            dash_pt: None,
        }
    }

    /// A thin grey dashed line, as for cutting marks.
    pub fn dashed(width_pt: f64, dash_pt: f64) -> Stroke {
        Stroke {
            width_pt,
            gray: 0.6,
            dash_pt: Some(dash_pt),
        }
    }
}

/// One thing drawn on a page.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A line of text starting at `(x_pt, y_pt)` (the baseline), not wrapped.
    Text {
        /// Left edge in points from the left of the page.
        x_pt: f64,
        /// Baseline in points from the top of the page.
        y_pt: f64,
        /// The font.
        font: Font,
        /// Font size in points.
        size_pt: f64,
        /// Grey level: 0 is black, 1 is white.
        gray: f64,
        /// The text (one line; line breaks print as spaces).
        text: String,
    },
    /// The outline of a rectangle whose top-left corner is `(x_pt, y_pt)`.
    Rect {
        /// Left edge in points.
        x_pt: f64,
        /// Top edge in points from the top of the page.
        y_pt: f64,
        /// Width in points.
        width_pt: f64,
        /// Height in points.
        height_pt: f64,
        /// How the outline is drawn.
        stroke: Stroke,
    },
    /// A straight line.
    Line {
        /// Start, points from the left.
        x1_pt: f64,
        /// Start, points from the top.
        y1_pt: f64,
        /// End, points from the left.
        x2_pt: f64,
        /// End, points from the top.
        y2_pt: f64,
        /// How it is drawn.
        stroke: Stroke,
    },
}

/// One page and what is drawn on it, in drawing order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    /// What the page shows.
    pub items: Vec<Item>,
}

impl Page {
    /// Adds a black line of text with its baseline at `(x_pt, y_pt)`.
    pub fn text(&mut self, x_pt: f64, y_pt: f64, font: Font, size_pt: f64, text: &str) {
        self.grey_text(x_pt, y_pt, font, size_pt, 0.0, text);
    }

    /// Adds a line of text in grey level `gray` (0 black, 1 white).
    pub fn grey_text(
        &mut self,
        x_pt: f64,
        y_pt: f64,
        font: Font,
        size_pt: f64,
        gray: f64,
        text: &str,
    ) {
        self.items.push(Item::Text {
            x_pt,
            y_pt,
            font,
            size_pt,
            gray,
            text: text.to_owned(),
        });
    }

    /// Adds the outline of a rectangle with its top-left corner at `(x_pt, y_pt)`.
    pub fn rect(&mut self, x_pt: f64, y_pt: f64, width_pt: f64, height_pt: f64, stroke: Stroke) {
        self.items.push(Item::Rect {
            x_pt,
            y_pt,
            width_pt,
            height_pt,
            stroke,
        });
    }

    /// Adds a straight line from `(x1_pt, y1_pt)` to `(x2_pt, y2_pt)`.
    pub fn line(&mut self, x1_pt: f64, y1_pt: f64, x2_pt: f64, y2_pt: f64, stroke: Stroke) {
        self.items.push(Item::Line {
            x1_pt,
            y1_pt,
            x2_pt,
            y2_pt,
            stroke,
        });
    }

    /// The text lines of the page, in drawing order (for tests and checks).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.items.iter().filter_map(|item| match item {
            Item::Text { text, .. } => Some(text.as_str()),
            _ => None,
        })
    }
}

/// A document: pages of one size, and a title for the reader's window.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// Page width in points.
    pub width_pt: f64,
    /// Page height in points.
    pub height_pt: f64,
    /// Shown by PDF readers as the document's title (characters outside ASCII print as `?`).
    pub title: String,
    /// The pages in order.
    pub pages: Vec<Page>,
}

impl Document {
    /// An empty A4 portrait document.
    pub fn a4(title: &str) -> Document {
        Document {
            width_pt: A4_WIDTH_PT,
            height_pt: A4_HEIGHT_PT,
            title: title.to_owned(),
            pages: Vec::new(),
        }
    }

    /// The PDF file's bytes. A document without pages gets one blank page (a PDF must have
    /// at least one).
    pub fn to_bytes(&self) -> Vec<u8> {
        let blank = [Page::default()];
        let pages: &[Page] = if self.pages.is_empty() {
            &blank
        } else {
            &self.pages
        };
        // Objects: 1 catalog, 2 page tree, 3 Helvetica, 4 Helvetica-Bold, 5 info, then
        // each page and its content stream.
        let first_page = 6;
        let page_id = |n: usize| first_page + 2 * n;
        let mut objects: Vec<Vec<u8>> = Vec::with_capacity(5 + 2 * pages.len());
        objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
        let kids: Vec<String> = (0..pages.len())
            .map(|n| format!("{} 0 R", page_id(n)))
            .collect();
        objects.push(
            format!(
                "<< /Type /Pages /Kids [{}] /Count {} >>",
                kids.join(" "),
                pages.len()
            )
            .into_bytes(),
        );
        for name in ["Helvetica", "Helvetica-Bold"] {
            objects.push(
                format!(
                    "<< /Type /Font /Subtype /Type1 /BaseFont /{name} /Encoding /WinAnsiEncoding >>"
                )
                .into_bytes(),
            );
        }
        let mut info = b"<< /Producer (CLV Desk) /Title ".to_vec();
        info.extend(literal(&ascii_only(&self.title)));
        info.extend(b" >>");
        objects.push(info);
        for (n, page) in pages.iter().enumerate() {
            objects.push(
                format!(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] \
                     /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
                    number(self.width_pt),
                    number(self.height_pt),
                    page_id(n) + 1
                )
                .into_bytes(),
            );
            let content = content_stream(page, self.height_pt);
            let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
            stream.extend(&content);
            stream.extend(b"\nendstream");
            objects.push(stream);
        }
        assemble(&objects)
    }
}

/// The file around the numbered objects: header, objects, cross-reference table with each
/// object's byte offset, trailer.
fn assemble(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (n, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n", n + 1).as_bytes());
        out.extend(body);
        out.extend(b"\nendobj\n");
    }
    let xref_at = out.len();
    let mut xref = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        let _ = writeln!(xref, "{offset:010} 00000 n ");
    }
    let _ = write!(
        xref,
        "trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref_at}\n%%EOF\n",
        objects.len() + 1
    );
    out.extend(xref.as_bytes());
    out
}

/// The drawing operators of one page, flipping `y` to PDF's bottom-left origin.
fn content_stream(page: &Page, height_pt: f64) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    let y = |top: f64| number(height_pt - top);
    for item in &page.items {
        match item {
            Item::Text {
                x_pt,
                y_pt,
                font,
                size_pt,
                gray,
                text,
            } => {
                out.extend(
                    format!(
                        "BT {} g /{} {} Tf 1 0 0 1 {} {} Tm ",
                        number(*gray),
                        font.resource(),
                        number(*size_pt),
                        number(*x_pt),
                        y(*y_pt)
                    )
                    .as_bytes(),
                );
                out.extend(literal(&encode_win_ansi(text)));
                out.extend(b" Tj ET\n");
            }
            Item::Rect {
                x_pt,
                y_pt,
                width_pt,
                height_pt: h,
                stroke,
            } => {
                out.extend(stroke_setup(stroke).as_bytes());
                out.extend(
                    format!(
                        "{} {} {} {} re S Q\n",
                        number(*x_pt),
                        y(*y_pt + *h),
                        number(*width_pt),
                        number(*h)
                    )
                    .as_bytes(),
                );
            }
            Item::Line {
                x1_pt,
                y1_pt,
                x2_pt,
                y2_pt,
                stroke,
            } => {
                out.extend(stroke_setup(stroke).as_bytes());
                out.extend(
                    format!(
                        "{} {} m {} {} l S Q\n",
                        number(*x1_pt),
                        y(*y1_pt),
                        number(*x2_pt),
                        y(*y2_pt)
                    )
                    .as_bytes(),
                );
            }
        }
    }
    out
}

/// Saves the graphics state and sets width, grey and dash (closed by `Q`).
fn stroke_setup(stroke: &Stroke) -> String {
    let dash = match stroke.dash_pt {
        Some(d) => format!("[{}] 0 d", number(d)),
        None => "[] 0 d".to_owned(),
    };
    format!(
        "q {} w {} G {dash} ",
        number(stroke.width_pt),
        number(stroke.gray)
    )
}

/// A number as PDF writes it: at most two decimals, no exponent, no `-0`.
fn number(value: f64) -> String {
    if !value.is_finite() {
        return "0".to_owned();
    }
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match text {
        "-0" | "" => "0".to_owned(),
        other => other.to_owned(),
    }
}

/// A PDF literal string `( … )` of `bytes`, with `(`, `)` and `\` escaped.
pub fn literal(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 2);
    out.push(b'(');
    for &b in bytes {
        if matches!(b, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b')');
    out
}

/// Only printable ASCII kept (others become `?`), for the document title.
fn ascii_only(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            _ => b'?',
        })
        .collect()
}

/// The characters of Windows code page 1252 at 0x80..=0x9F (`None`: unassigned).
const CP1252_HIGH: [Option<char>; 32] = [
    Some('\u{20AC}'),
    None,
    Some('\u{201A}'),
    Some('\u{0192}'),
    Some('\u{201E}'),
    Some('\u{2026}'),
    Some('\u{2020}'),
    Some('\u{2021}'),
    Some('\u{02C6}'),
    Some('\u{2030}'),
    Some('\u{0160}'),
    Some('\u{2039}'),
    Some('\u{0152}'),
    None,
    Some('\u{017D}'),
    None,
    None,
    Some('\u{2018}'),
    Some('\u{2019}'),
    Some('\u{201C}'),
    Some('\u{201D}'),
    Some('\u{2022}'),
    Some('\u{2013}'),
    Some('\u{2014}'),
    Some('\u{02DC}'),
    Some('\u{2122}'),
    Some('\u{0161}'),
    Some('\u{203A}'),
    Some('\u{0153}'),
    None,
    Some('\u{017E}'),
    Some('\u{0178}'),
];

/// The WinAnsi (cp1252) byte of one character: `?` when it has none; line breaks, tabs
/// and other control characters become a space.
fn win_ansi_byte(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{A0}'..='\u{FF}' => c as u32 as u8,
        c if c.is_control() => b' ',
        c => CP1252_HIGH
            .iter()
            .position(|h| *h == Some(c))
            .map_or(b'?', |at| 0x80 + at as u8),
    }
}

/// `text` as WinAnsi bytes, one per character: characters outside code page 1252 become
/// `?`, control characters a space.
pub fn encode_win_ansi(text: &str) -> Vec<u8> {
    text.chars().map(win_ansi_byte).collect()
}

/// The width in points of `text` set in `font` at `size_pt` (as it will print, so a
/// character outside code page 1252 is measured as the `?` that replaces it).
pub fn text_width_pt(text: &str, font: Font, size_pt: f64) -> f64 {
    let units: u32 = text
        .chars()
        .map(|c| u32::from(font.advance(win_ansi_byte(c))))
        .sum();
    f64::from(units) * size_pt / 1000.0
}

/// `text` broken into lines no wider than `max_width_pt` in `font` at `size_pt`: at
/// spaces where possible, inside a word only when the word alone is too wide. Line breaks
/// in `text` are kept; an empty paragraph stays an empty line.
pub fn wrap_text(text: &str, font: Font, size_pt: f64, max_width_pt: f64) -> Vec<String> {
    let fits = |line: &str| text_width_pt(line, font, size_pt) <= max_width_pt;
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if fits(&candidate) {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word starts a new line; split it when even alone it is too wide.
            for c in word.chars() {
                line.push(c);
                if !fits(&line) && line.chars().count() > 1 {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(c);
                }
            }
        }
        lines.push(line);
    }
    lines
}

/// Checks a PDF file the way a reader would find its objects: the header, `startxref`
/// pointing at the cross-reference table, every listed offset landing on its `N 0 obj`,
/// and the trailer's `/Size`. Returns `(objects including the free entry 0, pages)`.
/// Used by tests of the printable sheets; a problem is described in words.
pub fn check_file(bytes: &[u8]) -> Result<(usize, usize), String> {
    if !bytes.starts_with(b"%PDF-1.") {
        return Err("no PDF header".to_owned());
    }
    let text = String::from_utf8_lossy(bytes);
    if !text.trim_end().ends_with("%%EOF") {
        return Err("no %%EOF at the end".to_owned());
    }
    let start: usize = text
        .rsplit("startxref\n")
        .next()
        .and_then(|rest| rest.lines().next())
        .and_then(|n| n.trim().parse().ok())
        .ok_or("no startxref")?;
    if !bytes.get(start..).is_some_and(|b| b.starts_with(b"xref\n")) {
        return Err(format!(
            "startxref {start} does not point at the xref table"
        ));
    }
    let xref = String::from_utf8_lossy(&bytes[start..]);
    let mut lines = xref.lines().skip(1);
    let count: usize = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|n| n.parse().ok())
        .ok_or("no xref subsection")?;
    if lines.next() != Some("0000000000 65535 f ") {
        return Err("the first xref entry is not the free entry".to_owned());
    }
    for n in 1..count {
        let entry = lines.next().ok_or(format!("xref entry {n} missing"))?;
        let offset: usize = entry
            .get(..10)
            .and_then(|o| o.parse().ok())
            .ok_or(format!("xref entry {n} unreadable"))?;
        let head = format!("{n} 0 obj");
        if !bytes
            .get(offset..)
            .is_some_and(|b| b.starts_with(head.as_bytes()))
        {
            return Err(format!("xref entry {n} does not point at {head}"));
        }
    }
    if !xref.contains(&format!("trailer\n<< /Size {count} ")) {
        return Err("the trailer's /Size does not match the xref".to_owned());
    }
    let pages = text.matches("/Type /Page ").count();
    Ok((count, pages))
}

/// Helvetica advance widths (1/1000 em) for WinAnsi codes 32..=255 (Adobe's metrics;
/// unassigned codes are 0).
const HELVETICA_WIDTHS: [u16; 224] = [
    // 32..=127
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, //
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, //
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, //
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, //
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, //
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0, //
    // 128..=159
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, //
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667, //
    // 160..=255
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, //
    400, 584, 333, 333, 333, 556, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, //
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, //
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, //
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, //
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500, //
];

/// Helvetica-Bold advance widths (1/1000 em) for WinAnsi codes 32..=255.
const HELVETICA_BOLD_WIDTHS: [u16; 224] = [
    // 32..=127
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, //
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, //
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, //
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, //
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, //
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0, //
    // 128..=159
    556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, //
    0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667, //
    // 160..=255
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, //
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, //
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, //
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, //
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, //
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556, //
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn numbers_are_short_and_plain() {
        assert_eq!(number(12.0), "12");
        assert_eq!(number(841.89), "841.89");
        assert_eq!(number(0.5), "0.5");
        assert_eq!(number(-0.001), "0");
        assert_eq!(number(f64::NAN), "0");
    }

    #[test]
    fn strings_are_escaped_and_encoded_as_win_ansi() {
        assert_eq!(literal(b"a(b)c\\d"), b"(a\\(b\\)c\\\\d)".to_vec());
        assert_eq!(encode_win_ansi("Zoë"), vec![b'Z', b'o', 0xEB]);
        assert_eq!(encode_win_ansi("Müller"), b"M\xFCller".to_vec());
        assert_eq!(encode_win_ansi("Séverine"), b"S\xE9verine".to_vec());
        assert_eq!(
            encode_win_ansi("€5 – “hi”"),
            b"\x805 \x96 \x93hi\x94".to_vec()
        );
        assert_eq!(encode_win_ansi("Łukasz 日本"), b"?ukasz ??".to_vec());
        assert_eq!(encode_win_ansi("a\nb\tc"), b"a b c".to_vec());
    }

    #[test]
    fn widths_follow_helvetica_metrics() {
        assert!((text_width_pt("Hi", Font::Helvetica, 10.0) - 9.44).abs() < 1e-9);
        assert!((text_width_pt("Hi", Font::HelveticaBold, 10.0) - 10.0).abs() < 1e-9);
        assert_eq!(
            text_width_pt("Zoë", Font::Helvetica, 10.0),
            text_width_pt("Zoe", Font::Helvetica, 10.0)
        );
        // A character outside cp1252 is measured as the question mark it prints as.
        assert_eq!(
            text_width_pt("日", Font::Helvetica, 10.0),
            text_width_pt("?", Font::Helvetica, 10.0)
        );
    }

    #[test]
    fn wrapping_keeps_every_word_and_every_line_fits() {
        let text = "Hi Zoë, thank you for your first order! We hope you enjoy the \
                    Ethiopian Yirgacheffe.\n\nSee you soon.";
        let width = 120.0;
        let lines = wrap_text(text, Font::Helvetica, 11.0, width);
        assert!(lines.len() > 3, "{lines:?}");
        for line in &lines {
            assert!(
                text_width_pt(line, Font::Helvetica, 11.0) <= width,
                "{line}"
            );
        }
        assert_eq!(
            lines.join(" ").split_whitespace().collect::<Vec<_>>(),
            text.split_whitespace().collect::<Vec<_>>()
        );
        assert!(lines.iter().any(String::is_empty), "the blank line stays");
        // A word wider than the line is split, never left sticking out.
        let long = wrap_text("Supercalifragilistic", Font::Helvetica, 12.0, 40.0);
        assert!(long.len() > 1);
        assert_eq!(long.concat(), "Supercalifragilistic");
        for line in &long {
            assert!(text_width_pt(line, Font::Helvetica, 12.0) <= 40.0);
        }
    }

    #[test]
    fn a_document_has_correct_offsets_pages_and_text() {
        let mut doc = Document::a4("Cards (test)");
        for n in 0..3 {
            let mut page = Page::default();
            page.text(50.0, 60.0, Font::HelveticaBold, 18.0, &format!("Page {n}"));
            page.text(50.0, 90.0, Font::Helvetica, 11.0, "Zoë (café) \\ ok");
            page.rect(40.0, 40.0, 200.0, 100.0, Stroke::dashed(0.5, 3.0));
            page.line(0.0, 420.0, 595.0, 420.0, Stroke::solid(1.0));
            doc.pages.push(page);
        }
        let bytes = doc.to_bytes();
        let checked = check_file(&bytes).unwrap();
        assert_eq!(checked, (1 + 5 + 2 * 3, 3));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("/Count 3"));
        assert_eq!(text.matches("/Type /Page ").count(), 3);
        assert!(text.contains("/Title (Cards \\(test\\))"));
        let needle = b"(Zo\xEB \\(caf\xE9\\) \\\\ ok) Tj";
        assert!(bytes.windows(needle.len()).any(|w| w == needle));
        assert!(text.contains("/BaseFont /Helvetica /Encoding /WinAnsiEncoding"));
        // The baseline 60 pt from the top is 781.89 pt from the bottom.
        assert!(text.contains("1 0 0 1 50 781.89 Tm (Page 0) Tj"));
        // An empty document still has one page.
        let empty = Document::a4("Empty").to_bytes();
        assert!(String::from_utf8_lossy(&empty).contains("/Count 1"));
        assert_eq!(check_file(&empty).unwrap().1, 1);
        // A wrong offset is found.
        let mut broken = bytes.clone();
        broken.insert(20, b' ');
        assert!(check_file(&broken).is_err());
    }
}
