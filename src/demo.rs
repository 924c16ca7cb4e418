//! Demo data: a plausible small shop, generated from the CLV models, so an owner can try
//! every view before importing their own file (and so screenshots and tests have content).
//!
//! Customers come from [`crate::clv::simulate`]; this module dresses them as a coffee
//! roaster's web shop and café: names, `example.com` e-mail addresses (a reserved domain,
//! never a real person), products, a welcome coupon, some refunds and some guest sales.

use chrono::{Datelike as _, Duration, NaiveDate, NaiveTime, TimeZone as _, Utc};
use rand::SeedableRng as _;
use rand::rngs::Xoshiro256PlusPlus;
use rand::{Rng, RngExt as _};

use crate::clv::simulate::{PurchaseProcess, SimulatedCustomer, SpendProcess, simulate_customers};
use crate::domain::{Currency, CustomerIdentity, NewOrder, NewOrderLine};

/// The demo shop's purchase process (weeks): while active, an average customer buys about
/// twice a year (with many buying far less), and about a quarter drop out after any repeat
/// purchase — giving the 35–45% "came back" rate typical of a small shop.
pub const DEMO_PURCHASES: PurchaseProcess = PurchaseProcess {
    r: 0.3,
    alpha: 8.0,
    a: 0.7,
    b: 2.2,
    dropout: crate::clv::simulate::Dropout::AfterRepeatPurchases,
};

/// The demo shop's spend process: orders average about $42.
pub const DEMO_SPEND: SpendProcess = SpendProcess {
    p: 5.0,
    q: 4.0,
    gamma: 25.0,
};

/// Weeks of history in the demo: two and a half years up to `end_date`.
pub const DEMO_HISTORY_WEEKS: f64 = 130.0;

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct DemoOptions {
    /// Number of identified customers (guest sales come on top).
    pub customers: usize,
    /// Random seed; the same seed and end date give the same data.
    pub seed: u64,
    /// The last day of the history (usually today).
    pub end_date: NaiveDate,
    /// Currency of the shop.
    pub currency: Currency,
}

const FIRST_NAMES: &[&str] = &[
    "Emma", "Liam", "Olivia", "Noah", "Ava", "Lucas", "Mia", "Leo", "Sofia", "Jack", "Amelia",
    "Oscar", "Isla", "Hugo", "Chloe", "Theo", "Lena", "Samuel", "Nora", "Felix", "Grace", "Adam",
    "Zoe", "Elias", "Ruby", "Omar", "Hannah", "Mateo", "Clara", "Yusuf", "Alice", "Daniel", "Maya",
    "Jonas", "Ella", "Arjun", "Layla", "Tom", "Eva", "Kenji",
];
const LAST_NAMES: &[&str] = &[
    "Smith", "Jones", "Garcia", "Müller", "Rossi", "Martin", "Brown", "Novak", "Silva", "Kowalski",
    "Dubois", "Jensen", "Nguyen", "Kim", "Patel", "Wilson", "Moreau", "Costa", "Fischer", "Hansen",
    "Lopez", "Taylor", "Berg", "Ahmed", "Weber", "Clarke", "Romano", "Walker", "Sato", "Okafor",
];
/// (name, SKU, unit price in major units)
const PRODUCTS: &[(&str, &str, f64)] = &[
    ("House blend 250 g", "HB-250", 9.50),
    ("House blend 1 kg", "HB-1000", 32.00),
    ("Ethiopia Yirgacheffe 250 g", "ET-250", 13.00),
    ("Colombia Huila 250 g", "CO-250", 11.50),
    ("Decaf Swiss water 250 g", "DC-250", 10.50),
    ("Espresso roast 500 g", "ES-500", 18.00),
    ("Pour-over kit", "KIT-PO", 39.00),
    ("Ceramic mug", "MUG-01", 14.00),
    ("Gift card", "GIFT", 25.00),
    ("Subscription box (month)", "SUB-M", 28.00),
];

/// The demo orders, sorted by time: identified customers plus about 4% guest sales.
pub fn demo_orders(options: &DemoOptions) -> Vec<NewOrder> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(options.seed);
    let simulated = simulate_customers(
        DEMO_PURCHASES,
        DEMO_SPEND,
        options.customers,
        DEMO_HISTORY_WEEKS * 0.9,
        DEMO_HISTORY_WEEKS,
        &mut rng,
    )
    // The demo constants are valid; an empty shop is the only sane fallback.
    .unwrap_or_default();
    let start = options.end_date - Duration::days((DEMO_HISTORY_WEEKS * 7.0) as i64);
    let mut orders = Vec::new();
    for (index, customer) in simulated.iter().enumerate() {
        let who = demo_identity(index, &mut rng);
        push_customer_orders(&mut orders, index, customer, &who, start, options, &mut rng);
    }
    let guest_sales = options.customers / 25;
    for g in 0..guest_sales {
        let day = rng.random_range(0..(DEMO_HISTORY_WEEKS * 7.0) as i64);
        let value = rng.random_range(4.0..30.0);
        orders.push(demo_order(
            format!("G{:06}", g + 1),
            CustomerIdentity::default(),
            start + Duration::days(day),
            value,
            false,
            options.currency,
            &mut rng,
        ));
    }
    orders.sort_by_key(|o| o.placed_utc);
    orders
}

fn demo_identity(index: usize, rng: &mut impl Rng) -> CustomerIdentity {
    let first = FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())];
    let last = LAST_NAMES[rng.random_range(0..LAST_NAMES.len())];
    let ascii_last: String = last
        .chars()
        .map(|c| if c == 'ü' { 'u' } else { c })
        .collect::<String>()
        .to_lowercase();
    CustomerIdentity {
        email: Some(format!(
            "{}.{}{}@example.com",
            first.to_lowercase(),
            ascii_last,
            index + 1
        )),
        name: Some(format!("{first} {last}")),
        phone: Some(format!(
            "+1 555 01{:02} {:04}",
            index % 100,
            (index * 37) % 10_000
        )),
        marketing_consent: Some(rng.random_bool(0.7)),
        birthday: demo_birthday(rng),
        ..CustomerIdentity::default()
    }
}

/// About 60% of the demo customers told the shop their birthday; a third of those without
/// the year (`--MM-DD`), as loyalty sign-up forms often ask.
fn demo_birthday(rng: &mut impl Rng) -> Option<String> {
    if !rng.random_bool(0.6) {
        return None;
    }
    let month = rng.random_range(1..=12u32);
    let day = rng.random_range(1..=28u32);
    if rng.random_bool(1.0 / 3.0) {
        Some(format!("--{month:02}-{day:02}"))
    } else {
        let year = rng.random_range(1950..=2004);
        Some(format!("{year}-{month:02}-{day:02}"))
    }
}

fn push_customer_orders(
    orders: &mut Vec<NewOrder>,
    index: usize,
    customer: &SimulatedCustomer,
    who: &CustomerIdentity,
    start: NaiveDate,
    options: &DemoOptions,
    rng: &mut impl Rng,
) {
    for (n, (week, value)) in customer
        .purchase_weeks
        .iter()
        .zip(&customer.purchase_values)
        .enumerate()
    {
        let days = ((customer.first_purchase_week + week) * 7.0).floor() as i64;
        let day = start + Duration::days(days);
        if day > options.end_date {
            break;
        }
        orders.push(demo_order(
            format!("{}-{}", 1000 + index, n + 1),
            who.clone(),
            day,
            *value,
            n == 0,
            options.currency,
            rng,
        ));
    }
}

fn demo_order(
    external_id: String,
    who: CustomerIdentity,
    day: NaiveDate,
    value: f64,
    first_order: bool,
    currency: Currency,
    rng: &mut impl Rng,
) -> NewOrder {
    let lines = demo_lines(value.max(3.0), currency, rng);
    let gross_cents: i64 = lines.iter().map(|l| l.total_cents).sum();
    // A welcome coupon on some first orders, a summer sale on some later ones.
    let coupon = if first_order && !who.is_guest() && rng.random_bool(0.15) {
        Some(("WELCOME10", 10))
    } else if !first_order && (6..=8).contains(&day.month()) && rng.random_bool(0.2) {
        Some(("SUMMER15", 15))
    } else {
        None
    };
    let discount_cents = coupon.map_or(0, |(_, pct)| gross_cents * pct / 100);
    let refund_roll: f64 = rng.random();
    let refunded_cents = if refund_roll < 0.02 {
        gross_cents - discount_cents
    } else if refund_roll < 0.04 {
        lines
            .first()
            .map_or(0, |l| l.total_cents.min(gross_cents - discount_cents))
    } else {
        0
    };
    let time = NaiveTime::from_hms_opt(rng.random_range(8..20), rng.random_range(0..60), 0)
        .unwrap_or(NaiveTime::MIN);
    let placed_utc = Utc.from_utc_datetime(&day.and_time(time));
    let status = if refunded_cents == 0 {
        "paid"
    } else if refunded_cents >= gross_cents - discount_cents {
        "refunded"
    } else {
        "partially_refunded"
    };
    NewOrder {
        source: "demo".to_owned(),
        external_id,
        alt_external_id: None,
        customer: who,
        placed_utc,
        local_date: day,
        utc_offset_minutes: Some(0),
        currency,
        gross_cents,
        discount_cents,
        refunded_cents,
        refunded_utc: (refunded_cents > 0)
            .then(|| placed_utc + Duration::days(rng.random_range(2..20))),
        shipping_cents: 0,
        tax_cents: 0,
        coupon_code: coupon.map(|(code, _)| code.to_owned()),
        status: status.to_owned(),
        channel: Some(if rng.random_bool(0.6) { "web" } else { "pos" }.to_owned()),
        lines,
    }
}

/// Line items whose total is close to `value` (major units).
fn demo_lines(value: f64, currency: Currency, rng: &mut impl Rng) -> Vec<NewOrderLine> {
    let per_major = currency.minor_per_major() as f64;
    let mut lines = Vec::new();
    let mut remaining = value;
    while remaining > 2.0 && lines.len() < 4 {
        let (name, sku, price) = PRODUCTS[rng.random_range(0..PRODUCTS.len())];
        let quantity = (remaining / price).floor().clamp(1.0, 3.0);
        let unit_price_cents = (price * per_major).round() as i64;
        lines.push(NewOrderLine {
            sku: Some(sku.into()),
            name: name.into(),
            quantity,
            unit_price_cents,
            total_cents: unit_price_cents * quantity as i64,
        });
        remaining -= price * quantity;
    }
    lines
}

/// Small hand-made orders for other modules' tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use chrono::{TimeZone as _, Utc};

    use crate::domain::{Currency, CustomerIdentity, NewOrder};

    /// A one-line-free order in EUR on 1 March 2025 for `email`.
    pub(crate) fn order(id: &str, email: &str, cents: i64, status: &str) -> NewOrder {
        let customer = CustomerIdentity {
            email: Some(email.into()),
            ..CustomerIdentity::default()
        };
        let placed = Utc.with_ymd_and_hms(2025, 3, 1, 10, 0, 0).unwrap();
        let mut order = NewOrder::paid("test", id, customer, placed, Currency::EUR, cents);
        order.status = status.into();
        order
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(customers: usize, seed: u64) -> DemoOptions {
        DemoOptions {
            customers,
            seed,
            end_date: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            currency: Currency::USD,
        }
    }

    #[test]
    fn demo_is_reproducible_and_inside_its_window() {
        let a = demo_orders(&options(300, 42));
        let b = demo_orders(&options(300, 42));
        assert_eq!(a, b);
        let end = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert!(a.iter().all(|o| o.local_date <= end));
        assert!(a.windows(2).all(|w| w[0].placed_utc <= w[1].placed_utc));
        assert_ne!(a, demo_orders(&options(300, 43)));
    }

    #[test]
    fn demo_orders_are_consistent_money() {
        let orders = demo_orders(&options(500, 1));
        assert!(orders.len() > 500, "every customer has a first order");
        for o in &orders {
            assert_eq!(
                o.gross_cents,
                o.lines.iter().map(|l| l.total_cents).sum::<i64>()
            );
            assert!(o.net_cents() >= 0, "{o:?}");
            assert!(!o.lines.is_empty());
        }
        let guests = orders.iter().filter(|o| o.customer.is_guest()).count();
        assert_eq!(guests, 500 / 25);
        let repeaters = orders
            .iter()
            .filter(|o| o.external_id.ends_with("-2"))
            .count();
        assert!(repeaters > 50, "some customers come back: {repeaters}");
    }
}
