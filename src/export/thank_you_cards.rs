//! Printable thank-you cards: an A4 sheet cut into four A6 cards, each with a "Thank you"
//! heading naming the customer, the suggested message wrapped to fit, and the shop's name
//! as a signature when the owner has set one.
//!
//! It exists because many small shops thank customers with a handwritten-looking card in
//! the bag or the post rather than an e-mail. The layout is pure (cards in, a
//! [`Document`] out) so it is tested without a database; the store fills the cards in.
//! A message too long for its card is set smaller, down to [`MIN_MESSAGE_PT`]; only
//! beyond that is it shortened (with "..."), and the outcome counts such cards so the
//! owner is told rather than finding out at the printer.

use super::pdf::{
    A4_HEIGHT_PT, A4_WIDTH_PT, Document, Font, Page, Stroke, text_width_pt, wrap_text,
};

/// Cards on one A4 page (two across, two down: each the size of an A6 postcard).
pub const CARDS_PER_PAGE: usize = 4;

/// The message's type size when it fits.
pub const MESSAGE_PT: f64 = 14.0;

/// The smallest type size a long message is set in before it is shortened.
pub const MIN_MESSAGE_PT: f64 = 8.0;

/// Room between a card's cut edge and its text.
const PADDING_PT: f64 = 34.0;

/// Line height as a multiple of the type size.
const LEADING: f64 = 1.4;

/// The heading's type size when the name fits.
const HEADING_PT: f64 = 24.0;

/// The signature's type size when the shop's name fits; a longer name is set smaller.
const SIGNATURE_PT: f64 = 12.0;

/// Room the signature takes at the foot of a card, with the gap above it.
const SIGNATURE_ROOM_PT: f64 = 2.0 * SIGNATURE_PT;

/// One card: who it is for and what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Card {
    /// The customer's first name (may be empty).
    pub first_name: String,
    /// The message with its fields filled in.
    pub message: String,
}

/// The sheet and what happened laying it out.
#[derive(Clone, Debug, PartialEq)]
pub struct CardSheet {
    /// The pages, ready to write with [`Document::to_bytes`].
    pub document: Document,
    /// Cards laid out.
    pub cards: usize,
    /// Cards whose message was too long even in the smallest type and was shortened.
    pub shortened: usize,
}

/// The heading of a card: "Thank you, Zoë!" or "Thank you!" without a name.
pub fn heading(first_name: &str) -> String {
    let name = first_name.trim();
    if name.is_empty() {
        "Thank you!".to_owned()
    } else {
        format!("Thank you, {name}!")
    }
}

/// The signature line: "— Café Zoë", or nothing for an empty shop name.
pub fn signature(shop_name: &str) -> Option<String> {
    let name = shop_name.trim();
    (!name.is_empty()).then(|| format!("\u{2014} {name}"))
}

/// The cards laid out four to an A4 page, with dashed lines to cut along, each signed with
/// `shop_name` (unsigned when it is empty).
pub fn card_sheet(cards: &[Card], shop_name: &str) -> CardSheet {
    let signed = signature(shop_name);
    let mut document = Document::a4("Thank-you cards");
    let card_w = A4_WIDTH_PT / 2.0;
    let card_h = A4_HEIGHT_PT / 2.0;
    let mut shortened = 0;
    for chunk in cards.chunks(CARDS_PER_PAGE) {
        let mut page = Page::default();
        let cut = Stroke::dashed(0.5, 4.0);
        page.line(card_w, 0.0, card_w, A4_HEIGHT_PT, cut);
        page.line(0.0, card_h, A4_WIDTH_PT, card_h, cut);
        for (n, card) in chunk.iter().enumerate() {
            let left = card_w * (n % 2) as f64;
            let top = card_h * (n / 2) as f64;
            let frame = CardFrame {
                left,
                top,
                width: card_w,
                height: card_h,
            };
            if !draw_card(&mut page, card, signed.as_deref(), &frame) {
                shortened += 1;
            }
        }
        document.pages.push(page);
    }
    CardSheet {
        document,
        cards: cards.len(),
        shortened,
    }
}

/// Where one card lies on its page.
struct CardFrame {
    left: f64,
    top: f64,
    width: f64,
    height: f64,
}

/// Draws one card in its frame, signed with `signature` if given; false when its message
/// had to be shortened.
fn draw_card(page: &mut Page, card: &Card, signature: Option<&str>, frame: &CardFrame) -> bool {
    let CardFrame {
        left,
        top,
        width,
        height,
    } = *frame;
    let inner_w = width - 2.0 * PADDING_PT;
    let x = left + PADDING_PT;
    // A thin frame a little inside the cut lines.
    let inset = PADDING_PT / 2.0;
    page.rect(
        left + inset,
        top + inset,
        width - 2.0 * inset,
        height - 2.0 * inset,
        Stroke {
            width_pt: 0.8,
            gray: 0.75,
            dash_pt: None,
        },
    );
    let headings = heading_lines(&heading(&card.first_name), inner_w);
    let heading_h: f64 = headings.iter().map(|(_, size)| size * 1.2).sum();
    // Heading, a gap, a short rule, a gap, then the message.
    let above_message = heading_h + 22.0;
    let below_message = if signature.is_some() {
        SIGNATURE_ROOM_PT
    } else {
        0.0
    };
    let room = height - 2.0 * PADDING_PT - above_message - below_message;
    let (lines, size, whole) = fit_message(&card.message, inner_w, room);
    let message_h = lines.len() as f64 * size * LEADING;
    // The block sits a little above the middle of the card, as on a printed card.
    let spare = (room - message_h).max(0.0);
    let mut y = top + PADDING_PT + spare * 0.4;
    for (line, size) in &headings {
        y += size * 1.2;
        page.text(x, y, Font::HelveticaBold, *size, line);
    }
    y += 10.0;
    page.line(
        x,
        y,
        x + inner_w.min(60.0),
        y,
        Stroke {
            width_pt: 1.5,
            gray: 0.5,
            dash_pt: None,
        },
    );
    y += 12.0;
    for line in lines {
        y += size * LEADING;
        page.grey_text(x, y, Font::Helvetica, size, 0.15, &line);
    }
    if let Some(signature) = signature {
        let (text, size) = fit_line(signature, Font::HelveticaBold, SIGNATURE_PT, inner_w);
        page.grey_text(
            x,
            top + height - PADDING_PT,
            Font::HelveticaBold,
            size,
            0.35,
            &text,
        );
    }
    whole
}

/// `text` on one line of `width`: at `size`, or smaller down to [`MIN_MESSAGE_PT`], else
/// at that size cut with "...".
fn fit_line(text: &str, font: Font, size: f64, width: f64) -> (String, f64) {
    let mut size = size;
    while size > MIN_MESSAGE_PT && text_width_pt(text, font, size) > width {
        size -= 0.5;
    }
    if text_width_pt(text, font, size) <= width {
        return (text.to_owned(), size);
    }
    let mut cut = text.to_owned();
    while !cut.is_empty() && text_width_pt(&format!("{cut}..."), font, size) > width {
        cut.pop();
    }
    (format!("{cut}..."), size)
}

/// The heading in bold, set smaller for a long name and wrapped when even the smallest
/// size is too wide: `(line, size)` pairs.
fn heading_lines(text: &str, width: f64) -> Vec<(String, f64)> {
    let mut size = HEADING_PT;
    while size > 14.0 && text_width_pt(text, Font::HelveticaBold, size) > width {
        size -= 1.0;
    }
    wrap_text(text, Font::HelveticaBold, size, width)
        .into_iter()
        .map(|line| (line, size))
        .collect()
}

/// The message's lines and type size so it fits `width` × `height`: the largest size from
/// [`MESSAGE_PT`] down to [`MIN_MESSAGE_PT`] at which it fits whole; else the smallest
/// size, cut after the last line that fits and ended with "...". The flag says whether it
/// is whole.
fn fit_message(message: &str, width: f64, height: f64) -> (Vec<String>, f64, bool) {
    let mut size = MESSAGE_PT;
    loop {
        let lines = wrap_text(message.trim(), Font::Helvetica, size, width);
        let room = (height / (size * LEADING)).floor().max(0.0) as usize;
        if lines.len() <= room {
            return (lines, size, true);
        }
        if size <= MIN_MESSAGE_PT {
            let mut kept: Vec<String> = lines.into_iter().take(room).collect();
            if let Some(last) = kept.last_mut() {
                while !last.is_empty()
                    && text_width_pt(&format!("{last}..."), Font::Helvetica, size) > width
                {
                    last.pop();
                }
                last.push_str("...");
            }
            return (kept, size, false);
        }
        size -= 0.5;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use crate::export::pdf::{Item, check_file};

    fn card(name: &str, message: &str) -> Card {
        Card {
            first_name: name.to_owned(),
            message: message.to_owned(),
        }
    }

    /// Every text item lies inside its card's box (no text clipped or over a cut line).
    fn all_inside(page: &Page) {
        let (w, h) = (A4_WIDTH_PT / 2.0, A4_HEIGHT_PT / 2.0);
        for item in &page.items {
            if let Item::Text {
                x_pt,
                y_pt,
                font,
                size_pt,
                text,
                ..
            } = item
            {
                let left = if *x_pt < w { 0.0 } else { w };
                let top = if *y_pt < h { 0.0 } else { h };
                let right = x_pt + text_width_pt(text, *font, *size_pt);
                assert!(right <= left + w - PADDING_PT + 1e-6, "{text} too wide");
                assert!(*y_pt <= top + h - PADDING_PT + 1e-6, "{text} too low");
                assert!(y_pt - size_pt >= top, "{text} too high");
            }
        }
    }

    #[test]
    fn four_cards_a_page_with_name_and_message() {
        let cards: Vec<Card> = ["Zoë", "Müller", "Séverine", "Ann", "Bob", ""]
            .iter()
            .map(|name| {
                card(
                    name,
                    &format!("Hi {name}, thank you for your first order! We hope you enjoy the Ethiopian Yirgacheffe."),
                )
            })
            .collect();
        let sheet = card_sheet(&cards, "");
        assert_eq!((sheet.cards, sheet.shortened), (6, 0));
        assert_eq!(sheet.document.pages.len(), 2);
        let first: Vec<&str> = sheet.document.pages[0].texts().collect();
        assert!(first.contains(&"Thank you, Zoë!"), "{first:?}");
        assert!(first.contains(&"Thank you, Séverine!"));
        let words = first.join(" ");
        assert!(
            words.contains("Hi Müller, thank you for your first"),
            "{words}"
        );
        assert!(
            words.contains("Thank you, Ann!"),
            "the fourth card is on the first page"
        );
        let second: Vec<&str> = sheet.document.pages[1].texts().collect();
        assert!(!second.contains(&"Thank you, Ann!"));
        assert!(second.contains(&"Thank you, Bob!"));
        assert!(second.contains(&"Thank you!"), "no name, no comma");
        for page in &sheet.document.pages {
            all_inside(page);
        }
        let bytes = sheet.document.to_bytes();
        assert_eq!(check_file(&bytes).unwrap().1, 2);
        let needle = b"(Thank you, Zo\xEB!) Tj";
        assert!(bytes.windows(needle.len()).any(|w| w == needle));
    }

    #[test]
    fn long_messages_are_set_smaller_then_shortened_and_counted() {
        let medium = "We are so glad you found us. ".repeat(12);
        let huge = "Thank you for everything you do for our little shop. ".repeat(60);
        let long_name = "Maximiliane-Wilhelmina";
        let sheet = card_sheet(&[card(long_name, &medium), card("Zoë", &huge)], "");
        assert_eq!(sheet.shortened, 1);
        let page = &sheet.document.pages[0];
        all_inside(page);
        let sizes: Vec<f64> = page
            .items
            .iter()
            .filter_map(|item| match item {
                Item::Text {
                    size_pt,
                    font: Font::Helvetica,
                    ..
                } => Some(*size_pt),
                _ => None,
            })
            .collect();
        assert!(
            sizes
                .iter()
                .all(|s| *s >= MIN_MESSAGE_PT && *s <= MESSAGE_PT)
        );
        assert!(sizes.iter().any(|s| *s < MESSAGE_PT), "set smaller to fit");
        let texts: Vec<&str> = page.texts().collect();
        assert!(
            texts.iter().any(|t| t.ends_with("...")),
            "the huge one is cut"
        );
        // The medium message is whole: its last words are on the card.
        assert!(texts.join(" ").contains(medium.trim()));
        assert!(texts.iter().any(|t| t.contains(long_name)));
    }

    #[test]
    fn cards_are_signed_with_the_shop_name_inside_the_card() {
        let message = "We are so glad you found us. ".repeat(12);
        let long_shop = "The Very Long Named Coffee Roastery & Bakery of Old Town, Est.";
        for shop in ["Café Zoë", long_shop] {
            let sheet = card_sheet(&[card("Zoë", &message), card("Ann", "Thanks!")], shop);
            assert_eq!(sheet.shortened, 0, "{shop}: the message still fits");
            let page = &sheet.document.pages[0];
            all_inside(page);
            let texts: Vec<&str> = page.texts().collect();
            let signed: Vec<&&str> = texts.iter().filter(|t| t.starts_with('\u{2014}')).collect();
            assert_eq!(signed.len(), 2, "{shop}: one signature a card: {texts:?}");
            assert!(texts.join(" ").contains(message.trim()), "{shop}");
        }
        let sheet = card_sheet(&[card("Zoë", "Thanks!")], "Café Zoë");
        let texts: Vec<&str> = sheet.document.pages[0].texts().collect();
        assert!(texts.contains(&"\u{2014} Café Zoë"), "{texts:?}");
        let unsigned = card_sheet(&[card("Zoë", "Thanks!")], "  ");
        assert!(
            unsigned.document.pages[0]
                .texts()
                .all(|t| !t.starts_with('\u{2014}'))
        );
        assert_eq!(signature(" "), None);
    }

    #[test]
    fn no_cards_is_one_blank_page() {
        let sheet = card_sheet(&[], "Café Zoë");
        assert_eq!(sheet.cards, 0);
        assert_eq!(check_file(&sheet.document.to_bytes()).unwrap().1, 1);
    }
}
