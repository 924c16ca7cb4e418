//! A customer as the customers table, its CSV export and `clv-desk customers` show them:
//! the order history in a few figures and the current valuation's score.

/// A customer with their order history and current score, one row of `clv-desk customers`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CustomerValueRow {
    /// Row id.
    pub id: i64,
    /// The key the customer is recognised by (email, else platform id, username, phone, name).
    pub customer_key: String,
    /// Display name.
    pub name: String,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number as imported.
    pub phone: Option<String>,
    /// Orders (refund entries not counted).
    pub orders: u64,
    /// Day of the first order.
    pub first_order: Option<String>,
    /// Day of the latest order.
    pub last_order: Option<String>,
    /// Net revenue in minor units (after discounts and refunds).
    pub revenue_cents: i64,
    /// The current score, when the customer was valued.
    #[serde(flatten)]
    pub score: Option<ScoreColumns>,
    /// Loyalty points to spend, when the shop has a loyalty program.
    pub points: Option<i64>,
    /// Loyalty tier in force, when the customer is in one.
    pub tier: Option<String>,
}

/// The score part of a [`CustomerValueRow`].
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ScoreColumns {
    /// Repeat purchases.
    pub frequency: u32,
    /// Recency in the run's period.
    pub recency: f64,
    /// Age in the run's period.
    #[serde(rename = "T")]
    pub t: f64,
    /// Mean repeat purchase value in minor units.
    pub monetary_value_cents: f64,
    /// Probability still active.
    pub p_alive: Option<f64>,
    /// Expected purchases over the horizon.
    pub expected_purchases: Option<f64>,
    /// Lifetime value in minor units.
    pub predicted_clv_cents: f64,
    /// Low end of the 80% range.
    pub clv_low_cents: Option<f64>,
    /// High end of the 80% range.
    pub clv_high_cents: Option<f64>,
    /// RFM segment name.
    pub segment: Option<String>,
}
