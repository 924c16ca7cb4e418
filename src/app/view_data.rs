//! What the loyalty, referral and care views share about data read in the background: a
//! slot a job leaves its update in for the UI thread, the key that says which data and day
//! a read was for, and the rule for when a view should ask for a read.
//!
//! Each of those views reads its data in a job, never per frame, and keeps it until the
//! data, the file or the day changes. Before this module each carried its own copy of this
//! bookkeeping.

use std::sync::{Arc, Mutex};

use super::AppState;
use super::loyalty::today;

/// Where a background job leaves what it read or did, for the UI thread to take after the
/// job finished. Cloning shares the slot.
#[derive(Debug)]
pub struct Slot<T>(Arc<Mutex<Option<T>>>);

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot(Arc::new(Mutex::new(None)))
    }
}

impl<T> Clone for Slot<T> {
    fn clone(&self) -> Self {
        Slot(Arc::clone(&self.0))
    }
}

impl<T> Slot<T> {
    /// Leaves `update` (replacing one not taken yet).
    pub fn put(&self, update: T) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(update);
        }
    }

    /// What a job left, once.
    pub fn take(&self) -> Option<T> {
        self.0.lock().ok().and_then(|mut slot| slot.take())
    }
}

/// Whether data read for `data_key` is the data as it is now (`current_key`).
pub fn is_current(data_key: Option<&str>, current_key: Option<&str>) -> bool {
    matches!((data_key, current_key), (Some(data), Some(now)) if data == now)
}

impl AppState {
    /// What a program view's data must have been read from to be current: the data and
    /// settings, the file, the day, and `extra` (what else that view depends on).
    pub(super) fn program_data_key(&self, extra: &str) -> Option<String> {
        let snapshot = self.snapshot()?;
        Some(format!(
            "{}; {}; {}{extra}",
            snapshot.inputs_key,
            snapshot.db_path.display(),
            today()
        ))
    }

    /// Whether a view should ask for a read: its data is not `current`, nothing runs, and
    /// no read was started (`started_for`) for the data as it is now (`key`), so a failing
    /// read is not restarted every frame.
    pub(super) fn program_needs_read(
        &self,
        current: bool,
        key: Option<String>,
        started_for: Option<&String>,
    ) -> bool {
        !current && self.running_job().is_none() && key.is_some_and(|key| started_for != Some(&key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_hands_over_the_last_update_once() {
        let slot: Slot<u32> = Slot::default();
        let job_side = slot.clone();
        assert_eq!(slot.take(), None);
        job_side.put(1);
        job_side.put(2);
        assert_eq!(slot.take(), Some(2));
        assert_eq!(slot.take(), None);
    }

    #[test]
    fn data_is_current_only_for_the_same_known_key() {
        assert!(is_current(Some("a"), Some("a")));
        assert!(!is_current(Some("a"), Some("b")));
        assert!(!is_current(None, Some("a")));
        assert!(!is_current(Some("a"), None));
        assert!(!is_current(None, None));
    }
}
