//! The printable list of referral codes: an A4 table of customer name, code and e-mail,
//! for the shop counter or a mailing done by hand. Every page repeats the title and the
//! column headings and says "Page n of N", so a loose page still reads on its own.
//!
//! The layout is pure (lines in, a [`Document`] out) so it is tested without a database;
//! `store::referrals` fills the lines in. A cell too wide for its column is shortened with
//! "..." (the code column is wide enough for every code the program writes).

use super::pdf::{A4_HEIGHT_PT, A4_WIDTH_PT, Document, Font, Page, Stroke, text_width_pt};

/// One customer's line of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeLine {
    /// The customer's name.
    pub name: String,
    /// Their referral code.
    pub code: String,
    /// Their e-mail address ('' when unknown).
    pub email: String,
}

/// Page margin on every side.
const MARGIN_PT: f64 = 50.0;

/// Type size of the rows and headings.
const ROW_PT: f64 = 10.5;

/// Type size of the title.
const TITLE_PT: f64 = 16.0;

/// Height of one table row.
const ROW_HEIGHT_PT: f64 = 18.0;

/// Baseline of the column headings, from the top of the page.
const HEADINGS_Y_PT: f64 = MARGIN_PT + 46.0;

/// Where the first row's baseline sits.
const FIRST_ROW_Y_PT: f64 = HEADINGS_Y_PT + ROW_HEIGHT_PT + 4.0;

/// Baseline of the page number, from the top of the page.
const FOOTER_Y_PT: f64 = A4_HEIGHT_PT - MARGIN_PT + 20.0;

/// Columns: heading, left edge and width, in points.
const COLUMNS: [(&str, f64, f64); 3] = [
    ("Customer", MARGIN_PT, 200.0),
    ("Referral code", MARGIN_PT + 210.0, 110.0),
    (
        "E-mail",
        MARGIN_PT + 330.0,
        A4_WIDTH_PT - 2.0 * MARGIN_PT - 330.0,
    ),
];

/// Table rows that fit on one page.
pub fn rows_per_page() -> usize {
    let room = A4_HEIGHT_PT - MARGIN_PT - FIRST_ROW_Y_PT;
    (room / ROW_HEIGHT_PT).floor().max(1.0) as usize
}

/// The list as an A4 document titled `title` (e.g. "Referral codes of My Shop"); one blank
/// table with its headings when there are no lines.
pub fn code_list(title: &str, lines: &[CodeLine]) -> Document {
    let mut document = Document::a4(title);
    let per_page = rows_per_page();
    let chunks: Vec<&[CodeLine]> = if lines.is_empty() {
        vec![&[]]
    } else {
        lines.chunks(per_page).collect()
    };
    let total = chunks.len();
    for (n, chunk) in chunks.into_iter().enumerate() {
        let mut page = Page::default();
        header(&mut page, title, lines.len());
        for (i, line) in chunk.iter().enumerate() {
            let y = FIRST_ROW_Y_PT + i as f64 * ROW_HEIGHT_PT;
            for ((_, x, width), text) in COLUMNS.iter().zip([&line.name, &line.code, &line.email]) {
                page.text(*x, y, Font::Helvetica, ROW_PT, &fitted(text, *width));
            }
            let rule_y = y + 5.5;
            page.line(
                MARGIN_PT,
                rule_y,
                A4_WIDTH_PT - MARGIN_PT,
                rule_y,
                Stroke {
                    width_pt: 0.3,
                    gray: 0.75,
                    dash_pt: None,
                },
            );
        }
        let footer = format!("Page {} of {total}", n + 1);
        let width = text_width_pt(&footer, Font::Helvetica, 9.0);
        page.grey_text(
            A4_WIDTH_PT - MARGIN_PT - width,
            FOOTER_Y_PT,
            Font::Helvetica,
            9.0,
            0.4,
            &footer,
        );
        document.pages.push(page);
    }
    document
}

/// The title, the count and the column headings with a rule under them.
fn header(page: &mut Page, title: &str, customers: usize) {
    page.text(
        MARGIN_PT,
        MARGIN_PT + 8.0,
        Font::HelveticaBold,
        TITLE_PT,
        title,
    );
    let count = match customers {
        1 => "1 customer with a referral code.".to_owned(),
        n => format!(
            "{} customers with a referral code.",
            crate::domain::group_thousands(n as u64)
        ),
    };
    page.grey_text(
        MARGIN_PT,
        MARGIN_PT + 26.0,
        Font::Helvetica,
        9.0,
        0.4,
        &format!("{count} A friend types the code as the coupon on their first order."),
    );
    for (heading, x, _) in COLUMNS {
        page.text(x, HEADINGS_Y_PT, Font::HelveticaBold, ROW_PT, heading);
    }
    let rule_y = HEADINGS_Y_PT + 6.0;
    page.line(
        MARGIN_PT,
        rule_y,
        A4_WIDTH_PT - MARGIN_PT,
        rule_y,
        Stroke::solid(0.8),
    );
}

/// `text` as it fits in `width_pt`: whole, or shortened with "...".
fn fitted(text: &str, width_pt: f64) -> String {
    let text = text.trim();
    let fits = |t: &str| text_width_pt(t, Font::Helvetica, ROW_PT) <= width_pt;
    if fits(text) {
        return text.to_owned();
    }
    let mut kept: String = text.to_owned();
    while !kept.is_empty() && !fits(&format!("{kept}...")) {
        kept.pop();
    }
    format!("{}...", kept.trim_end())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // test code: a panic is the failure report

    use super::*;
    use crate::export::pdf::check_file;

    fn lines(n: usize) -> Vec<CodeLine> {
        (0..n)
            .map(|i| CodeLine {
                name: format!("Customer {i}"),
                code: format!("CUST-{i:03}"),
                email: format!("customer{i}@example.com"),
            })
            .collect()
    }

    #[test]
    fn every_code_on_pages_with_the_header_repeated() {
        let per_page = rows_per_page();
        assert!((35..=45).contains(&per_page), "{per_page}");
        let all = lines(2 * per_page + 1);
        let document = code_list("Referral codes", &all);
        assert_eq!(document.pages.len(), 3);
        let texts: Vec<Vec<&str>> = document.pages.iter().map(|p| p.texts().collect()).collect();
        for (n, page) in texts.iter().enumerate() {
            assert_eq!(page[0], "Referral codes");
            for heading in ["Customer", "Referral code", "E-mail"] {
                assert!(page.contains(&heading), "page {n}: {page:?}");
            }
            assert!(page.contains(&format!("Page {} of 3", n + 1).as_str()));
        }
        for line in &all {
            let pages = texts.iter().filter(|p| p.contains(&line.code.as_str()));
            assert_eq!(pages.count(), 1, "{}", line.code);
        }
        assert_eq!(
            texts[2].iter().filter(|t| t.starts_with("CUST-")).count(),
            1
        );
        let bytes = document.to_bytes();
        assert_eq!(check_file(&bytes).unwrap().1, 3);
    }

    #[test]
    fn exactly_full_pages_and_an_empty_list() {
        let per_page = rows_per_page();
        assert_eq!(code_list("Codes", &lines(per_page)).pages.len(), 1);
        assert_eq!(code_list("Codes", &lines(per_page + 1)).pages.len(), 2);
        let empty = code_list("Codes", &[]);
        assert_eq!(empty.pages.len(), 1);
        assert!(empty.pages[0].texts().any(|t| t == "Customer"));
    }

    #[test]
    fn long_cells_are_shortened_to_their_column() {
        let long = "Maximiliane Wolfeschlegelsteinhausenbergerdorff-Featherstonehaugh";
        let shown = fitted(long, 200.0);
        assert!(shown.ends_with("..."), "{shown}");
        assert!(text_width_pt(&shown, Font::Helvetica, ROW_PT) <= 200.0);
        assert_eq!(fitted("ANN-7KQ", 110.0), "ANN-7KQ");
    }
}
