//! Plain types every layer shares: money, identifiers and the shape of a new order.
//!
//! Nothing here knows about SQLite or egui; `import` and `clv` produce and consume these
//! types, `store` persists them.

pub mod customer;
pub mod json;
pub mod money;
pub mod order;
pub mod settings;

pub use money::{
    Currency, EstimateFormat, Money, format_money, format_money_rounded, group_thousands,
    megabytes, plural, share_percent,
};
pub use order::{
    CustomerIdentity, NewOrder, NewOrderLine, Purchase, REFUND_STATUS, RefundOfOrder, name_key,
    normalise_name, phone_key,
};
pub use settings::BusinessSettings;

/// Row id of a customer in the database.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CustomerId(pub i64);

/// Row id of an order in the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderId(pub i64);

/// Row id of an import (one file, or one demo data set).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImportId(pub i64);
