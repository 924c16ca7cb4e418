//! Likely duplicate customers, for the owner to confirm and merge: the same person imported
//! twice under different keys (another e-mail spelling, another platform).
//!
//! One scan of the customers who are neither merged nor erased, grouped in hash maps by
//! three keys (no pairwise comparison, so 500,000 customers take well under a second):
//! * **e-mail**, ignoring capitals and surrounding spaces; for providers known to deliver
//!   them to the same mailbox, also ignoring dots in the local part (Gmail/Googlemail, whose
//!   two domains are one) and a `+tag` (Gmail, Outlook/Hotmail/Live, iCloud, Fastmail,
//!   Proton). Other providers treat dots and `+` as part of the address, so they count;
//! * **phone**: digits only, at least 7; two numbers match when their last 9 digits do (so a
//!   country code or a trunk `0` in front does not matter); numbers of 7 or 8 digits must
//!   match in full;
//! * **name and postcode**, both: the name with capitals and spacing ignored, the postcode
//!   with capitals, spaces and punctuation ignored. A name alone is too common.
//!
//! A value shared by more than [`MAX_GROUP`] customers (the shop's own phone typed in for
//! walk-in sales, a placeholder address) says nothing about who is who and is left out.
//! Customers found by several rules together are one suggestion with all the evidence.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::BuildHasher as _;

use rustc_hash::FxHashMap;

use rusqlite::Connection;

use crate::store::{Store, StoreError};

/// Customers sharing one value beyond this many are not suggested (a shared or placeholder
/// value, not one person).
pub const MAX_GROUP: usize = 10;

/// Customers who are probably one person, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DuplicateSuggestion {
    /// Two or more customers, by id ascending.
    pub customers: Vec<SuggestedCustomer>,
    /// Each rule that matched, in plain words ("same e-mail jane.doe@gmail.com and
    /// janedoe@gmail.com (Gmail ignores dots)").
    pub evidence: Vec<String>,
}

impl DuplicateSuggestion {
    /// The evidence as one sentence.
    pub fn evidence_text(&self) -> String {
        self.evidence.join("; ")
    }

    /// The customers' ids, ascending.
    pub fn ids(&self) -> Vec<i64> {
        self.customers.iter().map(|c| c.id).collect()
    }
}

/// One customer of a [`DuplicateSuggestion`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SuggestedCustomer {
    /// Row id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// E-mail address, when known.
    pub email: Option<String>,
}

impl Store {
    /// Likely duplicates among customers who are neither merged nor erased (the rules are in
    /// the module documentation), ordered by their lowest customer id.
    pub fn duplicate_suggestions(&self) -> Result<Vec<DuplicateSuggestion>, StoreError> {
        let rows = load_candidates(self.conn()).map_err(|e| self.err(e))?;
        Ok(suggest(&rows))
    }
}

/// A customer as the rules read them.
struct Candidate {
    id: i64,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    postcode: Option<String>,
}

fn load_candidates(conn: &Connection) -> rusqlite::Result<Vec<Candidate>> {
    let mut stmt = conn.prepare(
        "SELECT id, display_name, email, phone, postcode FROM customers
         WHERE merged_into IS NULL AND erased_utc IS NULL ORDER BY id",
    )?;
    stmt.query_map([], |r| {
        Ok(Candidate {
            id: r.get(0)?,
            name: r.get(1)?,
            email: r.get(2)?,
            phone: r.get(3)?,
            postcode: r.get(4)?,
        })
    })?
    .collect()
}

/// One rule: the key a customer is grouped by, and the evidence for a group in words.
struct Rule {
    key: fn(&Candidate) -> Option<String>,
    evidence: fn(&[&Candidate]) -> String,
}

const RULES: [Rule; 3] = [
    Rule {
        key: email_key,
        evidence: email_evidence,
    },
    Rule {
        key: |row| row.phone.as_deref().and_then(phone_key),
        evidence: phone_evidence,
    },
    Rule {
        key: name_postcode_key,
        evidence: name_evidence,
    },
];

/// Customers by the hash of one rule's key, kept small for 500,000 customers: a map from
/// hash to the first customer with it, and lists only for hashes seen again. The lists are
/// checked against the exact keys afterwards, so a hash collision never suggests anyone.
#[derive(Default)]
struct KeyIndex {
    first: FxHashMap<u64, u32>,
    repeats: FxHashMap<u64, Vec<u32>>,
}

impl KeyIndex {
    fn add(&mut self, key: &str, index: u32) {
        let hash = rustc_hash::FxBuildHasher.hash_one(key);
        match self.first.entry(hash) {
            Entry::Vacant(slot) => {
                slot.insert(index);
            }
            Entry::Occupied(first) => self
                .repeats
                .entry(hash)
                .or_insert_with(|| vec![*first.get()])
                .push(index),
        }
    }
}

/// The customers of a hash group split by their exact key, in index order.
fn exact_groups(rows: &[Candidate], members: Vec<u32>, rule: &Rule) -> Vec<Vec<u32>> {
    let mut by_key: Vec<(String, Vec<u32>)> = Vec::new();
    for index in members {
        let Some(key) = (rule.key)(&rows[index as usize]) else {
            continue;
        };
        match by_key.iter_mut().find(|(k, _)| *k == key) {
            Some((_, group)) => group.push(index),
            None => by_key.push((key, vec![index])),
        }
    }
    by_key.into_iter().map(|(_, group)| group).collect()
}

/// The rules applied to `rows` (ordered by id).
fn suggest(rows: &[Candidate]) -> Vec<DuplicateSuggestion> {
    let mut found: HashMap<Vec<u32>, Vec<String>> = HashMap::new();
    for rule in &RULES {
        let mut index = KeyIndex::default();
        index.first.reserve(rows.len());
        for (at, row) in rows.iter().enumerate() {
            if let Some(key) = (rule.key)(row) {
                index.add(&key, at as u32);
            }
        }
        drop(index.first);
        for members in index.repeats.into_values() {
            for group in exact_groups(rows, members, rule) {
                if group.len() < 2 || group.len() > MAX_GROUP {
                    continue;
                }
                let people: Vec<&Candidate> = group.iter().map(|&i| &rows[i as usize]).collect();
                found
                    .entry(group)
                    .or_default()
                    .push((rule.evidence)(&people));
            }
        }
    }
    let mut suggestions: Vec<DuplicateSuggestion> = found
        .into_iter()
        .map(|(members, evidence)| DuplicateSuggestion {
            customers: members
                .iter()
                .map(|&i| {
                    let row = &rows[i as usize];
                    SuggestedCustomer {
                        id: row.id,
                        name: row.name.clone(),
                        email: row.email.clone(),
                    }
                })
                .collect(),
            evidence,
        })
        .collect();
    suggestions.sort_by_key(|s| s.ids());
    suggestions
}

/// [`canonical_email`] of an address that has an `@`.
fn email_key(row: &Candidate) -> Option<String> {
    row.email
        .as_deref()
        .filter(|e| e.contains('@'))
        .map(canonical_email)
}

/// How a provider treats the local part of its addresses.
struct Provider {
    /// Its name in the evidence.
    name: &'static str,
    /// The domain its addresses are compared under.
    domain: &'static str,
    /// Dots in the local part are ignored.
    ignores_dots: bool,
}

/// Providers documented to deliver `local+tag@` to `local@` (and, for Gmail, to ignore dots).
fn provider(domain: &str) -> Option<Provider> {
    let (name, canonical, ignores_dots) = match domain {
        "gmail.com" | "googlemail.com" => ("Gmail", "gmail.com", true),
        "outlook.com" => ("Outlook", "outlook.com", false),
        "hotmail.com" => ("Hotmail", "hotmail.com", false),
        "live.com" => ("Outlook", "live.com", false),
        "icloud.com" => ("iCloud", "icloud.com", false),
        "me.com" => ("iCloud", "me.com", false),
        "fastmail.com" => ("Fastmail", "fastmail.com", false),
        "protonmail.com" => ("Proton", "protonmail.com", false),
        "proton.me" => ("Proton", "proton.me", false),
        "pm.me" => ("Proton", "pm.me", false),
        _ => return None,
    };
    Some(Provider {
        name,
        domain: canonical,
        ignores_dots,
    })
}

/// The address as its mailbox: lower-case and trimmed; for the providers above, the `+tag`
/// dropped and (Gmail) dots removed, Googlemail written as Gmail.
pub fn canonical_email(email: &str) -> String {
    let lower = email.trim().to_lowercase();
    let Some((local, domain)) = lower.rsplit_once('@') else {
        return lower;
    };
    let Some(provider) = provider(domain) else {
        return lower;
    };
    let mut mailbox = local.split('+').next().unwrap_or(local).to_owned();
    if provider.ignores_dots {
        mailbox.retain(|c| c != '.');
    }
    if mailbox.is_empty() {
        return lower;
    }
    format!("{mailbox}@{}", provider.domain)
}

pub use crate::domain::phone_key;

/// Normalised name and postcode, both present; `None` for a name that is only an e-mail
/// (imports show the e-mail when there is no name).
fn name_postcode_key(row: &Candidate) -> Option<String> {
    let postcode = row.postcode.as_deref()?;
    if row.name.contains('@') || !postcode.chars().any(char::is_alphanumeric) {
        return None;
    }
    // `domain::normalise_name`, then a separator and the postcode, written into one string.
    let mut key = String::with_capacity(row.name.len() + postcode.len() + 1);
    for word in row.name.split_whitespace() {
        if !key.is_empty() {
            key.push(' ');
        }
        key.extend(word.chars().flat_map(char::to_lowercase));
    }
    if key.is_empty() {
        return None;
    }
    key.push('\u{1f}');
    key.extend(
        postcode
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_uppercase),
    );
    Some(key)
}

/// "a", "a and b", "a, b and c".
pub(super) fn in_words(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The distinct values, in order of first appearance.
fn distinct(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for value in values {
        if !out.contains(&value) {
            out.push(value);
        }
    }
    out
}

fn email_evidence(people: &[&Candidate]) -> String {
    let addresses = distinct(
        people
            .iter()
            .filter_map(|p| p.email.as_deref())
            .map(|e| e.trim().to_lowercase()),
    );
    let [first, ..] = addresses.as_slice() else {
        return "same e-mail".to_owned();
    };
    if addresses.len() == 1 {
        return format!("same e-mail {first}");
    }
    let why = first
        .rsplit_once('@')
        .and_then(|(_, domain)| provider(domain))
        .map_or_else(String::new, |p| {
            let dots = addresses
                .iter()
                .any(|a| a.split('@').next().is_some_and(|l| l.contains('.')));
            let plus = addresses
                .iter()
                .any(|a| a.split('@').next().is_some_and(|l| l.contains('+')));
            let googlemail = addresses.iter().any(|a| a.ends_with("@googlemail.com"));
            let mut rules = Vec::new();
            if p.ignores_dots && dots {
                rules.push("dots".to_owned());
            }
            if plus {
                rules.push("anything after +".to_owned());
            }
            let mut parts = Vec::new();
            if !rules.is_empty() {
                parts.push(format!("{} ignores {}", p.name, in_words(&rules)));
            }
            if googlemail {
                parts.push("googlemail.com is gmail.com".to_owned());
            }
            if parts.is_empty() {
                String::new()
            } else {
                format!(" ({})", parts.join("; "))
            }
        });
    format!("same e-mail {}{why}", in_words(&addresses))
}

fn phone_evidence(people: &[&Candidate]) -> String {
    let numbers = distinct(
        people
            .iter()
            .filter_map(|p| p.phone.as_deref())
            .map(|p| p.trim().to_owned()),
    );
    let key = numbers
        .first()
        .and_then(|n| phone_key(n))
        .unwrap_or_default();
    if numbers.len() == 1 {
        return format!("same phone number {}", numbers[0]);
    }
    format!(
        "same phone number {} (the same last {} digits, {key})",
        in_words(&numbers),
        key.len()
    )
}

fn name_evidence(people: &[&Candidate]) -> String {
    let name = people.first().map_or_else(String::new, |p| {
        p.name.split_whitespace().collect::<Vec<_>>().join(" ")
    });
    let postcode = people
        .first()
        .and_then(|p| p.postcode.as_deref())
        .unwrap_or("")
        .trim();
    format!("same name {name} and postcode {postcode}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(
        id: i64,
        name: &str,
        email: Option<&str>,
        phone: Option<&str>,
        postcode: Option<&str>,
    ) -> Candidate {
        Candidate {
            id,
            name: name.to_owned(),
            email: email.map(str::to_owned),
            phone: phone.map(str::to_owned),
            postcode: postcode.map(str::to_owned),
        }
    }

    #[test]
    fn providers_decide_what_an_address_ignores() {
        assert_eq!(
            canonical_email(" Jane.Doe+shop@GoogleMail.com"),
            "janedoe@gmail.com"
        );
        assert_eq!(
            canonical_email("jane.doe+x@outlook.com"),
            "jane.doe@outlook.com"
        );
        assert_eq!(
            canonical_email("jane.doe+x@example.com"),
            "jane.doe+x@example.com"
        );
        assert_eq!(canonical_email("+x@gmail.com"), "+x@gmail.com");
        assert_eq!(canonical_email("not-an-address"), "not-an-address");
    }

    #[test]
    fn phones_match_on_their_last_nine_digits() {
        assert_eq!(phone_key("+44 7700 900123"), phone_key("07700 900123"));
        assert_eq!(phone_key("123456"), None);
        assert_eq!(phone_key("555-1234").as_deref(), Some("5551234"));
        assert_ne!(phone_key("555-1234"), phone_key("1 555-1234"));
    }

    #[test]
    fn evidence_names_the_rule() {
        let rows = [
            candidate(1, "Jane", Some("jane.doe@gmail.com"), None, None),
            candidate(2, "J D", Some("janedoe@gmail.com"), None, None),
        ];
        let found = suggest(&rows);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].evidence_text(),
            "same e-mail jane.doe@gmail.com and janedoe@gmail.com (Gmail ignores dots)"
        );
        let rows = [
            candidate(1, "Jane", Some("jane+a@fastmail.com"), None, None),
            candidate(2, "J D", Some("Jane@fastmail.com"), None, None),
        ];
        assert_eq!(
            suggest(&rows)[0].evidence_text(),
            "same e-mail jane+a@fastmail.com and jane@fastmail.com (Fastmail ignores anything after +)"
        );
    }

    #[test]
    fn a_value_many_customers_share_is_no_evidence() {
        let rows: Vec<Candidate> = (0..=MAX_GROUP as i64)
            .map(|i| candidate(i, &format!("P{i}"), None, Some("0123 456789"), None))
            .collect();
        assert!(suggest(&rows).is_empty());
    }
}
