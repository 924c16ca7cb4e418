//! The `settings` table: the owner's business settings as typed values with defaults.
//!
//! Stored as key/value text so a later version can add a setting without a migration; a
//! value that no longer parses falls back to its default instead of failing the open.

use chrono::Weekday;
use rusqlite::{OptionalExtension as _, params};

use super::{Store, StoreError};
use crate::domain::{BusinessSettings, Currency};

const CURRENCY: &str = "currency";
const MARGIN_PCT: &str = "margin_pct";
const MONTHLY_DISCOUNT_PCT: &str = "monthly_discount_pct";
const HORIZON_MONTHS: &str = "horizon_months";
const WEEK_START: &str = "week_start";
const TIME_ZONE: &str = "time_zone";
const SHOP_NAME: &str = "shop_name";
/// Set in a database that holds the demo shop, so the window can say it is not real data.
const DEMO: &str = "demo_data";

impl Store {
    /// The business settings, each missing or unreadable value replaced by its default.
    pub fn business_settings(&self) -> Result<BusinessSettings, StoreError> {
        let defaults = BusinessSettings::default();
        Ok(BusinessSettings {
            currency: self
                .setting(CURRENCY)?
                .and_then(|v| Currency::parse(&v))
                .unwrap_or(defaults.currency),
            margin_pct: self
                .parsed_setting(MARGIN_PCT)?
                .unwrap_or(defaults.margin_pct),
            monthly_discount_pct: self
                .parsed_setting(MONTHLY_DISCOUNT_PCT)?
                .unwrap_or(defaults.monthly_discount_pct),
            horizon_months: self
                .parsed_setting(HORIZON_MONTHS)?
                .unwrap_or(defaults.horizon_months),
            week_start: self
                .setting(WEEK_START)?
                .and_then(|v| v.parse::<Weekday>().ok())
                .unwrap_or(defaults.week_start),
            time_zone: self.setting(TIME_ZONE)?.unwrap_or(defaults.time_zone),
            shop_name: self.setting(SHOP_NAME)?.unwrap_or(defaults.shop_name),
        })
    }

    /// Saves the business settings in one transaction. Invalid values are refused with
    /// the owner-facing problems joined into one message.
    pub fn save_business_settings(
        &mut self,
        settings: &BusinessSettings,
    ) -> Result<(), SettingsError> {
        let problems = settings.problems();
        if !problems.is_empty() {
            return Err(SettingsError::Invalid(problems.join(" ")));
        }
        let path = self.path().to_path_buf();
        let sql_err = |e| SettingsError::Store(StoreError::from_sqlite(&path, e));
        let tx = self.conn_mut().transaction().map_err(sql_err)?;
        {
            let mut put = tx
                .prepare_cached(
                    "INSERT INTO settings (key, value) VALUES (?1, ?2)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                )
                .map_err(sql_err)?;
            put.execute(params![CURRENCY, settings.currency.code()])
                .map_err(sql_err)?;
            put.execute(params![MARGIN_PCT, settings.margin_pct.to_string()])
                .map_err(sql_err)?;
            put.execute(params![
                MONTHLY_DISCOUNT_PCT,
                settings.monthly_discount_pct.to_string()
            ])
            .map_err(sql_err)?;
            put.execute(params![HORIZON_MONTHS, settings.horizon_months.to_string()])
                .map_err(sql_err)?;
            put.execute(params![WEEK_START, settings.week_start.to_string()])
                .map_err(sql_err)?;
            put.execute(params![TIME_ZONE, settings.time_zone.trim()])
                .map_err(sql_err)?;
            put.execute(params![SHOP_NAME, settings.shop_name.trim()])
                .map_err(sql_err)?;
        }
        tx.commit().map_err(sql_err)
    }

    /// The shop's name from the business settings, trimmed (empty when not set): one
    /// setting read, for code that fills in many messages.
    pub(crate) fn shop_name(&self) -> Result<String, StoreError> {
        Ok(self
            .setting(SHOP_NAME)?
            .map(|name| name.trim().to_owned())
            .unwrap_or_default())
    }

    /// Whether the database holds the demo shop.
    pub fn is_demo(&self) -> Result<bool, StoreError> {
        Ok(self.setting(DEMO)?.is_some_and(|v| v == "1"))
    }

    /// Marks the database as holding the demo shop.
    pub fn mark_demo(&mut self) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO settings (key, value) VALUES (?1, '1')
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [DEMO],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// The raw text of one setting, if set.
    pub(crate) fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.conn()
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))
    }

    fn parsed_setting<T: std::str::FromStr>(&self, key: &str) -> Result<Option<T>, StoreError> {
        Ok(self.setting(key)?.and_then(|v| v.trim().parse().ok()))
    }
}

/// Why settings were not saved.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A value is out of range; the message lists every problem.
    #[error("{0}")]
    Invalid(String),
    /// The database refused the write.
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.sqlite")).unwrap();
        (dir, store)
    }

    #[test]
    fn fresh_database_has_defaults() {
        let (_dir, store) = temp_store();
        assert_eq!(
            store.business_settings().unwrap(),
            BusinessSettings::default()
        );
    }

    #[test]
    fn saved_settings_round_trip() {
        let (_dir, mut store) = temp_store();
        let wanted = BusinessSettings {
            currency: Currency::EUR,
            margin_pct: 42.5,
            monthly_discount_pct: 0.8,
            horizon_months: 24,
            week_start: Weekday::Sun,
            time_zone: "America/Chicago".into(),
            shop_name: "Café Zoë".into(),
        };
        store.save_business_settings(&wanted).unwrap();
        assert_eq!(store.business_settings().unwrap(), wanted);
    }

    #[test]
    fn invalid_settings_are_refused_and_nothing_changes() {
        let (_dir, mut store) = temp_store();
        let bad = BusinessSettings {
            margin_pct: 150.0,
            ..BusinessSettings::default()
        };
        let err = store.save_business_settings(&bad).unwrap_err();
        assert!(err.to_string().contains("margin"), "{err}");
        assert_eq!(
            store.business_settings().unwrap(),
            BusinessSettings::default()
        );
    }

    #[test]
    fn unreadable_value_falls_back_to_default() {
        let (_dir, store) = temp_store();
        store
            .conn()
            .execute(
                "INSERT INTO settings (key, value) VALUES ('horizon_months', 'twelve')",
                [],
            )
            .unwrap();
        assert_eq!(store.business_settings().unwrap().horizon_months, 12);
    }
}
