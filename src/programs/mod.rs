//! The shop's programs that raise customer value — loyalty (points, tiers, rewards) and
//! referrals (codes, qualification, fraud checks, report) — as pure rules: no SQLite, no
//! egui. `store` feeds them the orders and persists what they derive; `app` and `ui` show
//! and edit them. Keeping the rules pure lets the same code run a real recompute and a
//! what-if replay, and lets them be tested on hand-built histories.

pub mod care;
pub mod loyalty;
pub mod referral;
