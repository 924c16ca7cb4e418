//! One customer's profile and what the owner does with it: edit tags, notes and consent,
//! merge a duplicate in or take it out again, export everything held about them, erase
//! their personal details. The profile is read with the customer's referrals. Also the
//! shop-wide list of likely duplicates.
//!
//! Every read and write runs as a background job on the writer thread; the results land in
//! [`ProfileSlot`] and are taken by [`crate::app::AppState`] after the job. Views read
//! [`ProfileState`] and push [`ProfileCommand`]s.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::domain::CustomerId;
use crate::store::Store;
use crate::store::care::CustomerCareHistory;
use crate::store::customers::{
    CustomerEdits, CustomerProfile, DuplicateSuggestion, ErasurePreview,
};
use crate::store::referrals::CustomerReferrals;

/// What a background job read for the views.
#[derive(Debug, Default)]
pub struct ProfileResults {
    /// A freshly read profile with its erasure preview (`None` inside: no such customer).
    pub profile: Option<Option<(CustomerProfile, ErasurePreview)>>,
    /// A freshly computed list of likely duplicates.
    pub duplicates: Option<Vec<DuplicateSuggestion>>,
    /// The profile's customer's referrals, read with the profile.
    pub referrals: Option<CustomerReferrals>,
    /// The care history of the freshly read profile.
    pub care: Option<CustomerCareHistory>,
}

/// Where the jobs leave their results for the UI thread.
pub type ProfileSlot = Arc<Mutex<ProfileResults>>;

/// The profile on screen and the duplicates list.
#[derive(Debug, Default)]
pub struct ProfileState {
    /// The open profile and what erasing it would remove.
    pub open: Option<(CustomerProfile, ErasurePreview)>,
    /// The customer whose profile is being read.
    pub reading: Option<i64>,
    /// Likely duplicates, once looked for.
    pub duplicates: Option<Vec<DuplicateSuggestion>>,
    /// The open profile's referral code, referrer and friends (read with it).
    pub referrals: Option<CustomerReferrals>,
    /// The open profile's care tasks, contacts and disputes.
    pub care: Option<CustomerCareHistory>,
    /// Where jobs leave their results.
    pub(crate) slot: ProfileSlot,
    /// A JSON export waiting for its file dialog: the customer.
    pub(crate) json_for: Option<i64>,
}

/// What the profile and duplicates views ask for.
#[derive(Clone, Debug, PartialEq)]
pub enum ProfileCommand {
    /// Read and show customer `id`'s profile.
    Open(i64),
    /// Close the profile.
    Close,
    /// Save the tags, notes and consent of customer `id`.
    SaveDetails(i64, CustomerEdits),
    /// Merge `duplicate` into `survivor` (both customer ids).
    Merge {
        /// The customer who stays.
        survivor: i64,
        /// The customer merged into them.
        duplicate: i64,
    },
    /// Take customer `id` out of the customer they were merged into.
    Unmerge(i64),
    /// Erase customer `id`'s personal details (after the view's confirmation).
    Erase(i64),
    /// Ask where to save customer `id`'s data as JSON (file dialog).
    ChooseJson(i64),
    /// Save customer `id`'s data as JSON at this path (after the dialog).
    ExportJson(i64, PathBuf),
    /// Look for likely duplicates among all customers.
    FindDuplicates,
}

impl ProfileState {
    /// Takes what finished jobs left in the slot.
    pub fn take_results(&mut self) {
        let Ok(mut slot) = self.slot.lock() else {
            return;
        };
        if let Some(profile) = slot.profile.take() {
            let care = slot.care.take();
            if self.wants(profile.as_ref().map(|(p, _)| p.id)) {
                self.reading = None;
                self.open = profile;
                self.care = care;
            }
        }
        if let Some(duplicates) = slot.duplicates.take() {
            self.duplicates = Some(duplicates);
        }
        if let Some(referrals) = slot.referrals.take() {
            self.referrals = Some(referrals);
        }
    }

    /// Notes that a change job about to start reads customer `id`'s profile when it ends
    /// and shows it (the profile shown, or the survivor of a merge made from the duplicates
    /// list).
    pub fn will_show(&mut self, id: i64) {
        if self.open_id() != Some(id) {
            self.reading = Some(id);
        }
    }

    /// Whether a profile read for customer `read_id` (`None`: no such customer) belongs on
    /// screen: the one being opened, or a fresh read of the one shown. A read that a change
    /// made for a profile closed (or replaced) since is dropped, so it cannot reopen it.
    fn wants(&self, read_id: Option<i64>) -> bool {
        match (self.reading, read_id) {
            (Some(reading), Some(id)) => reading == id,
            (Some(_), None) => true,
            (None, Some(id)) => self.open_id() == Some(id),
            (None, None) => false,
        }
    }

    /// The open profile's referrals, when they were read for it.
    pub fn open_referrals(&self) -> Option<&CustomerReferrals> {
        let open = self.open.as_ref()?;
        let survivor = open.0.merged_into.unwrap_or(open.0.id);
        self.referrals.as_ref().filter(|r| r.customer == survivor)
    }

    /// The id of the open profile.
    pub fn open_id(&self) -> Option<i64> {
        self.open.as_ref().map(|(p, _)| p.id)
    }
}

/// A job that reads customer `id`'s profile (and erasure preview) into `slot`.
pub fn read_profile_job(id: i64, slot: ProfileSlot) -> super::worker::JobFn {
    Box::new(move |store, _| {
        let read = read_profile(store, id)?;
        let referrals = store.customer_referrals(CustomerId(id))?;
        let care = read_care(store, &read)?;
        let words = match &read {
            Some((profile, _)) => format!("Opened {}.", profile_name(profile)),
            None => format!("Customer #{id} is no longer in the database."),
        };
        put(&slot, |r| {
            r.profile = Some(read);
            r.care = care;
            r.referrals = Some(referrals);
        });
        Ok(words)
    })
}

/// A job that runs `change` (a write), then reads the profile of `show` again so the view
/// shows the result — and the duplicates list too when `duplicates` (it is on screen and
/// the change may have settled a pair). The status line says what `change` returns.
pub fn change_job(
    show: i64,
    duplicates: bool,
    slot: ProfileSlot,
    change: impl FnOnce(&mut Store) -> anyhow::Result<String> + Send + 'static,
) -> super::worker::JobFn {
    Box::new(move |store, _| {
        let words = change(store)?;
        let read = read_profile(store, show)?;
        let referrals = store.customer_referrals(CustomerId(show))?;
        let care = read_care(store, &read)?;
        let found = if duplicates {
            Some(store.duplicate_suggestions()?)
        } else {
            None
        };
        put(&slot, |r| {
            r.profile = Some(read);
            r.care = care;
            r.duplicates = found;
            r.referrals = Some(referrals);
        });
        Ok(words)
    })
}

/// A job that looks for likely duplicates.
pub fn find_duplicates_job(slot: ProfileSlot) -> super::worker::JobFn {
    Box::new(move |store, progress| {
        progress.set(0.2, "Comparing e-mails, phones, names and postcodes…");
        let found = store.duplicate_suggestions()?;
        let words = match found.len() {
            0 => "No likely duplicates found.".to_owned(),
            1 => "Found 1 pair of customers who may be one person.".to_owned(),
            n => format!("Found {n} groups of customers who may be one person."),
        };
        put(&slot, |r| r.duplicates = Some(found));
        Ok(words)
    })
}

/// A job that writes customer `id`'s data as JSON to `path`.
pub fn export_json_job(id: i64, path: PathBuf) -> super::worker::JobFn {
    Box::new(move |store, _| {
        let data = store.customer_export_json(id)?;
        let text = serde_json::to_string_pretty(&data)?;
        std::fs::write(&path, text)
            .map_err(|e| anyhow::anyhow!("could not write {}: {e}", path.display()))?;
        Ok(format!(
            "Saved everything held about customer #{id} to {}",
            path.display()
        ))
    })
}

/// The profile and erasure preview of customer `id`, `None` when there is none.
fn read_profile(
    store: &Store,
    id: i64,
) -> Result<Option<(CustomerProfile, ErasurePreview)>, crate::store::StoreError> {
    let Some(profile) = store.customer_profile(id)? else {
        return Ok(None);
    };
    let preview = store.erasure_preview(id)?;
    Ok(Some((profile, preview)))
}

/// Reads customer `id`'s profile again into `slot`, inside a job that changed what the
/// profile shows (a referral recorded or judged again), so the open profile is current.
pub fn reread_profile(
    store: &Store,
    id: i64,
    slot: &ProfileSlot,
) -> Result<(), crate::store::StoreError> {
    let read = read_profile(store, id)?;
    let referrals = store.customer_referrals(CustomerId(id))?;
    let care = read_care(store, &read)?;
    put(slot, |r| {
        r.profile = Some(read);
        r.care = care;
        r.referrals = Some(referrals);
    });
    Ok(())
}

/// The care history of the profile read, if one was.
fn read_care(
    store: &Store,
    read: &Option<(CustomerProfile, ErasurePreview)>,
) -> Result<Option<CustomerCareHistory>, crate::store::StoreError> {
    read.as_ref()
        .map(|(profile, _)| store.customer_care_history(profile.id))
        .transpose()
}

fn put(slot: &ProfileSlot, fill: impl FnOnce(&mut ProfileResults)) {
    if let Ok(mut results) = slot.lock() {
        fill(&mut results);
    }
}

/// The name a profile is called by: its display name, else "Customer #id".
pub fn profile_name(profile: &CustomerProfile) -> String {
    if profile.display_name.trim().is_empty() {
        format!("Customer #{}", profile.id)
    } else {
        profile.display_name.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{Progress, load_demo};
    use crate::demo::DemoOptions;

    fn demo_store(dir: &std::path::Path) -> Store {
        let mut store = Store::open(&dir.join("shop.sqlite")).unwrap();
        let options = DemoOptions {
            customers: 30,
            seed: 3,
            end_date: chrono::NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
            currency: crate::domain::Currency::EUR,
        };
        load_demo(&mut store, &Progress::default(), &options).unwrap();
        store
    }

    #[test]
    fn a_read_for_a_closed_or_replaced_profile_does_not_reopen_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = demo_store(dir.path());
        // Opening customer 1: its read is shown.
        let mut state = ProfileState {
            reading: Some(1),
            ..ProfileState::default()
        };
        reread_profile(&store, 1, &state.slot).unwrap();
        state.take_results();
        assert_eq!(state.open_id(), Some(1));
        assert!(state.care.is_some());

        // A change re-reads the profile shown: taken.
        reread_profile(&store, 1, &state.slot).unwrap();
        state.take_results();
        assert_eq!(state.open_id(), Some(1));

        // The owner opened customer 2 meanwhile: a late re-read of 1 is dropped, 2's read
        // is shown.
        state.reading = Some(2);
        reread_profile(&store, 1, &state.slot).unwrap();
        state.take_results();
        assert_eq!(state.reading, Some(2), "still waiting for customer 2");
        reread_profile(&store, 2, &state.slot).unwrap();
        state.take_results();
        assert_eq!(state.open_id(), Some(2));

        // Closed (as ProfileCommand::Close does): a late re-read does not reopen it.
        state.open = None;
        state.reading = None;
        state.care = None;
        reread_profile(&store, 2, &state.slot).unwrap();
        state.take_results();
        assert_eq!(state.open_id(), None);
        assert!(state.care.is_none());

        // Opening a customer that does not exist: the empty answer is shown.
        state.reading = Some(999_999);
        reread_profile(&store, 999_999, &state.slot).unwrap();
        state.take_results();
        assert_eq!((state.reading, state.open_id()), (None, None));
    }
}
