//! RFM segments with plain names, so an owner can talk about groups of customers without
//! statistics: each customer who bought gets three quintile scores from 1 to 5 —
//! **R** (how recently they last bought: the most recent fifth score 5), **F** (how many
//! purchase days) and **M** (how much they spent in all) — and a segment from R and the
//! rounded average of F and M ("FM"):
//!
//! | R \ FM | 5 | 4 | 3 | 2 | 1 |
//! |---|---|---|---|---|---|
//! | 5 | Champions | Champions | Potential loyalist | Potential loyalist | New |
//! | 4 | Champions | Champions | Potential loyalist | Potential loyalist | Promising |
//! | 3 | Loyal | Loyal | Needs attention | About to sleep | About to sleep |
//! | 2 | Can't lose them | At risk | At risk | Hibernating | Hibernating |
//! | 1 | Can't lose them | At risk | At risk | Lost | Lost |
//!
//! except that customers who have bought on one day only (F = 1) and recently (R 4–5) are
//! **New** (R 5) or **Promising** (R 4) whatever they spent: one big first order does not
//! make a loyal customer yet.
//!
//! Quintiles are by rank: a customer's score is 1 + ⌊5·below/n⌋, where `below` counts the
//! customers with a smaller value — "better than this share of customers" — so customers
//! with the same value get the same score, and the many who bought once all score F = 1.

use chrono::NaiveDate;

use super::summary::CustomerSummary;

/// The segments, best first.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Segment {
    /// Bought recently, often and much.
    Champions,
    /// Buy often and much, though not in the last weeks.
    Loyal,
    /// Recent customers who bought more than once or spent well.
    PotentialLoyalist,
    /// Bought for the first time recently.
    New,
    /// Recent, but have bought little so far.
    Promising,
    /// Average on everything; a nudge keeps them.
    NeedsAttention,
    /// Have not bought for a while and bought little.
    AboutToSleep,
    /// Were good customers and have not come back for a long time.
    AtRisk,
    /// Were among the best and have not come back for a long time.
    CantLoseThem,
    /// Bought little, long ago.
    Hibernating,
    /// Bought little, longest ago.
    Lost,
}

impl Segment {
    /// Every segment, best first.
    pub const ALL: [Segment; 11] = [
        Segment::Champions,
        Segment::Loyal,
        Segment::PotentialLoyalist,
        Segment::New,
        Segment::Promising,
        Segment::NeedsAttention,
        Segment::AboutToSleep,
        Segment::AtRisk,
        Segment::CantLoseThem,
        Segment::Hibernating,
        Segment::Lost,
    ];

    /// The name an owner reads.
    pub fn label(self) -> &'static str {
        match self {
            Segment::Champions => "Champions",
            Segment::Loyal => "Loyal",
            Segment::PotentialLoyalist => "Potential loyalist",
            Segment::New => "New",
            Segment::Promising => "Promising",
            Segment::NeedsAttention => "Needs attention",
            Segment::AboutToSleep => "About to sleep",
            Segment::AtRisk => "At risk",
            Segment::CantLoseThem => "Can't lose them",
            Segment::Hibernating => "Hibernating",
            Segment::Lost => "Lost",
        }
    }

    /// The rule, in words, for a tooltip.
    pub fn rule(self) -> &'static str {
        match self {
            Segment::Champions => "Bought recently (R 4–5) and often or much (FM 4–5).",
            Segment::Loyal => "Often or much (FM 4–5), last purchase a while ago (R 3).",
            Segment::PotentialLoyalist => "Bought recently (R 4–5), moderately (FM 2–3).",
            Segment::New => "First bought very recently (R 5) and only a little (FM 1).",
            Segment::Promising => "Bought recently (R 4) and only a little (FM 1).",
            Segment::NeedsAttention => "Middle on everything (R 3, FM 3).",
            Segment::AboutToSleep => "Last purchase a while ago (R 3), little (FM 1–2).",
            Segment::AtRisk => "Bought often or much (FM 3–4), but long ago (R 1–2).",
            Segment::CantLoseThem => "Among the best (FM 5), but long ago (R 1–2).",
            Segment::Hibernating => "Little (FM 1–2), long ago (R 2).",
            Segment::Lost => "Little (FM 1–2), longest ago (R 1).",
        }
    }

    /// The segment of R and FM scores (1–5; out-of-range values are clamped).
    pub fn of(r: u8, fm: u8) -> Segment {
        match (r.clamp(1, 5), fm.clamp(1, 5)) {
            (4..=5, 4..=5) => Segment::Champions,
            (4..=5, 2..=3) => Segment::PotentialLoyalist,
            (5, _) => Segment::New,
            (4, _) => Segment::Promising,
            (3, 4..=5) => Segment::Loyal,
            (3, 3) => Segment::NeedsAttention,
            (3, _) => Segment::AboutToSleep,
            (1..=2, 5) => Segment::CantLoseThem,
            (1..=2, 3..=4) => Segment::AtRisk,
            (2, _) => Segment::Hibernating,
            _ => Segment::Lost,
        }
    }

    /// The segment of the three scores: the table with FM = round((F + M) / 2), and the
    /// first-purchase rule for recent one-day customers.
    pub fn of_scores(r: u8, f: u8, m: u8) -> Segment {
        match (r, f) {
            (5, 1) => Segment::New,
            (4, 1) => Segment::Promising,
            _ => Segment::of(r, ((f64::from(f) + f64::from(m)) / 2.0).round() as u8),
        }
    }

    /// Parses [`Segment::label`].
    pub fn from_label(label: &str) -> Option<Segment> {
        Segment::ALL.into_iter().find(|s| s.label() == label)
    }
}

/// One customer's RFM scores and segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rfm {
    /// Recency score, 5 = bought most recently.
    pub r: u8,
    /// Frequency score, 5 = most purchase days.
    pub f: u8,
    /// Monetary score, 5 = spent most.
    pub m: u8,
    /// The segment ([`Segment::of_scores`]).
    pub segment: Segment,
}

/// Quintile scores 1–5 of `values` (higher value, higher score); equal values score alike.
pub fn quintile_scores(values: &[f64]) -> Vec<u8> {
    let n = values.len();
    if n == 0 {
        return Vec::new();
    }
    let mut sorted: Vec<f64> = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    values
        .iter()
        .map(|v| {
            let below = sorted.partition_point(|x| x.total_cmp(v).is_lt());
            (1 + 5 * below / n).min(5) as u8
        })
        .collect()
}

/// RFM scores and segments of the customers who bought by `end` (`None` for the others).
pub fn rfm_segments(summaries: &[CustomerSummary], end: NaiveDate) -> Vec<Option<Rfm>> {
    let acquired: Vec<&CustomerSummary> = summaries.iter().filter(|s| s.is_acquired()).collect();
    // Recency as "how recent": minus the days since the last purchase.
    let recent: Vec<f64> = acquired
        .iter()
        .map(|s| {
            -(s.last_day
                .map_or(f64::INFINITY, |d| (end - d).num_days() as f64))
        })
        .collect();
    let frequency: Vec<f64> = acquired
        .iter()
        .map(|s| f64::from(s.purchase_days))
        .collect();
    let monetary: Vec<f64> = acquired.iter().map(|s| s.revenue_cents as f64).collect();
    let (r, f, m) = (
        quintile_scores(&recent),
        quintile_scores(&frequency),
        quintile_scores(&monetary),
    );
    let mut scored = r.into_iter().zip(f).zip(m).map(|((r, f), m)| Rfm {
        r,
        f,
        m,
        segment: Segment::of_scores(r, f, m),
    });
    summaries
        .iter()
        .map(|s| if s.is_acquired() { scored.next() } else { None })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cell_of_the_table_has_its_documented_segment() {
        use Segment::*;
        let table = [
            (
                5,
                [
                    Champions,
                    Champions,
                    PotentialLoyalist,
                    PotentialLoyalist,
                    New,
                ],
            ),
            (
                4,
                [
                    Champions,
                    Champions,
                    PotentialLoyalist,
                    PotentialLoyalist,
                    Promising,
                ],
            ),
            (
                3,
                [Loyal, Loyal, NeedsAttention, AboutToSleep, AboutToSleep],
            ),
            (2, [CantLoseThem, AtRisk, AtRisk, Hibernating, Hibernating]),
            (1, [CantLoseThem, AtRisk, AtRisk, Lost, Lost]),
        ];
        for (r, row) in table {
            for (i, want) in row.into_iter().enumerate() {
                let fm = 5 - i as u8;
                assert_eq!(Segment::of(r, fm), want, "R {r}, FM {fm}");
            }
        }
        for segment in Segment::ALL {
            assert_eq!(Segment::from_label(segment.label()), Some(segment));
        }
    }

    #[test]
    fn quintiles_share_ties_and_spread_distinct_values() {
        let ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quintile_scores(&ten), vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        // Half the customers bought once: they all get the same score.
        let ties = [1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0];
        let scores = quintile_scores(&ties);
        assert_eq!(scores, vec![1, 1, 1, 1, 3, 4, 4, 5]);
        assert!(quintile_scores(&[]).is_empty());
        assert_eq!(quintile_scores(&[7.0]), vec![1]);
    }

    #[test]
    fn a_hand_built_shop_gets_the_segments_an_owner_would_expect() {
        let end: NaiveDate = "2025-12-31".parse().unwrap();
        let day = |text: &str| Some(text.parse::<NaiveDate>().unwrap());
        // Ten customers: (last purchase, purchase days, revenue in cents).
        let shop = [
            ("2025-12-28", 12, 120_000), // recent, frequent, big: champion
            ("2025-12-20", 9, 90_000),   // recent, frequent, big: champion
            ("2025-12-30", 1, 1_500),    // first purchase days ago: new
            ("2025-12-26", 1, 1_000),    // new too
            ("2025-08-01", 8, 80_000),   // was among the best, gone quiet: can't lose / at risk
            ("2025-07-01", 10, 100_000), // the same
            ("2025-10-01", 3, 9_000),    // middle
            ("2025-09-15", 2, 4_000),    // middle, little
            ("2024-03-01", 1, 2_000),    // once, long ago: lost
            ("2024-01-01", 1, 1_200),    // once, longest ago: lost
        ];
        let summaries: Vec<CustomerSummary> = shop
            .iter()
            .map(|(last, days, cents)| CustomerSummary {
                frequency: days - 1,
                purchase_days: *days,
                revenue_cents: *cents,
                first_day: day("2023-06-01"),
                last_day: day(last),
                ..CustomerSummary::default()
            })
            .chain(std::iter::once(CustomerSummary::default()))
            .collect();
        let rfm = rfm_segments(&summaries, end);
        let segment = |i: usize| rfm[i].map(|r| r.segment);
        assert_eq!(segment(0), Some(Segment::Champions));
        assert_eq!(segment(1), Some(Segment::Champions));
        assert_eq!(segment(2), Some(Segment::New));
        // A first order five days ago is in the second-most-recent fifth here.
        assert_eq!(segment(3), Some(Segment::Promising));
        assert_eq!(segment(4), Some(Segment::AtRisk));
        assert_eq!(segment(5), Some(Segment::CantLoseThem));
        assert_eq!(segment(8), Some(Segment::Lost));
        assert_eq!(segment(9), Some(Segment::Lost));
        assert_eq!(rfm[10], None, "a customer who never bought has no segment");
        assert_eq!(rfm[0].map(|r| (r.r, r.f, r.m)), Some((5, 5, 5)));
    }
}
