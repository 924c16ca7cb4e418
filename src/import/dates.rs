//! Dates and times as exports write them, with their zone when the file says it.
//!
//! Shapes: ISO with offset (`2021-05-13 11:01:13 +0200`, Shopify), ISO/UTC (Stripe), date
//! and time in separate columns with a zone name or abbreviation (Square, PayPal),
//! `6/21/2017`, `12/1/10 8:26`, `21.06.2017`, `Jan-18-16` (eBay), `18 January 2016`,
//! `20170621` (CDNOW) and Excel serial numbers (spreadsheets).
//!
//! Day/month order is decided once per file from every date in it ([`DateOrderVotes`]): a
//! first number above 12 proves day-first, a second number above 12 proves month-first;
//! when nothing proves either, the file is ambiguous and the owner is asked.

use chrono::{Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone as _};
use chrono_tz::Tz;

/// The order of day, month and year in numeric dates such as `01/02/2025`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum DateOrder {
    /// Month first (US): `6/21/2017`.
    Mdy,
    /// Day first (Europe and most of the world): `21/06/2017`.
    Dmy,
    /// Year first: `2017/06/21`.
    Ymd,
}

impl DateOrder {
    /// `mdy`, `dmy` or `ymd`.
    pub fn code(self) -> &'static str {
        match self {
            DateOrder::Mdy => "mdy",
            DateOrder::Dmy => "dmy",
            DateOrder::Ymd => "ymd",
        }
    }

    /// Parses `mdy`/`dmy`/`ymd` (case-insensitive).
    pub fn from_code(code: &str) -> Option<DateOrder> {
        match code.trim().to_ascii_lowercase().as_str() {
            "mdy" => Some(DateOrder::Mdy),
            "dmy" => Some(DateOrder::Dmy),
            "ymd" => Some(DateOrder::Ymd),
            _ => None,
        }
    }

    /// How the owner sees it in the preview.
    pub fn example(self) -> &'static str {
        match self {
            DateOrder::Mdy => "month/day/year (12/31/2025)",
            DateOrder::Dmy => "day/month/year (31/12/2025)",
            DateOrder::Ymd => "year/month/day (2025/12/31)",
        }
    }
}

/// Evidence about day/month order over all numeric dates of a file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DateOrderVotes {
    /// Dates whose first number is above 12 (so it must be the day).
    pub day_first: u64,
    /// Dates whose second number is above 12.
    pub month_first: u64,
    /// Dates starting with a four-digit year.
    pub year_first: u64,
    /// Numeric dates seen (with both of the first two numbers ≤ 12 or not).
    pub numeric: u64,
    /// The first date cell that reads both ways (`03/04/25`), as written.
    pub first_two_way: Option<String>,
    /// Day-first-or-year-first dates written with dots (`04.03.2025`): the European way;
    /// month-first dates are not written so.
    pub dotted: u64,
}

/// What the evidence says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderDecision {
    /// The file has no day/month-ambiguous dates (ISO, month names, serials).
    NotNeeded,
    /// The evidence settles it.
    Decided(DateOrder),
    /// Every numeric date could be read both ways: ask the owner.
    Ambiguous,
    /// Some dates prove day-first and others month-first: the file mixes formats.
    Contradictory,
}

impl DateOrderVotes {
    /// Adds the evidence of one cell.
    pub fn observe(&mut self, raw: &str) {
        let Some((a, b, _)) = numeric_date_parts(raw.trim()) else {
            return;
        };
        self.numeric += 1;
        if a.len() == 4 {
            self.year_first += 1;
            return;
        }
        if raw
            .trim()
            .split([' ', 'T'])
            .next()
            .is_some_and(|d| d.contains('.'))
        {
            self.dotted += 1;
        }
        let (a, b) = (a.parse::<u32>().unwrap_or(0), b.parse::<u32>().unwrap_or(0));
        if a > 12 {
            self.day_first += 1;
        }
        if b > 12 {
            self.month_first += 1;
        }
        if a <= 12 && b <= 12 && a != b && self.first_two_way.is_none() {
            self.first_two_way = Some(raw.trim().to_owned());
        }
    }

    /// The decision the evidence supports.
    pub fn decide(&self) -> OrderDecision {
        match (self.day_first > 0, self.month_first > 0) {
            (true, true) => OrderDecision::Contradictory,
            (true, false) => OrderDecision::Decided(DateOrder::Dmy),
            (false, true) => OrderDecision::Decided(DateOrder::Mdy),
            (false, false) if self.dotted > 0 => OrderDecision::Decided(DateOrder::Dmy),
            (false, false) if self.numeric == 0 || self.numeric == self.year_first => {
                if self.year_first > 0 {
                    OrderDecision::Decided(DateOrder::Ymd)
                } else {
                    OrderDecision::NotNeeded
                }
            }
            // Every numeric date reads the same both ways (1/1/25, 3/3/25).
            (false, false) if self.first_two_way.is_none() => OrderDecision::NotNeeded,
            (false, false) => OrderDecision::Ambiguous,
        }
    }
}

/// A parsed moment: the wall-clock time as written and the offset, when the file gave one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedMoment {
    /// Local date and time as written (midnight when only a date was given).
    pub local: NaiveDateTime,
    /// UTC offset the cell stated, if any.
    pub offset: Option<FixedOffset>,
}

/// Why a cell is not a date.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Nothing there.
    #[error("the cell is empty")]
    Empty,
    /// Not a date in any known shape.
    #[error("expected a date such as 2025-03-31, 3/31/2025 or 31.03.2025")]
    Unrecognised,
    /// A numeric date that is impossible in the file's day/month order.
    #[error("not a valid date when read as {0}")]
    Invalid(&'static str),
}

/// Parses a date, optionally with a time and an offset or zone abbreviation.
pub fn parse_moment(raw: &str, order: DateOrder) -> Result<ParsedMoment, DateError> {
    let text = raw.trim().trim_start_matches('\'').trim();
    if text.is_empty() {
        return Err(DateError::Empty);
    }
    if let Some(moment) = parse_iso(text) {
        return Ok(moment);
    }
    if let Some(local) = serial_in_text(text) {
        return Ok(ParsedMoment {
            local,
            offset: None,
        });
    }
    let (date_part, rest) = split_date_rest(text);
    let date = if let Some((a, b, c)) = numeric_date_parts(date_part) {
        numeric_date(a, b, c, order)?
    } else if let Some(date) = compact_date(date_part) {
        date
    } else if let Some((date, consumed)) = month_name_date(text) {
        let rest = text[consumed..].trim_start_matches([',', ' ']);
        return finish(date, rest);
    } else {
        return Err(DateError::Unrecognised);
    };
    finish(date, rest)
}

fn finish(date: NaiveDate, rest: &str) -> Result<ParsedMoment, DateError> {
    let rest = rest.trim();
    if rest.is_empty() {
        return Ok(ParsedMoment {
            local: date.and_time(NaiveTime::MIN),
            offset: None,
        });
    }
    let (time_text, zone_text) = match rest.split_once(' ') {
        Some((t, z)) if !is_am_pm(z.split_whitespace().next().unwrap_or("")) => (t, z),
        Some((t, z)) => {
            // "8:26 PM PST": keep AM/PM with the time.
            let mut parts = z.splitn(2, ' ');
            let ampm = parts.next().unwrap_or("");
            let zone = parts.next().unwrap_or("");
            return finish_with_time(date, &format!("{t} {ampm}"), zone);
        }
        None => (rest, ""),
    };
    finish_with_time(date, time_text, zone_text)
}

fn finish_with_time(
    date: NaiveDate,
    time_text: &str,
    zone_text: &str,
) -> Result<ParsedMoment, DateError> {
    let time = parse_time(time_text).ok_or(DateError::Unrecognised)?;
    let offset = if zone_text.trim().is_empty() {
        None
    } else {
        Some(parse_offset(zone_text.trim()).ok_or(DateError::Unrecognised)?)
    };
    Ok(ParsedMoment {
        local: date.and_time(time),
        offset,
    })
}

fn is_am_pm(token: &str) -> bool {
    matches!(
        token.to_ascii_uppercase().as_str(),
        "AM" | "PM" | "A.M." | "P.M."
    )
}

/// `2021-05-13`, `2021-05-13T11:01:13Z`, `2021-05-13 11:01:13 +0200`, `2021-05-13T11:01:13.123+02:00`.
fn parse_iso(text: &str) -> Option<ParsedMoment> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() >= 10
        && bytes[..10].iter().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                *b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shape_ok {
        return None;
    }
    // The shape is checked above: four, two and two ASCII digits.
    let number = |range: std::ops::Range<usize>| {
        bytes[range]
            .iter()
            .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'))
    };
    let year = i32::try_from(number(0..4)).ok()?;
    let date = NaiveDate::from_ymd_opt(year, number(5..7), number(8..10))?;
    let rest = text[10..].trim_start_matches(['T', ' ']);
    if rest.is_empty() {
        return Some(ParsedMoment {
            local: date.and_time(NaiveTime::MIN),
            offset: None,
        });
    }
    // Split the time from a trailing zone: Z, +hh:mm, +hhmm, " +0200", " UTC".
    let zone_start = rest
        .char_indices()
        .skip(1)
        .find(|(_, c)| matches!(c, 'Z' | '+' | '-' | ' '))
        .map(|(i, _)| i);
    let (time_text, zone_text) = match zone_start {
        Some(i) => (&rest[..i], rest[i..].trim()),
        None => (rest, ""),
    };
    let time = parse_time(time_text)?;
    let offset = if zone_text.is_empty() {
        None
    } else {
        Some(parse_offset(zone_text)?)
    };
    Some(ParsedMoment {
        local: date.and_time(time),
        offset,
    })
}

/// `8:26`, `11:01:13`, `11:01:13.123`, `8:26 PM`, `08:26:00 a.m.`
fn parse_time(text: &str) -> Option<NaiveTime> {
    let text = text.trim();
    if let Some(time) = plain_clock(text) {
        return Some(time);
    }
    let upper = text.to_ascii_uppercase().replace('.', "");
    let (clock, pm) = if let Some(c) = upper.strip_suffix("PM") {
        (c.trim().to_owned(), Some(true))
    } else if let Some(c) = upper.strip_suffix("AM") {
        (c.trim().to_owned(), Some(false))
    } else {
        (text.to_owned(), None)
    };
    let clock = clock.split(['.', ',']).next().unwrap_or("");
    let mut parts = clock.split(':');
    let hour: u32 = parts.next()?.trim().parse().ok()?;
    let minute: u32 = parts.next().unwrap_or("0").trim().parse().ok()?;
    let second: u32 = parts.next().unwrap_or("0").trim().parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    let hour = match pm {
        Some(true) if hour < 12 => hour + 12,
        Some(false) if hour == 12 => 0,
        _ => hour,
    };
    NaiveTime::from_hms_opt(hour, minute, second.min(59))
}

/// `H:MM`, `HH:MM` or `HH:MM:SS` in digits only (what nearly every export writes), read
/// without the copies the general path makes; `None` for anything else.
fn plain_clock(text: &str) -> Option<NaiveTime> {
    let bytes = text.as_bytes();
    if !(4..=8).contains(&bytes.len()) || !bytes.iter().all(|b| b.is_ascii_digit() || *b == b':') {
        return None;
    }
    let mut parts = [0u32; 3];
    let mut count = 0;
    for part in text.split(':') {
        if part.is_empty() || part.len() > 2 || count == 3 {
            return None;
        }
        parts[count] = part.parse().ok()?;
        count += 1;
    }
    if count < 2 {
        return None;
    }
    NaiveTime::from_hms_opt(parts[0], parts[1], parts[2].min(59))
}

/// `Z`, `UTC`, `GMT`, `+02:00`, `+0200`, `-05`, `UTC+2`, and zone abbreviations.
pub fn parse_offset(text: &str) -> Option<FixedOffset> {
    let t = text.trim();
    if let Some(rest) = t.strip_prefix(['+', '-'])
        && rest.bytes().all(|b| b.is_ascii_digit() || b == b':')
    {
        // `+0200`, `+02:00`, `-05`: read without the copies of the general path below,
        // which gives the same offsets.
        let sign = if t.starts_with('+') { 1 } else { -1 };
        let mut digits = [0i32; 4];
        let mut n = 0;
        for b in rest.bytes().filter(u8::is_ascii_digit) {
            let slot = digits.get_mut(n)?;
            *slot = i32::from(b - b'0');
            n += 1;
        }
        let (h, m) = match n {
            1 => (digits[0], 0),
            2 => (digits[0] * 10 + digits[1], 0),
            3 => (digits[0], digits[1] * 10 + digits[2]),
            4 => (digits[0] * 10 + digits[1], digits[2] * 10 + digits[3]),
            _ => return None,
        };
        if h > 14 || m > 59 {
            return None;
        }
        return FixedOffset::east_opt(sign * (h * 3600 + m * 60));
    }
    let upper = t.to_ascii_uppercase();
    if let Some(hours) = zone_abbreviation_hours(&upper) {
        return FixedOffset::east_opt((hours * 3600.0) as i32);
    }
    let signed = upper
        .strip_prefix("UTC")
        .or_else(|| upper.strip_prefix("GMT"))
        .unwrap_or(&upper)
        .trim();
    let (sign, digits) = match signed.chars().next()? {
        '+' => (1, &signed[1..]),
        '-' | '−' => (-1, &signed[signed.char_indices().nth(1)?.0..]),
        _ => return None,
    };
    let digits: String = digits.chars().filter(char::is_ascii_digit).collect();
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        3 => (
            digits[..1].parse::<i32>().ok()?,
            digits[1..].parse::<i32>().ok()?,
        ),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// The hours east of UTC of a zone abbreviation PayPal and others print. `IST` is read as
/// India Standard Time (+05:30): Ireland prints it only in summer (GMT in winter), India
/// all year, so India's reading is wrong less often.
fn zone_abbreviation_hours(upper: &str) -> Option<f64> {
    Some(match upper {
        "Z" | "UTC" | "GMT" | "UT" | "WET" | "WEZ" => 0.0,
        // MEZ/MESZ, OEZ/OESZ, WEZ/WESZ: what German PayPal downloads print.
        "BST" | "CET" | "WEST" | "MET" | "WAT" | "MEZ" | "WESZ" => 1.0,
        "CEST" | "EET" | "MEST" | "SAST" | "CAT" | "MESZ" | "OEZ" => 2.0,
        "EEST" | "MSK" | "EAT" | "IDT" | "OESZ" => 3.0,
        "PKT" => 5.0,
        "IST" => 5.5,
        "ICT" | "WIB" => 7.0,
        "PHT" => 8.0,
        "BRT" | "ART" => -3.0,
        "EST" => -5.0,
        "EDT" => -4.0,
        "CST" => -6.0,
        "CDT" => -5.0,
        "MST" => -7.0,
        "MDT" => -6.0,
        "PST" => -8.0,
        "PDT" => -7.0,
        "AKST" => -9.0,
        "AKDT" => -8.0,
        "HST" => -10.0,
        "AST" => -4.0,
        "ADT" => -3.0,
        "NZST" => 12.0,
        "NZDT" => 13.0,
        "AEST" => 10.0,
        "AEDT" => 11.0,
        "ACST" => 9.5,
        "AWST" | "SGT" | "HKT" => 8.0,
        "JST" | "KST" => 9.0,
        _ => return None,
    })
}

/// An IANA zone for the zone names exports print: `Eastern Time (US & Canada)` (Square,
/// Rails names), `America/New_York`, `Europe/Berlin`.
pub fn named_zone(name: &str) -> Option<Tz> {
    let name = name.trim();
    if let Ok(tz) = name.parse::<Tz>() {
        return Some(tz);
    }
    let key = name.to_ascii_lowercase();
    let iana = match key.as_str() {
        "eastern time (us & canada)" | "eastern time" | "us/eastern" => "America/New_York",
        "central time (us & canada)" | "central time" | "us/central" => "America/Chicago",
        "mountain time (us & canada)" | "mountain time" | "us/mountain" => "America/Denver",
        "arizona" => "America/Phoenix",
        "pacific time (us & canada)" | "pacific time" | "us/pacific" => "America/Los_Angeles",
        "alaska" => "America/Juneau",
        "hawaii" => "Pacific/Honolulu",
        "atlantic time (canada)" => "America/Halifax",
        "newfoundland" => "America/St_Johns",
        "london" | "edinburgh" => "Europe/London",
        "dublin" => "Europe/Dublin",
        "lisbon" => "Europe/Lisbon",
        "amsterdam" => "Europe/Amsterdam",
        "berlin" | "bern" => "Europe/Berlin",
        "paris" => "Europe/Paris",
        "madrid" => "Europe/Madrid",
        "rome" => "Europe/Rome",
        "vienna" => "Europe/Vienna",
        "stockholm" => "Europe/Stockholm",
        "sydney" | "canberra" => "Australia/Sydney",
        "melbourne" => "Australia/Melbourne",
        "brisbane" => "Australia/Brisbane",
        "perth" => "Australia/Perth",
        "auckland" | "wellington" => "Pacific/Auckland",
        "tokyo" => "Asia/Tokyo",
        "utc" | "etc/utc" => "UTC",
        _ => return None,
    };
    iana.parse::<Tz>().ok()
}

/// The UTC offset `zone` has at the local wall-clock time `local` (DST-aware); for a time
/// skipped or repeated by a DST change, the earlier offset.
pub fn offset_in_zone(zone: Tz, local: NaiveDateTime) -> FixedOffset {
    use chrono::Offset as _;
    match zone.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.offset().fix(),
        // A wall-clock time skipped by a DST change: use the offset an hour later.
        chrono::LocalResult::None => zone
            .from_local_datetime(&(local + Duration::hours(1)))
            .earliest()
            .map_or_else(|| chrono::Utc.fix(), |t| t.offset().fix()),
    }
}

/// Splits `6/21/2017 8:26` into the date part and the rest.
fn split_date_rest(text: &str) -> (&str, &str) {
    match text.find([' ', 'T']) {
        Some(i) => (&text[..i], &text[i + 1..]),
        None => (text, ""),
    }
}

/// `a/b/c`, `a.b.c` or `a-b-c` with numbers only.
fn numeric_date_parts(text: &str) -> Option<(&str, &str, &str)> {
    let date_part = text.split([' ', 'T']).next()?;
    let sep = date_part.chars().find(|c| matches!(c, '/' | '.' | '-'))?;
    let mut parts = date_part.trim_end_matches('.').split(sep);
    let a = parts.next()?;
    let b = parts.next()?;
    let c = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let ok = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    if ok(a, 4) && ok(b, 2) && ok(c, 4) {
        Some((a, b, c))
    } else {
        None
    }
}

fn numeric_date(a: &str, b: &str, c: &str, order: DateOrder) -> Result<NaiveDate, DateError> {
    let n = |s: &str| s.parse::<i32>().unwrap_or(0);
    let (year, month, day) = if a.len() == 4 {
        (n(a), n(b), n(c))
    } else {
        let year = expand_year(c);
        match order {
            DateOrder::Mdy => (year, n(a), n(b)),
            DateOrder::Dmy | DateOrder::Ymd => (year, n(b), n(a)),
        }
    };
    let (Ok(month), Ok(day)) = (u32::try_from(month), u32::try_from(day)) else {
        return Err(DateError::Invalid(order.example()));
    };
    NaiveDate::from_ymd_opt(year, month, day).ok_or(DateError::Invalid(order.example()))
}

/// Two-digit years: in the 2000s up to next year, else in the 1900s (`1/1/50` is 1950, not
/// a date decades ahead: orders are in the past).
fn expand_year(text: &str) -> i32 {
    use chrono::Datelike as _;
    let y: i32 = text.parse().unwrap_or(0);
    let next_year = (chrono::Utc::now().year() + 1) % 100;
    match text.len() {
        1 | 2 if y <= next_year => 2000 + y,
        1 | 2 => 1900 + y,
        _ => y,
    }
}

/// `20170621`.
fn compact_date(text: &str) -> Option<NaiveDate> {
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        let number = |digits: &[u8]| {
            digits
                .iter()
                .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'))
        };
        let bytes = text.as_bytes();
        let year = i32::try_from(number(&bytes[..4])).ok()?;
        NaiveDate::from_ymd_opt(year, number(&bytes[4..6]), number(&bytes[6..]))
    } else {
        None
    }
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month_number(word: &str) -> Option<u32> {
    let lower = word.to_ascii_lowercase();
    if lower.len() < 3 {
        return None;
    }
    let position = MONTHS.iter().position(|m| lower.starts_with(m))?;
    // "Sept" and full names are fine; "Marx" is not a month.
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    (lower.len() == 3 || lower == "sept" || full[position].starts_with(&lower))
        .then_some(position as u32 + 1)
}

/// `Jan-18-16`, `Jan 18, 2016`, `18-Jan-2016`, `18 January 2016`, `January 18 2016`;
/// returns the date and how many bytes of `text` it used.
fn month_name_date(text: &str) -> Option<(NaiveDate, usize)> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (i, ch) in text.char_indices() {
        let is_word = ch.is_ascii_alphanumeric();
        match (is_word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                tokens.push((s, i));
                start = None;
                if tokens.len() == 3 {
                    break;
                }
            }
            _ => {}
        }
    }
    if let Some(s) = start
        && tokens.len() < 3
    {
        tokens.push((s, text.len()));
    }
    if tokens.len() < 3 {
        return None;
    }
    let word = |k: usize| &text[tokens[k].0..tokens[k].1];
    let num = |k: usize| word(k).parse::<u32>().ok();
    let end = tokens[2].1;
    let (month, day, year_text) = if let Some(m) = month_number(word(0)) {
        (m, num(1)?, word(2))
    } else if let Some(m) = month_number(word(1)) {
        (m, num(0)?, word(2))
    } else {
        return None;
    };
    if !year_text.bytes().all(|b| b.is_ascii_digit())
        || !(year_text.len() == 2 || year_text.len() == 4)
    {
        return None;
    }
    NaiveDate::from_ymd_opt(expand_year(year_text), month, day).map(|d| (d, end))
}

/// A date cell Excel wrote as its serial number (`45721`, `45721.5`): a plain number of days
/// from 20,000 to 80,000 (October 1954 to January 2119), where no other date shape is a
/// bare number.
fn serial_in_text(text: &str) -> Option<NaiveDateTime> {
    let (days, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if days.len() != 5 || !digits(days) || !digits(fraction) {
        return None;
    }
    let serial: f64 = text.parse().ok()?;
    (20_000.0..80_000.0)
        .contains(&serial)
        .then(|| excel_serial(serial))
        .flatten()
}

/// An Excel serial date (days since 1899-12-30, with the fractional day as the time).
pub fn excel_serial(serial: f64) -> Option<NaiveDateTime> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_time(NaiveTime::MIN);
    let millis = (serial * 86_400_000.0).round() as i64;
    base.checked_add_signed(Duration::milliseconds(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, s)
            .unwrap()
    }

    fn hours(h: i32) -> Option<FixedOffset> {
        FixedOffset::east_opt(h * 3600)
    }

    #[test]
    fn iso_shapes_keep_their_offset() {
        let m = parse_moment("2021-05-13 11:01:13 +0200", DateOrder::Mdy).unwrap();
        assert_eq!(m.local, at(2021, 5, 13, 11, 1, 13));
        assert_eq!(m.offset, hours(2));
        let m = parse_moment("2021-05-13T09:01:13Z", DateOrder::Dmy).unwrap();
        assert_eq!((m.local, m.offset), (at(2021, 5, 13, 9, 1, 13), hours(0)));
        let m = parse_moment("2021-05-13T09:01:13.250-05:00", DateOrder::Dmy).unwrap();
        assert_eq!(m.offset, hours(-5));
        let m = parse_moment("2021-05-13", DateOrder::Dmy).unwrap();
        assert_eq!((m.local, m.offset), (at(2021, 5, 13, 0, 0, 0), None));
        let m = parse_moment("2010-12-01 08:26:00", DateOrder::Mdy).unwrap();
        assert_eq!(m.local, at(2010, 12, 1, 8, 26, 0));
    }

    #[test]
    fn numeric_dates_follow_the_file_order() {
        let m = parse_moment("6/21/2017", DateOrder::Mdy).unwrap();
        assert_eq!(m.local, at(2017, 6, 21, 0, 0, 0));
        let m = parse_moment("12/1/10 8:26", DateOrder::Mdy).unwrap();
        assert_eq!(m.local, at(2010, 12, 1, 8, 26, 0));
        let m = parse_moment("01-12-2010 08:26", DateOrder::Dmy).unwrap();
        assert_eq!(m.local, at(2010, 12, 1, 8, 26, 0));
        let m = parse_moment("21.06.2017", DateOrder::Dmy).unwrap();
        assert_eq!(m.local, at(2017, 6, 21, 0, 0, 0));
        let m = parse_moment("2017/06/21", DateOrder::Mdy).unwrap();
        assert_eq!(m.local, at(2017, 6, 21, 0, 0, 0));
        assert!(matches!(
            parse_moment("6/21/2017", DateOrder::Dmy),
            Err(DateError::Invalid(_))
        ));
        let m = parse_moment("3/4/2025 1:05:09 PM", DateOrder::Mdy).unwrap();
        assert_eq!(m.local, at(2025, 3, 4, 13, 5, 9));
        let m = parse_moment("3/4/2025 12:05 AM PST", DateOrder::Mdy).unwrap();
        assert_eq!((m.local, m.offset), (at(2025, 3, 4, 0, 5, 0), hours(-8)));
    }

    #[test]
    fn month_names_and_compact_dates() {
        assert_eq!(
            parse_moment("Jan-18-16", DateOrder::Dmy).unwrap().local,
            at(2016, 1, 18, 0, 0, 0)
        );
        assert_eq!(
            parse_moment("18-Jan-2016", DateOrder::Mdy).unwrap().local,
            at(2016, 1, 18, 0, 0, 0)
        );
        assert_eq!(
            parse_moment("Jan 18, 2016", DateOrder::Dmy).unwrap().local,
            at(2016, 1, 18, 0, 0, 0)
        );
        assert_eq!(
            parse_moment("18 January 2016", DateOrder::Mdy)
                .unwrap()
                .local,
            at(2016, 1, 18, 0, 0, 0)
        );
        let m = parse_moment("Jan-18-16 10:02:03 PDT", DateOrder::Mdy).unwrap();
        assert_eq!((m.local, m.offset), (at(2016, 1, 18, 10, 2, 3), hours(-7)));
        assert_eq!(
            parse_moment("19970101", DateOrder::Mdy).unwrap().local,
            at(1997, 1, 1, 0, 0, 0)
        );
        assert_eq!(
            parse_moment("Marx 3, 2016", DateOrder::Mdy),
            Err(DateError::Unrecognised)
        );
    }

    #[test]
    fn not_dates() {
        assert_eq!(parse_moment("", DateOrder::Mdy), Err(DateError::Empty));
        assert_eq!(
            parse_moment("tomorrow", DateOrder::Mdy),
            Err(DateError::Unrecognised)
        );
        assert_eq!(
            parse_moment("12.50", DateOrder::Mdy),
            Err(DateError::Unrecognised)
        );
        assert!(parse_moment("2021-02-30", DateOrder::Mdy).is_err());
        assert!(parse_moment("13/13/2020", DateOrder::Mdy).is_err());
        assert!(parse_moment("1/2/3/4", DateOrder::Mdy).is_err());
        // Found by fuzzing: a multi-byte character inside the first ten bytes.
        assert!(parse_moment("2021-04-0ˆØ29 11:20:00 +0200", DateOrder::Mdy).is_err());
    }

    #[test]
    fn order_votes() {
        let mut v = DateOrderVotes::default();
        for d in ["01/02/2025", "05/06/2025", "13/06/2025"] {
            v.observe(d);
        }
        assert_eq!(v.decide(), OrderDecision::Decided(DateOrder::Dmy));
        let mut v = DateOrderVotes::default();
        for d in ["01/02/2025", "06/21/2025 8:00"] {
            v.observe(d);
        }
        assert_eq!(v.decide(), OrderDecision::Decided(DateOrder::Mdy));
        let mut v = DateOrderVotes::default();
        for d in ["01/02/2025", "05/06/2025"] {
            v.observe(d);
        }
        assert_eq!(v.decide(), OrderDecision::Ambiguous);
        let mut v = DateOrderVotes::default();
        for d in ["13/02/2025", "05/26/2025"] {
            v.observe(d);
        }
        assert_eq!(v.decide(), OrderDecision::Contradictory);
        // Dotted dates are day-first (04.03.2025 is 4 March); a dotted time proves nothing.
        let mut v = DateOrderVotes::default();
        for d in ["04.03.2025", "05.06.2025 10:00"] {
            v.observe(d);
        }
        assert_eq!(v.decide(), OrderDecision::Decided(DateOrder::Dmy));
        let mut v = DateOrderVotes::default();
        v.observe("04/03/2025 10.30");
        assert_eq!(v.decide(), OrderDecision::Ambiguous);
        let mut v = DateOrderVotes::default();
        v.observe("Jan-18-16");
        v.observe("20250201");
        assert_eq!(v.decide(), OrderDecision::NotNeeded);
        let mut v = DateOrderVotes::default();
        v.observe("2025-02-01");
        assert_eq!(
            v.decide(),
            OrderDecision::Decided(DateOrder::Ymd),
            "ISO is year-first"
        );
        let mut v = DateOrderVotes::default();
        v.observe("2025/02/01");
        assert_eq!(v.decide(), OrderDecision::Decided(DateOrder::Ymd));
    }

    #[test]
    fn zones() {
        let tz = named_zone("Eastern Time (US & Canada)").unwrap();
        assert_eq!(
            offset_in_zone(tz, at(2024, 7, 1, 12, 0, 0)),
            FixedOffset::west_opt(4 * 3600).unwrap()
        );
        assert_eq!(
            offset_in_zone(tz, at(2024, 1, 1, 12, 0, 0)),
            FixedOffset::west_opt(5 * 3600).unwrap()
        );
        // 02:30 on the spring-forward day does not exist in New York.
        let _ = offset_in_zone(tz, at(2024, 3, 10, 2, 30, 0));
        assert_eq!(
            named_zone("Europe/Berlin").map(|t| t.name()),
            Some("Europe/Berlin")
        );
        assert_eq!(named_zone("Atlantis"), None);
        assert_eq!(
            parse_offset("+0530"),
            FixedOffset::east_opt(5 * 3600 + 1800)
        );
        assert_eq!(parse_offset("UTC-3"), FixedOffset::west_opt(3 * 3600));
        assert_eq!(parse_offset("EDT"), FixedOffset::west_opt(4 * 3600));
        assert_eq!(parse_offset("IST"), FixedOffset::east_opt(5 * 3600 + 1800));
        assert_eq!(parse_offset("BRT"), FixedOffset::west_opt(3 * 3600));
        assert_eq!(parse_offset("MESZ"), FixedOffset::east_opt(2 * 3600));
        assert_eq!(parse_offset("nonsense"), None);
    }

    #[test]
    fn bare_offsets_and_plain_clock_times() {
        let east = |s: i32| FixedOffset::east_opt(s);
        for (text, offset) in [
            ("+0100", east(3600)),
            ("+01:00", east(3600)),
            (" -05 ", east(-5 * 3600)),
            ("+5", east(5 * 3600)),
            ("+530", east(5 * 3600 + 1800)),
            ("-00:30", east(-1800)),
            ("+12345", None),
            ("+15", None),
            ("+0160", None),
            ("+", None),
            ("+1a", east(3600)),
        ] {
            assert_eq!(parse_offset(text), offset, "{text}");
        }
        let at = |text: &str| parse_moment(text, DateOrder::Dmy).map(|m| m.local.time());
        let hms = |h, m, s| Ok(NaiveTime::from_hms_opt(h, m, s).unwrap());
        assert_eq!(at("2025-01-02 08:26"), hms(8, 26, 0));
        assert_eq!(at("2025-01-02 8:26:59"), hms(8, 26, 59));
        assert_eq!(at("2025-01-02T23:59:60"), hms(23, 59, 59));
        assert_eq!(at("2025-01-02 8:26 PM"), hms(20, 26, 0));
        assert!(at("2025-01-02 24:00").is_err());
        assert!(at("2025-01-02 12::30").is_err());
        assert!(at("2025-02-30").is_err());
        assert_eq!(
            parse_moment("2025-01-02 10:11:12 +0100", DateOrder::Dmy).map(|m| m.offset),
            Ok(east(3600))
        );
    }

    #[test]
    fn a_date_cell_excel_left_as_its_serial_number_is_read() {
        let read = |text: &str| parse_moment(text, DateOrder::Dmy).map(|m| m.local);
        assert_eq!(read("45721"), Ok(at(2025, 3, 5, 0, 0, 0)));
        assert_eq!(read(" 45721.75 "), Ok(at(2025, 3, 5, 18, 0, 0)));
        // Not serials: a compact date, other numbers.
        assert_eq!(read("20250305"), Ok(at(2025, 3, 5, 0, 0, 0)));
        assert!(read("12345").is_err());
        assert!(read("99999").is_err());
        assert!(read("4572").is_err());
    }

    #[test]
    fn excel_serials() {
        assert_eq!(excel_serial(45_658.0), Some(at(2025, 1, 1, 0, 0, 0)));
        assert_eq!(excel_serial(45_658.5), Some(at(2025, 1, 1, 12, 0, 0)));
        assert_eq!(excel_serial(-3.0), None);
    }
}
