//! Per-user preferences that survive restarts (theme, last view) and the list of views.
//!
//! Stored through eframe's storage (a small file in the OS config directory), not in the
//! database: two owners sharing one database file keep their own look. eframe persists
//! the window size and position itself.

use serde::{Deserialize, Serialize};

/// The eframe storage key the preferences are saved under.
pub const PREFS_KEY: &str = "clv-desk.prefs";

/// The views of the left navigation, in order (Ctrl+1 … Ctrl+8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum View {
    /// Headline numbers and what to do next.
    #[default]
    Dashboard,
    /// Bringing sales exports in.
    Import,
    /// The customer table and profiles.
    Customers,
    /// Charts of customer value.
    ValueCharts,
    /// Points, tiers and rewards.
    Loyalty,
    /// Referral codes and rewards.
    Referrals,
    /// The customer-care queue and disputes.
    Care,
    /// Business settings and appearance.
    Settings,
}

impl View {
    /// Every view in navigation order.
    pub const ALL: [View; 8] = [
        View::Dashboard,
        View::Import,
        View::Customers,
        View::ValueCharts,
        View::Loyalty,
        View::Referrals,
        View::Care,
        View::Settings,
    ];

    /// The navigation label.
    pub fn label(self) -> &'static str {
        match self {
            View::Dashboard => "Dashboard",
            View::Import => "Import",
            View::Customers => "Customers",
            View::ValueCharts => "Value charts",
            View::Loyalty => "Loyalty",
            View::Referrals => "Referrals",
            View::Care => "Care",
            View::Settings => "Settings",
        }
    }

    /// The heading at the top of the view (worded differently from the navigation label so
    /// the two are never confused, by people or by tests).
    pub fn heading(self) -> &'static str {
        match self {
            View::Dashboard => "Your business at a glance",
            View::Import => "Import orders",
            View::Customers => "Your customers",
            View::ValueCharts => "What your customers are worth",
            View::Loyalty => "Loyalty program",
            View::Referrals => "Referral program",
            View::Care => "Customer care",
            View::Settings => "Settings and appearance",
        }
    }

    /// The name used on the command line (`screenshot --view NAME`).
    pub fn slug(self) -> &'static str {
        match self {
            View::Dashboard => "dashboard",
            View::Import => "import",
            View::Customers => "customers",
            View::ValueCharts => "charts",
            View::Loyalty => "loyalty",
            View::Referrals => "referrals",
            View::Care => "care",
            View::Settings => "settings",
        }
    }

    /// Parses a command-line view name (case-insensitive; `value-charts` also accepted).
    pub fn from_slug(name: &str) -> Option<View> {
        let name = name.trim().to_ascii_lowercase();
        if name == "value-charts" || name == "value_charts" {
            return Some(View::ValueCharts);
        }
        View::ALL.into_iter().find(|v| v.slug() == name)
    }

    /// Position in the navigation, 1-based (the Ctrl+N shortcut).
    pub fn number(self) -> usize {
        View::ALL
            .iter()
            .position(|v| *v == self)
            .map_or(0, |i| i + 1)
    }
}

/// Light, dark, or whatever the operating system uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ThemeChoice {
    /// Follow the operating system.
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl ThemeChoice {
    /// The label in Settings.
    pub fn label(self) -> &'static str {
        match self {
            ThemeChoice::System => "Follow the system",
            ThemeChoice::Light => "Light",
            ThemeChoice::Dark => "Dark",
        }
    }
}

/// What is remembered per user between runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UiPrefs {
    /// Colour theme.
    pub theme: ThemeChoice,
    /// The view open when the app was closed.
    pub last_view: View,
    /// The folder the last import came from, where the import dialog starts.
    pub last_import_folder: Option<std::path::PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip_and_labels_differ_from_headings() {
        for view in View::ALL {
            assert_eq!(View::from_slug(view.slug()), Some(view));
            assert_ne!(view.label(), view.heading());
        }
        assert_eq!(View::from_slug("Value-Charts"), Some(View::ValueCharts));
        assert_eq!(View::from_slug("nonsense"), None);
        assert_eq!(View::Dashboard.number(), 1);
        assert_eq!(View::Settings.number(), 8);
    }

    #[test]
    fn prefs_survive_json_and_tolerate_missing_fields() {
        let prefs = UiPrefs {
            theme: ThemeChoice::Dark,
            last_view: View::Care,
            last_import_folder: Some("/home/owner/Downloads".into()),
        };
        let text = serde_json::to_string(&prefs).unwrap();
        assert_eq!(serde_json::from_str::<UiPrefs>(&text).unwrap(), prefs);
        let partial: UiPrefs = serde_json::from_str(r#"{"theme":"Light"}"#).unwrap();
        assert_eq!(partial.last_view, View::Dashboard);
        assert_eq!(partial.theme, ThemeChoice::Light);
    }
}
