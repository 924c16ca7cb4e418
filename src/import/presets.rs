//! What each platform's export looks like: how to recognise it from its header, which
//! column holds which field, and the platform's own rules for rows (PayPal's payment types,
//! Stripe's failed charges, Online Retail's postage codes and `C…` cancellations, …).
//!
//! Facts from `../shared/formats.md`. Columns are found by name, never by position.

use std::borrow::Cow;

use super::fields::{ColumnMapping, Field, FieldColumns, Header, generic_aliases};
use super::read::{RawRow, TextEncoding};

/// A platform preset, as named on the command line (`--preset`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PresetId {
    /// Shopify `orders_export.csv`.
    Shopify,
    /// Square items CSV.
    Square,
    /// Stripe unified payments.
    Stripe,
    /// PayPal activity download.
    Paypal,
    /// Etsy `EtsySoldOrders`.
    Etsy,
    /// WooCommerce (order-export plugins, Analytics download).
    Woocommerce,
    /// Amazon order reports.
    Amazon,
    /// eBay orders report.
    Ebay,
    /// QuickBooks "Sales by Customer Detail".
    Quickbooks,
    /// UCI Online Retail (I and II).
    OnlineRetail,
    /// CDNOW transaction log.
    Cdnow,
    /// Anything else, mapped by the owner.
    Generic,
}

impl PresetId {
    /// Every preset.
    pub const ALL: [PresetId; 12] = [
        PresetId::Shopify,
        PresetId::Square,
        PresetId::Stripe,
        PresetId::Paypal,
        PresetId::Etsy,
        PresetId::Woocommerce,
        PresetId::Amazon,
        PresetId::Ebay,
        PresetId::Quickbooks,
        PresetId::OnlineRetail,
        PresetId::Cdnow,
        PresetId::Generic,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            PresetId::Shopify => "shopify",
            PresetId::Square => "square",
            PresetId::Stripe => "stripe",
            PresetId::Paypal => "paypal",
            PresetId::Etsy => "etsy",
            PresetId::Woocommerce => "woocommerce",
            PresetId::Amazon => "amazon",
            PresetId::Ebay => "ebay",
            PresetId::Quickbooks => "quickbooks",
            PresetId::OnlineRetail => "online-retail",
            PresetId::Cdnow => "cdnow",
            PresetId::Generic => "generic",
        }
    }

    /// Parses a command-line name.
    pub fn from_name(name: &str) -> Option<PresetId> {
        let name = name.trim().to_ascii_lowercase().replace('_', "-");
        PresetId::ALL.into_iter().find(|p| p.name() == name)
    }

    /// What the owner sees.
    pub fn label(self) -> &'static str {
        match self {
            PresetId::Shopify => "Shopify orders export",
            PresetId::Square => "Square items export",
            PresetId::Stripe => "Stripe payments export",
            PresetId::Paypal => "PayPal activity download",
            PresetId::Etsy => "Etsy sold orders",
            PresetId::Woocommerce => "WooCommerce orders",
            PresetId::Amazon => "Amazon order report",
            PresetId::Ebay => "eBay orders report",
            PresetId::Quickbooks => "QuickBooks sales by customer",
            PresetId::OnlineRetail => "Online Retail data set",
            PresetId::Cdnow => "CDNOW transaction log",
            PresetId::Generic => "Spreadsheet (columns chosen by you)",
        }
    }
}

/// Whether discount, shipping and tax columns hold one value per order (on its first row)
/// or one per line to be summed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extras {
    /// Given once per order.
    PerOrder,
    /// Given per line; summed, and shipping and tax add to the amount paid.
    PerLine,
}

/// One recognisable file shape of a platform.
#[derive(Debug)]
pub struct Shape {
    /// The platform.
    pub id: PresetId,
    /// Which variant, for the preview (e.g. "Analytics download").
    pub variant: &'static str,
    /// Normalised header names that must all be present.
    pub signature: &'static [&'static str],
    /// Field → candidate header names, in preference order.
    pub columns: &'static [(Field, &'static [&'static str])],
    /// How discount/shipping/tax columns are given.
    pub extras: Extras,
    /// Whether a name alone identifies a customer (platforms without e-mail or ids), or
    /// such an order is a guest's (Shopify cash-on-delivery, Stripe, PayPal, …).
    pub name_is_key: bool,
    /// Whether one cell lists several products separated by commas (WooCommerce Analytics).
    pub product_list: bool,
    /// Currency when the file names none.
    pub note: &'static str,
}

const SHOPIFY: Shape = Shape {
    id: PresetId::Shopify,
    variant: "",
    signature: &["name", "email", "financial status", "lineitem name"],
    columns: &[
        (Field::OrderId, &["name"]),
        (Field::Date, &["created at", "paid at"]),
        (Field::Email, &["email"]),
        (Field::Name, &["billing name", "shipping name"]),
        (Field::Phone, &["billing phone", "phone", "shipping phone"]),
        (Field::Postcode, &["billing zip", "shipping zip"]),
        (Field::Consent, &["accepts marketing"]),
        (Field::Total, &["total"]),
        (Field::Refunded, &["refunded amount"]),
        (Field::Discount, &["discount amount"]),
        (Field::Coupon, &["discount code"]),
        (Field::Shipping, &["shipping"]),
        (Field::Tax, &["taxes"]),
        (Field::Status, &["financial status"]),
        (Field::Currency, &["currency"]),
        (Field::Quantity, &["lineitem quantity"]),
        (Field::UnitPrice, &["lineitem price"]),
        (Field::Product, &["lineitem name"]),
        (Field::Sku, &["lineitem sku"]),
        (Field::Channel, &["source"]),
    ],
    extras: Extras::PerOrder,
    name_is_key: false,
    product_list: false,
    note: "Order totals, status and refunds come from each order's first row.",
};

const SQUARE: Shape = Shape {
    id: PresetId::Square,
    variant: "",
    signature: &["transaction id", "event type", "net sales"],
    columns: &[
        (Field::OrderId, &["transaction id"]),
        (Field::AltOrderId, &["payment id"]),
        (Field::Date, &["date"]),
        (Field::Time, &["time"]),
        (Field::TimeZone, &["time zone"]),
        (Field::CustomerId, &["customer id"]),
        (Field::Name, &["customer name"]),
        (Field::LineTotal, &["net sales"]),
        (Field::Tax, &["tax"]),
        (Field::Discount, &["discounts"]),
        (Field::Quantity, &["qty"]),
        (Field::Product, &["item"]),
        (Field::Sku, &["sku"]),
        (Field::Kind, &["event type"]),
        (Field::Channel, &["channel"]),
    ],
    extras: Extras::PerLine,
    name_is_key: false,
    product_list: false,
    note: "Rows are grouped into sales by Transaction ID; refunds reduce the sale they belong to.",
};

const STRIPE: Shape = Shape {
    id: PresetId::Stripe,
    variant: "",
    signature: &["id", "amount", "amount refunded", "captured"],
    columns: &[
        (Field::OrderId, &["id"]),
        (
            Field::Date,
            &["created date (utc)", "created (utc)", "created"],
        ),
        // The converted columns hold every charge in the account's own currency (a charge
        // in euros on a dollar account too); without them, other currencies are skipped.
        (Field::Total, &["converted amount", "amount"]),
        (
            Field::Refunded,
            &["converted amount refunded", "amount refunded"],
        ),
        (Field::Currency, &["converted currency", "currency"]),
        (Field::Status, &["status"]),
        (Field::Captured, &["captured"]),
        (Field::CustomerId, &["customer id"]),
        (Field::Email, &["customer email"]),
        (Field::Name, &["customer description", "card name"]),
    ],
    extras: Extras::PerOrder,
    name_is_key: false,
    product_list: false,
    note: "Failed and uncaptured charges are skipped; times are UTC.",
};

const PAYPAL: Shape = Shape {
    id: PresetId::Paypal,
    variant: "",
    signature: &["date", "type", "status", "gross", "transaction id"],
    columns: &[
        (Field::OrderId, &["transaction id"]),
        (Field::Reference, &["reference txn id"]),
        (Field::Date, &["date"]),
        (Field::Time, &["time"]),
        (Field::TimeZone, &["timezone", "time zone"]),
        (Field::Name, &["name"]),
        (Field::Kind, &["type"]),
        (Field::Status, &["status"]),
        (Field::Currency, &["currency"]),
        (Field::Total, &["gross"]),
        (Field::Email, &["from email address"]),
        (Field::RecipientEmail, &["to email address"]),
        (Field::BalanceImpact, &["balance impact"]),
        (Field::Product, &["item title"]),
        (Field::Phone, &["contact phone number"]),
    ],
    extras: Extras::PerOrder,
    name_is_key: false,
    product_list: false,
    note: "Only completed payments received are sales; refunds reduce the payment they refer to.",
};

const ETSY: Shape = Shape {
    id: PresetId::Etsy,
    variant: "",
    signature: &["sale date", "order id", "order total"],
    columns: &[
        (Field::OrderId, &["order id"]),
        (Field::Date, &["sale date"]),
        (Field::Username, &["buyer user id", "buyer"]),
        (Field::Name, &["full name"]),
        (Field::FirstName, &["first name"]),
        (Field::LastName, &["last name"]),
        (Field::Currency, &["currency"]),
        (Field::Total, &["order total"]),
        (Field::AdjustedTotal, &["adjusted order total"]),
        (Field::Discount, &["discount amount"]),
        (Field::Coupon, &["coupon code"]),
        (Field::Shipping, &["shipping"]),
        (Field::Tax, &["sales tax"]),
        (Field::Status, &["status"]),
    ],
    extras: Extras::PerOrder,
    name_is_key: true,
    product_list: false,
    note: "Etsy gives no e-mail: buyers are recognised by their Etsy user id.",
};

const WOO_PLUGIN: Shape = Shape {
    id: PresetId::Woocommerce,
    variant: "order export plugin",
    signature: &["order number", "order status", "order date"],
    columns: &[
        (Field::OrderId, &["order number", "order id"]),
        (Field::Status, &["order status"]),
        (Field::Date, &["order date"]),
        (
            Field::Email,
            &["email (billing)", "billing email", "customer email"],
        ),
        (
            Field::FirstName,
            &["first name (billing)", "billing first name"],
        ),
        (
            Field::LastName,
            &["last name (billing)", "billing last name"],
        ),
        (Field::Phone, &["phone (billing)", "billing phone"]),
        (Field::Postcode, &["postcode (billing)", "billing postcode"]),
        (Field::CustomerId, &["customer user id", "customer id"]),
        (Field::Total, &["order total amount", "order total"]),
        (
            Field::Refunded,
            &[
                "order refund amount",
                "order total amount refunded",
                "refund amount",
                "order refunded",
            ],
        ),
        (
            Field::Discount,
            &[
                "cart discount amount",
                "order discount amount",
                "discount amount",
            ],
        ),
        (
            Field::Shipping,
            &["order shipping amount", "shipping amount"],
        ),
        (Field::Tax, &["order total tax amount", "tax amount"]),
        (Field::Coupon, &["coupon code", "coupons"]),
        (Field::Currency, &["order currency", "currency"]),
        (Field::Quantity, &["quantity"]),
        (Field::UnitPrice, &["item cost"]),
        (Field::Product, &["item name", "product name"]),
        (Field::Sku, &["sku"]),
    ],
    extras: Extras::PerOrder,
    name_is_key: true,
    product_list: false,
    note: "",
};

const WOO_WEBTOFFEE: Shape = Shape {
    id: PresetId::Woocommerce,
    variant: "WebToffee export",
    signature: &["order id", "order number", "order date", "order total"],
    columns: &[
        (Field::OrderId, &["order number", "order id"]),
        (Field::Date, &["order date", "paid date"]),
        (Field::Status, &["status"]),
        (Field::Total, &["order total"]),
        (
            Field::Refunded,
            &["order refund", "refund total", "order refunded"],
        ),
        (Field::Discount, &["discount total", "cart discount"]),
        (Field::Shipping, &["shipping total", "order shipping"]),
        (Field::Tax, &["tax total", "order tax"]),
        (Field::Currency, &["order currency"]),
        (Field::CustomerId, &["customer id", "customer user"]),
        (Field::Email, &["customer email", "billing email"]),
        (Field::FirstName, &["billing first name"]),
        (Field::LastName, &["billing last name"]),
        (Field::Phone, &["billing phone"]),
        (Field::Postcode, &["billing postcode"]),
        (Field::Coupon, &["coupon items", "coupons"]),
    ],
    extras: Extras::PerOrder,
    name_is_key: true,
    product_list: false,
    note: "",
};

const WOO_ANALYTICS: Shape = Shape {
    id: PresetId::Woocommerce,
    variant: "Analytics download",
    signature: &["order #", "net sales", "customer type"],
    columns: &[
        (Field::OrderId, &["order #"]),
        (Field::Date, &["date"]),
        (Field::Status, &["status"]),
        (Field::Name, &["customer"]),
        (Field::Product, &["product(s)"]),
        (Field::Quantity, &["items sold"]),
        (Field::Coupon, &["coupon(s)"]),
        (Field::LineTotal, &["net sales"]),
    ],
    extras: Extras::PerOrder,
    name_is_key: true,
    product_list: true,
    note: "The Analytics download has names but no e-mail addresses.",
};

const AMAZON: Shape = Shape {
    id: PresetId::Amazon,
    variant: "",
    signature: &["amazon-order-id", "purchase-date"],
    columns: &[
        (Field::OrderId, &["amazon-order-id"]),
        (Field::Date, &["purchase-date"]),
        (Field::Status, &["order-status"]),
        (Field::Quantity, &["quantity", "quantity-purchased"]),
        (Field::Currency, &["currency"]),
        (Field::LineTotal, &["item-price"]),
        (Field::Shipping, &["shipping-price"]),
        (Field::Tax, &["item-tax"]),
        (Field::Email, &["buyer-email"]),
        (Field::Name, &["buyer-name"]),
        (Field::Phone, &["buyer-phone-number"]),
        (Field::Product, &["product-name"]),
        (Field::Sku, &["sku"]),
        (Field::Channel, &["sales-channel"]),
    ],
    extras: Extras::PerLine,
    name_is_key: false,
    product_list: false,
    note: "",
};

/// Amazon's seller-fulfilled "Order Report" (the one with buyer e-mails): `order-id`, not
/// `amazon-order-id`.
const AMAZON_ORDER_REPORT: Shape = Shape {
    id: PresetId::Amazon,
    variant: "Order report",
    signature: &["order-id", "purchase-date", "buyer-email"],
    columns: &[
        (Field::OrderId, &["order-id"]),
        (Field::Date, &["purchase-date"]),
        (Field::Quantity, &["quantity-purchased", "quantity"]),
        (Field::Currency, &["currency"]),
        (Field::LineTotal, &["item-price"]),
        (Field::Shipping, &["shipping-price"]),
        (Field::Tax, &["item-tax"]),
        (Field::Email, &["buyer-email"]),
        (Field::Name, &["buyer-name"]),
        (Field::Phone, &["buyer-phone-number"]),
        (Field::Product, &["product-name"]),
        (Field::Sku, &["sku"]),
        (Field::Channel, &["sales-channel"]),
    ],
    extras: Extras::PerLine,
    name_is_key: false,
    product_list: false,
    note: "",
};

const EBAY: Shape = Shape {
    id: PresetId::Ebay,
    variant: "",
    signature: &["sales record number", "item number", "sale date"],
    columns: &[
        (Field::OrderId, &["sales record number", "order number"]),
        (Field::Username, &["user id", "buyer username"]),
        (Field::Name, &["buyer fullname", "buyer name"]),
        (Field::Phone, &["buyer phone number"]),
        (Field::Email, &["buyer email"]),
        (Field::Postcode, &["buyer zip", "buyer postcode"]),
        (Field::ItemNumber, &["item number"]),
        (Field::Product, &["item title"]),
        (Field::Sku, &["custom label"]),
        (Field::Quantity, &["quantity"]),
        (Field::UnitPrice, &["sale price", "sold for"]),
        (Field::Total, &["total price"]),
        (Field::Date, &["sale date"]),
    ],
    extras: Extras::PerOrder,
    name_is_key: true,
    product_list: false,
    note: "eBay reports no refunds; multi-item orders are a summary row plus item rows.",
};

const QUICKBOOKS: Shape = Shape {
    id: PresetId::Quickbooks,
    variant: "",
    signature: &["date", "transaction type", "num", "amount"],
    columns: &[
        (Field::Date, &["date"]),
        (Field::Kind, &["transaction type"]),
        (Field::OrderId, &["num"]),
        (Field::Product, &["product/service"]),
        (Field::Quantity, &["qty"]),
        (Field::UnitPrice, &["sales price"]),
        (Field::LineTotal, &["amount"]),
    ],
    extras: Extras::PerOrder,
    name_is_key: true,
    product_list: false,
    note: "Customers come from the group rows above their transactions.",
};

const ONLINE_RETAIL: Shape = Shape {
    id: PresetId::OnlineRetail,
    variant: "",
    signature: &["stockcode", "description", "quantity", "country"],
    columns: &[
        (Field::OrderId, &["invoiceno", "invoice"]),
        (Field::Sku, &["stockcode"]),
        (Field::Product, &["description"]),
        (Field::Quantity, &["quantity"]),
        (Field::Date, &["invoicedate"]),
        (Field::UnitPrice, &["unitprice", "price"]),
        (Field::CustomerId, &["customerid", "customer id"]),
    ],
    extras: Extras::PerLine,
    name_is_key: false,
    product_list: false,
    note: "Invoices starting with C are cancellations; postage and fee codes are skipped.",
};

/// Every known shape, most specific first (detection takes the first full match).
pub const SHAPES: &[&Shape] = &[
    &SHOPIFY,
    &SQUARE,
    &STRIPE,
    &PAYPAL,
    &ETSY,
    &WOO_WEBTOFFEE,
    &WOO_PLUGIN,
    &WOO_ANALYTICS,
    &AMAZON,
    &AMAZON_ORDER_REPORT,
    &EBAY,
    &QUICKBOOKS,
    &ONLINE_RETAIL,
];

/// The platform shape this header belongs to, if any.
pub fn detect(header: &Header) -> Option<&'static Shape> {
    SHAPES.iter().copied().find(|s| header.has_all(s.signature))
}

/// Whether a row (as text cells) is the header of a known platform.
pub fn is_known_header(cells: &[String]) -> bool {
    detect(&Header::new(cells)).is_some()
}

/// The shape of `preset` that fits `header` best (its full signature, else the one with
/// most signature columns present).
pub fn shape_for(preset: PresetId, header: &Header) -> Option<&'static Shape> {
    let shapes = SHAPES.iter().copied().filter(|s| s.id == preset);
    shapes.max_by_key(|s| {
        let present = s.signature.iter().filter(|n| header.has_all(&[n])).count();
        (header.has_all(s.signature), present)
    })
}

/// Each field of `shape` bound to the first of its names the header has.
pub fn bind(shape: &Shape, header: &Header) -> ColumnMapping {
    let mut mapping = ColumnMapping::default();
    for (field, names) in shape.columns {
        if let Some(column) = header.find(names) {
            mapping.set(*field, Some(column));
        }
    }
    mapping
}

/// The generic mapping fields a platform shape did not name, guessed from common names.
pub fn fill_generic(mapping: &mut ColumnMapping, header: &Header, fields: &[Field]) {
    for field in fields {
        if mapping.get(*field).is_none()
            && let Some(c) = header.find(generic_aliases(*field))
            && !mapping.columns.values().any(|v| *v == c)
        {
            mapping.set(*field, Some(c));
        }
    }
}

/// Why a row is not imported. The text is what the report shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipReason {
    /// Pending, authorised, voided, failed, cancelled, …
    NotPaid,
    /// Stripe failed or uncaptured charges.
    FailedCharge,
    /// No order id where one is required.
    NoOrderId,
    /// Withdrawals, holds, fees, transfers, memos.
    NotASale,
    /// Postage, bank charges, marketplace fees as stock codes.
    PostageOrFee,
    /// The date cannot be read.
    UnreadableDate,
    /// The amount cannot be read.
    UnreadableAmount,
    /// A currency other than the file's.
    OtherCurrency,
}

impl SkipReason {
    /// The reason as the report and `--json` name it.
    pub fn text(self) -> &'static str {
        match self {
            SkipReason::NotPaid => "not paid",
            SkipReason::FailedCharge => "failed or uncaptured charge",
            SkipReason::NoOrderId => "no order id",
            SkipReason::NotASale => "not a sale",
            SkipReason::PostageOrFee => "postage or fee line",
            SkipReason::UnreadableDate => "unreadable date",
            SkipReason::UnreadableAmount => "unreadable amount",
            SkipReason::OtherCurrency => "other currency",
        }
    }
}

/// What a row is, by the platform's rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowClass {
    /// Part of a sale.
    Sale,
    /// A refund of the order with this id (or this alternative id).
    Refund {
        /// The order it refunds.
        order: String,
        /// Another id the order may be known by.
        alt: Option<String>,
    },
    /// A refund or cancellation of its own, for the row's (or group's) customer.
    CustomerRefund,
    /// Not imported, and why.
    Skip(SkipReason),
    /// Report layout: blank, subtotal, total, footer.
    Layout,
    /// The header again: another export pasted below (or a page header). An order it
    /// repeats is stated anew by the rows below it.
    RepeatedHeader,
    /// A customer group row (QuickBooks): the transactions below belong to this name.
    CustomerGroup(String),
}

/// A data row with its fields looked up through the mapping.
pub struct RowView<'a> {
    /// The row.
    pub row: &'a RawRow,
    /// Field → column.
    pub mapping: &'a ColumnMapping,
    /// The same mapping as a table, for the lookups.
    pub columns: &'a FieldColumns,
    /// How to decode cells.
    pub encoding: TextEncoding,
}

impl RowView<'_> {
    /// The cell of `field`, trimmed; empty when the field is not mapped.
    pub fn get(&self, field: Field) -> Cow<'_, str> {
        match self.columns.get(field) {
            Some(column) => unescape_spreadsheet(self.row.cell(column, self.encoding)),
            None => Cow::Borrowed(""),
        }
    }

    /// Whether `field` is mapped and non-empty in this row.
    pub fn has(&self, field: Field) -> bool {
        !self.get(field).is_empty()
    }
}

/// A cell written by a careful exporter (ours included) as `'+1 555 …` or `'=x` so that a
/// spreadsheet does not run it as a formula: the apostrophe is the escape, not the data.
fn unescape_spreadsheet(cell: Cow<'_, str>) -> Cow<'_, str> {
    let escaped = cell
        .strip_prefix('\'')
        .is_some_and(|rest| rest.starts_with(['=', '+', '-', '@', '\t', '\r']));
    match cell {
        Cow::Borrowed(text) if escaped => Cow::Borrowed(&text[1..]),
        Cow::Owned(text) if escaped => Cow::Owned(text[1..].to_owned()),
        other => other,
    }
}

/// Statuses that mean the customer has not (or not yet) paid.
pub fn is_unpaid_status(status: &str) -> bool {
    // Lower case with `_` and `-` as spaces, in a buffer on the stack: this runs for every
    // order of a file, and no status in the list is longer.
    let status = status.trim();
    let mut buffer = [0u8; 32];
    let Some(normal) = buffer.get_mut(..status.len()) else {
        return false;
    };
    for (to, from) in normal.iter_mut().zip(status.bytes()) {
        *to = match from {
            b'_' | b'-' => b' ',
            b => b.to_ascii_lowercase(),
        };
    }
    let Ok(s) = std::str::from_utf8(normal) else {
        return false;
    };
    // WooCommerce exports status slugs: wc-pending, wc-on-hold, …
    let s = s.strip_prefix("wc ").unwrap_or(s);
    matches!(
        s,
        "pending"
            | "authorized"
            | "authorised"
            | "failed"
            | "declined"
            | "denied"
            | "expired"
            | "on hold"
            | "checkout draft"
            | "draft"
            | "unpaid"
            | "abandoned"
            | "payment pending"
            | "pending payment"
            | "awaiting payment"
            | "held"
            | "unclaimed"
            | "incomplete"
            | "requires payment method"
            // Never a sale: test orders and WooCommerce's bin.
            | "test"
            | "test order"
            | "trash"
            // The same in the languages of European spreadsheets.
            | "abgebrochen"
            | "unbezahlt"
    ) || is_cancelled_word(s)
}

/// Whether an order's status says it was called off (cancelled, voided), in the languages
/// [`is_unpaid_status`] knows: an order stored as paid from an earlier export then no
/// longer counts. A pending or held order may still be paid, so it does not.
pub fn is_cancelled_status(status: &str) -> bool {
    let status = status.trim().to_lowercase();
    is_cancelled_word(status.strip_prefix("wc-").unwrap_or(&status))
}

/// Whether a lower-case status word says cancelled or voided, in English and the languages
/// of European spreadsheets.
fn is_cancelled_word(status: &str) -> bool {
    matches!(
        status,
        "cancelled"
            | "canceled"
            | "voided"
            | "void"
            | "storniert"
            | "annulé"
            | "annulée"
            | "annule"
            | "annulee"
            | "cancelado"
            | "cancelada"
            | "anulado"
            | "anulada"
            | "geannuleerd"
            | "annullato"
            | "annullata"
    )
}

const RETAIL_FEE_CODES: &[&str] = &[
    "POST",
    "DOT",
    "M",
    "C2",
    "BANK CHARGES",
    "AMAZONFEE",
    "CRUK",
    "S",
    "B",
    "PADS",
    "D",
];

/// Classifies a row by layout rules shared by all files, then by the platform's rules.
pub fn classify(preset: PresetId, view: &RowView<'_>, header: &Header) -> RowClass {
    if let Some(layout) = layout_row(preset, view, header) {
        return layout;
    }
    match preset {
        PresetId::Stripe if !view.has(Field::OrderId) => RowClass::Skip(SkipReason::NoOrderId),
        PresetId::Square => {
            if view.get(Field::Kind).eq_ignore_ascii_case("refund") {
                RowClass::Refund {
                    order: view.get(Field::OrderId).into_owned(),
                    alt: Some(view.get(Field::AltOrderId).into_owned()).filter(|s| !s.is_empty()),
                }
            } else {
                RowClass::Sale
            }
        }
        PresetId::Paypal => paypal_class(view),
        PresetId::OnlineRetail => {
            let code = view.get(Field::Sku).to_ascii_uppercase();
            if RETAIL_FEE_CODES.contains(&code.as_str()) {
                RowClass::Skip(SkipReason::PostageOrFee)
            } else if view.get(Field::OrderId).starts_with(['C', 'c']) {
                RowClass::CustomerRefund
            } else {
                RowClass::Sale
            }
        }
        PresetId::Quickbooks => {
            let kind = view.get(Field::Kind).to_ascii_lowercase();
            if kind.contains("credit memo") || kind.contains("refund") {
                RowClass::CustomerRefund
            } else if kind.contains("invoice") || kind.contains("sales receipt") {
                RowClass::Sale
            } else {
                RowClass::Skip(SkipReason::NotASale)
            }
        }
        // A row whose type says refund (generic files): a refund of the order it refers
        // to, or of its own when it names none stored.
        _ if is_refund_kind(&view.get(Field::Kind)) => RowClass::Refund {
            order: if view.has(Field::Reference) {
                view.get(Field::Reference)
            } else {
                view.get(Field::OrderId)
            }
            .into_owned(),
            alt: None,
        },
        _ => RowClass::Sale,
    }
}

/// Whether a row type names a refund ("Refund", "Credit note", …). Only whole names: a
/// "Type" column may hold payment types such as "Credit card".
fn is_refund_kind(kind: &str) -> bool {
    let kind = kind.trim().to_ascii_lowercase();
    matches!(
        kind.as_str(),
        "refund"
            | "refunds"
            | "payment refund"
            | "return"
            | "returns"
            | "credit note"
            | "credit memo"
            | "chargeback"
    )
}

/// PayPal: completed payments received are sales, refunds point back to their payment,
/// everything else (holds, authorisations, withdrawals, fees, memos) is not a sale.
fn paypal_class(view: &RowView<'_>) -> RowClass {
    let kind = view.get(Field::Kind).to_ascii_lowercase();
    let status = view.get(Field::Status).to_ascii_lowercase();
    let impact = view.get(Field::BalanceImpact).to_ascii_lowercase();
    let gross = view.get(Field::Total);
    let negative = gross.trim_start().starts_with(['-', '(', '−']);
    if impact == "memo"
        || kind.contains("authorization")
        || kind.contains("hold")
        || kind.contains("fee")
    {
        return RowClass::Skip(SkipReason::NotASale);
    }
    // A chargeback takes the payment back as a refund does; a fee for it is the shop's
    // cost (skipped above), and a positive reversal of one is not a sale either.
    if kind.contains("refund") || kind.contains("reversal") || kind.contains("chargeback") {
        return if negative && view.has(Field::Reference) {
            RowClass::Refund {
                order: view.get(Field::Reference).into_owned(),
                alt: None,
            }
        } else {
            RowClass::Skip(SkipReason::NotASale)
        };
    }
    let received = kind.contains("payment")
        || kind.contains("checkout")
        || kind.contains("received")
        || kind.contains("subscription")
        || kind.contains("donation");
    if !received || negative || impact == "debit" {
        return RowClass::Skip(SkipReason::NotASale);
    }
    if !matches!(
        status.as_str(),
        "completed" | "refunded" | "partially refunded" | "cleared"
    ) {
        return RowClass::Skip(SkipReason::NotPaid);
    }
    RowClass::Sale
}

/// Blank rows, subtotal and total rows, footers, repeated headers, and QuickBooks group rows.
fn layout_row(preset: PresetId, view: &RowView<'_>, header: &Header) -> Option<RowClass> {
    // Fast path: an order number and a date that is not the header's own name is data.
    let date = view.get(Field::Date);
    let date_is_header = view
        .mapping
        .get(Field::Date)
        .and_then(|c| header.names.get(c))
        .is_some_and(|name| name.eq_ignore_ascii_case(&date));
    if !date.is_empty() && !date_is_header && view.has(Field::OrderId) {
        return None;
    }
    let filled = view.row.filled_cells();
    if filled == 0 {
        return Some(RowClass::Layout);
    }
    let first_text = (0..view.row.len())
        .map(|i| view.row.cell(i, view.encoding))
        .find(|c| !c.is_empty())
        .unwrap_or_default();
    let lower = first_text.to_ascii_lowercase();
    let no_date = !view.has(Field::Date);
    if no_date
        && (lower.starts_with("total")
            || lower.starts_with("grand total")
            || lower.starts_with("summe")
            || lower.starts_with("gesamt")
            || lower.starts_with("totaal")
            || lower.starts_with("totale")
            || lower.starts_with("subtotal")
            || lower.contains("record(s) downloaded")
            || lower.contains("records downloaded")
            || lower.starts_with("seller id")
            || lower.starts_with("report generated"))
    {
        return Some(RowClass::Layout);
    }
    if header.position_of(&first_text).is_some() && filled >= header.names.len().min(3) {
        // A repeated header row (some exports print it on every page).
        let repeated = (0..view.row.len()).all(|i| {
            let cell = view.row.cell(i, view.encoding);
            cell.is_empty() || header.position_of(&cell).is_some()
        });
        if repeated {
            return Some(RowClass::RepeatedHeader);
        }
    }
    if preset == PresetId::Quickbooks && no_date && !view.has(Field::LineTotal) && filled == 1 {
        return Some(RowClass::CustomerGroup(first_text.into_owned()));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Header {
        Header::new(&names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn each_platform_header_is_recognised() {
        let cases: &[(&[&str], PresetId, &str)] = &[
            (
                &[
                    "Name",
                    "Email",
                    "Financial Status",
                    "Paid at",
                    "Lineitem name",
                    "Total",
                ],
                PresetId::Shopify,
                "",
            ),
            (
                &[
                    "Date",
                    "Time",
                    "Time Zone",
                    "Gross Sales",
                    "Net Sales",
                    "Transaction ID",
                    "Event Type",
                ],
                PresetId::Square,
                "",
            ),
            (
                &[
                    "id",
                    "Created date (UTC)",
                    "Amount",
                    "Amount Refunded",
                    "Currency",
                    "Captured",
                ],
                PresetId::Stripe,
                "",
            ),
            (
                &[
                    "Date",
                    "Time",
                    "TimeZone",
                    "Name",
                    "Type",
                    "Status",
                    "Gross",
                    "Transaction ID",
                ],
                PresetId::Paypal,
                "",
            ),
            (
                &["Sale Date", "Order ID", "Buyer User ID", "Order Total"],
                PresetId::Etsy,
                "",
            ),
            (
                &[
                    "Order Number",
                    "Order Status",
                    "Order Date",
                    "Email (Billing)",
                ],
                PresetId::Woocommerce,
                "order export plugin",
            ),
            (
                &[
                    "order_id",
                    "order_number",
                    "order_date",
                    "order_total",
                    "customer_email",
                ],
                PresetId::Woocommerce,
                "WebToffee export",
            ),
            (
                &[
                    "Date",
                    "Order #",
                    "Status",
                    "Customer",
                    "Customer type",
                    "Net sales",
                ],
                PresetId::Woocommerce,
                "Analytics download",
            ),
            (
                &["amazon-order-id", "purchase-date", "item-price"],
                PresetId::Amazon,
                "",
            ),
            (
                &["Sales Record Number", "User Id", "Item Number", "Sale Date"],
                PresetId::Ebay,
                "",
            ),
            (
                &["", "Date", "Transaction Type", "Num", "Amount", "Balance"],
                PresetId::Quickbooks,
                "",
            ),
            (
                &[
                    "InvoiceNo",
                    "StockCode",
                    "Description",
                    "Quantity",
                    "InvoiceDate",
                    "UnitPrice",
                    "CustomerID",
                    "Country",
                ],
                PresetId::OnlineRetail,
                "",
            ),
            (
                &[
                    "Invoice",
                    "StockCode",
                    "Description",
                    "Quantity",
                    "InvoiceDate",
                    "Price",
                    "Customer ID",
                    "Country",
                ],
                PresetId::OnlineRetail,
                "",
            ),
        ];
        for (names, id, variant) in cases {
            let shape =
                detect(&header(names)).unwrap_or_else(|| panic!("{names:?} not recognised"));
            assert_eq!((shape.id, shape.variant), (*id, *variant), "{names:?}");
        }
        assert!(detect(&header(&["Invoice", "Date", "Amount"])).is_none());
    }

    #[test]
    fn binding_uses_the_first_name_present() {
        let h = header(&[
            "Name",
            "Email",
            "Financial Status",
            "Lineitem name",
            "Paid at",
            "Total",
        ]);
        let m = bind(&SHOPIFY, &h);
        assert_eq!(m.get(Field::Date), Some(4), "falls back to Paid at");
        assert_eq!(m.get(Field::Total), Some(5));
        assert_eq!(m.get(Field::Refunded), None);
    }

    #[test]
    fn unpaid_statuses() {
        for s in [
            "pending",
            "Voided",
            "authorized",
            "on-hold",
            "Cancelled",
            "FAILED",
            "wc-on-hold",
            "Pending payment",
        ] {
            assert!(is_unpaid_status(s), "{s}");
        }
        for s in [
            "paid",
            "partially_refunded",
            "refunded",
            "Completed",
            "processing",
            "wc-completed",
            "",
        ] {
            assert!(!is_unpaid_status(s), "{s}");
        }
    }

    #[test]
    fn names_round_trip() {
        for p in PresetId::ALL {
            assert_eq!(PresetId::from_name(p.name()), Some(p));
        }
        assert_eq!(
            PresetId::from_name("online_retail"),
            Some(PresetId::OnlineRetail)
        );
    }
}
