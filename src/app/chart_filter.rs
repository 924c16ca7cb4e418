//! Filtering the value charts to a group of customers: those who first bought within a date
//! range, in one RFM segment, or through one import source (the platform of their first
//! purchase). The charts' figures are computed again for that group on the writer thread
//! (a background job), from the purchases and the current run's stored scores — the models
//! are not refitted, so a customer keeps the value the whole shop's model gave them.

use chrono::NaiveDate;

use crate::clv::insights::{Insights, InsightsInput, insights};
use crate::clv::segments::{Rfm, Segment};
use crate::clv::summary::{Purchase, summarise};
use crate::clv::value::CustomerValue;
use crate::store::{Store, StoreError};

/// Which customers the charts show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChartFilter {
    /// First purchase on or after this day.
    pub first_from: Option<NaiveDate>,
    /// First purchase on or before this day.
    pub first_to: Option<NaiveDate>,
    /// Only this segment ([`Segment::label`]).
    pub segment: Option<String>,
    /// Only customers whose first purchase came from this platform.
    pub source: Option<String>,
}

impl ChartFilter {
    /// True when every customer is shown.
    pub fn is_empty(&self) -> bool {
        *self == ChartFilter::default()
    }

    /// "customers who first bought from 1 Jan 2025 to 31 Mar 2025, in Champions, from shopify".
    pub fn describe(&self) -> String {
        let day = |d: NaiveDate| d.format("%-d %b %Y").to_string();
        let mut parts = vec!["customers".to_owned()];
        match (self.first_from, self.first_to) {
            (Some(from), Some(to)) => parts.push(format!(
                "who first bought from {} to {}",
                day(from),
                day(to)
            )),
            (Some(from), None) => parts.push(format!("who first bought on {} or later", day(from))),
            (None, Some(to)) => parts.push(format!("who first bought by {}", day(to))),
            (None, None) => {}
        }
        if let Some(segment) = &self.segment {
            parts.push(format!("in “{segment}”"));
        }
        if let Some(source) = &self.source {
            parts.push(format!("who came through {source}"));
        }
        parts.join(" ")
    }
}

/// The charts' figures for the customers `filter` selects, with their number; `None` when
/// the customers have not been valued yet.
pub fn filtered_insights(
    store: &Store,
    filter: &ChartFilter,
) -> Result<Option<(Insights, u64, i64)>, StoreError> {
    let Some(run) = store.current_run()? else {
        return Ok(None);
    };
    let minor = store.business_settings()?.currency.minor_per_major() as f64;
    let history = store.purchase_history()?;
    let stored = store.run_scores(run.id)?;
    let end = run.run.observation_end;
    let summaries = summarise(&history.purchases, history.customer_ids.len(), end);
    // The stored score of each customer index.
    let mut score_of = vec![None; history.customer_ids.len()];
    let mut next = 0;
    for (index, id) in history.customer_ids.iter().enumerate() {
        while next < stored.len() && stored[next].customer_id < *id {
            next += 1;
        }
        if next < stored.len() && stored[next].customer_id == *id {
            score_of[index] = Some(&stored[next]);
        }
    }
    let keep: Vec<bool> = summaries
        .iter()
        .zip(&score_of)
        .zip(&history.acquisition)
        .map(|((s, score), acquisition)| {
            let first = s.first_day;
            s.is_acquired()
                && filter.first_from.is_none_or(|from| first >= Some(from))
                && filter.first_to.is_none_or(|to| first <= Some(to))
                && filter
                    .segment
                    .as_ref()
                    .is_none_or(|wanted| score.and_then(|sc| sc.segment.as_ref()) == Some(wanted))
                && filter
                    .source
                    .as_ref()
                    .is_none_or(|wanted| *acquisition.source == **wanted)
        })
        .collect();
    let mut new_index = vec![usize::MAX; keep.len()];
    let mut kept = 0;
    for (i, k) in keep.iter().enumerate() {
        if *k {
            new_index[i] = kept;
            kept += 1;
        }
    }
    let purchases: Vec<Purchase> = history
        .purchases
        .iter()
        .filter(|p| keep[p.customer])
        .map(|p| Purchase {
            customer: new_index[p.customer],
            ..*p
        })
        .collect();
    let chosen = |i: &usize| keep[*i];
    let indices: Vec<usize> = (0..keep.len()).filter(chosen).collect();
    let sub_summaries = summarise(&purchases, kept, end);
    let values: Vec<CustomerValue> = indices
        .iter()
        .map(|i| match score_of[*i] {
            Some(s) => CustomerValue {
                p_alive: s.p_alive.unwrap_or(f64::NAN),
                expected_purchases: s.expected_purchases.unwrap_or(f64::NAN),
                expected_spend: s.expected_spend_cents.unwrap_or(f64::NAN) / minor,
                clv: s.clv_cents / minor,
                clv_low: s.clv_low_cents.unwrap_or(f64::NAN) / minor,
                clv_high: s.clv_high_cents.unwrap_or(f64::NAN) / minor,
            },
            None => CustomerValue::default(),
        })
        .collect();
    let segments: Vec<Option<Rfm>> = indices
        .iter()
        .map(|i| {
            let score = score_of[*i]?;
            let [r, f, m] = score.rfm?;
            let segment = Segment::from_label(score.segment.as_deref()?)?;
            Some(Rfm { r, f, m, segment })
        })
        .collect();
    let channels: Vec<&str> = indices
        .iter()
        .map(|i| &*history.acquisition[*i].channel)
        .collect();
    let codes: Vec<Option<&str>> = indices
        .iter()
        .map(|i| history.acquisition[*i].coupon.as_deref())
        .collect();
    let figures = insights(&InsightsInput {
        purchases: &purchases,
        summaries: &sub_summaries,
        values: &values,
        segments: &segments,
        channels: &channels,
        first_codes: &codes,
        end,
        minor_per_major: minor,
    });
    Ok(Some((figures, kept as u64, run.id)))
}
