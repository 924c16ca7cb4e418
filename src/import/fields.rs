//! The fields an order row can carry, how header names are matched to them (by name,
//! case- and space-insensitively, never by position), and the owner's column mapping.

use std::collections::BTreeMap;

/// A piece of order information a column can hold.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The platform's order number.
    OrderId,
    /// Another id the same order is known by (Square Payment ID).
    AltOrderId,
    /// Order date (possibly with time and offset).
    Date,
    /// Time of day in its own column.
    Time,
    /// Time zone name or abbreviation in its own column.
    TimeZone,
    /// The platform's customer id.
    CustomerId,
    /// A marketplace username.
    Username,
    /// E-mail address.
    Email,
    /// Full name.
    Name,
    /// First name (joined with the last name).
    FirstName,
    /// Last name.
    LastName,
    /// Phone.
    Phone,
    /// Postcode.
    Postcode,
    /// Accepts marketing (yes/no).
    Consent,
    /// What the customer paid for the whole order (after discounts, with shipping and tax).
    Total,
    /// A line's contribution to the order total, when the file has no order total.
    LineTotal,
    /// Quantity of a line.
    Quantity,
    /// Price of one unit.
    UnitPrice,
    /// Amount refunded on the order.
    Refunded,
    /// Total after adjustments (Etsy): the refund is total minus this.
    AdjustedTotal,
    /// Discount amount.
    Discount,
    /// Shipping charged.
    Shipping,
    /// Tax charged.
    Tax,
    /// Discount or coupon code.
    Coupon,
    /// Payment or order status.
    Status,
    /// Currency code.
    Currency,
    /// Stock keeping unit.
    Sku,
    /// Product name.
    Product,
    /// Sales channel.
    Channel,
    /// Kind of row (PayPal `Type`, Square `Event Type`, QuickBooks `Transaction Type`).
    Kind,
    /// The sale a refund row points back to (PayPal `Reference Txn ID`).
    Reference,
    /// PayPal `Balance Impact` (Credit, Debit, Memo).
    BalanceImpact,
    /// PayPal `To Email Address`: on a refund, the buyer the money went back to (the
    /// `From` address is then the shop's own).
    RecipientEmail,
    /// Stripe `Captured` (true/false).
    Captured,
    /// eBay `Item Number`: empty on an order's summary row.
    ItemNumber,
}

impl Field {
    /// Every field, in mapping-form order.
    pub const ALL: [Field; 35] = [
        Field::OrderId,
        Field::Date,
        Field::Time,
        Field::TimeZone,
        Field::Email,
        Field::CustomerId,
        Field::Username,
        Field::Name,
        Field::FirstName,
        Field::LastName,
        Field::Phone,
        Field::Postcode,
        Field::Consent,
        Field::Total,
        Field::LineTotal,
        Field::Quantity,
        Field::UnitPrice,
        Field::Refunded,
        Field::AdjustedTotal,
        Field::Discount,
        Field::Shipping,
        Field::Tax,
        Field::Coupon,
        Field::Status,
        Field::Currency,
        Field::Sku,
        Field::Product,
        Field::Channel,
        Field::Kind,
        Field::Reference,
        Field::BalanceImpact,
        Field::RecipientEmail,
        Field::Captured,
        Field::ItemNumber,
        Field::AltOrderId,
    ];

    /// The fields an owner maps by hand for a generic file, in form order.
    pub const MAPPABLE: [Field; 17] = [
        Field::OrderId,
        Field::Date,
        Field::Email,
        Field::CustomerId,
        Field::Name,
        Field::Phone,
        Field::Total,
        Field::Quantity,
        Field::UnitPrice,
        Field::Refunded,
        Field::Discount,
        Field::Status,
        Field::Coupon,
        Field::Currency,
        Field::Product,
        Field::Time,
        Field::Kind,
    ];

    /// The name used by `--map FIELD=COLUMN` and in saved mappings.
    pub fn key(self) -> &'static str {
        match self {
            Field::OrderId => "order_id",
            Field::AltOrderId => "alt_order_id",
            Field::Date => "date",
            Field::Time => "time",
            Field::TimeZone => "time_zone",
            Field::CustomerId => "customer_id",
            Field::Username => "username",
            Field::Email => "email",
            Field::Name => "name",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::Phone => "phone",
            Field::Postcode => "postcode",
            Field::Consent => "consent",
            Field::Total => "amount",
            Field::LineTotal => "line_total",
            Field::Quantity => "quantity",
            Field::UnitPrice => "unit_price",
            Field::Refunded => "refund",
            Field::AdjustedTotal => "adjusted_total",
            Field::Discount => "discount",
            Field::Shipping => "shipping",
            Field::Tax => "tax",
            Field::Coupon => "coupon",
            Field::Status => "status",
            Field::Currency => "currency",
            Field::Sku => "sku",
            Field::Product => "product",
            Field::Channel => "channel",
            Field::Kind => "kind",
            Field::Reference => "reference",
            Field::BalanceImpact => "balance_impact",
            Field::RecipientEmail => "recipient_email",
            Field::Captured => "captured",
            Field::ItemNumber => "item_number",
        }
    }

    /// Parses a `--map` field name.
    pub fn from_key(key: &str) -> Option<Field> {
        let key = key.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        let key = match key.as_str() {
            "order" | "order_number" | "invoice" => "order_id",
            "total" | "net" | "value" => "amount",
            "customer" | "customer_key" => "customer_id",
            "discount_code" => "coupon",
            "refunded" => "refund",
            "price" => "unit_price",
            "qty" => "quantity",
            other => other,
        };
        Field::ALL.into_iter().find(|f| f.key() == key)
    }

    /// How the field is labelled in the mapping form.
    pub fn label(self) -> &'static str {
        match self {
            Field::OrderId => "Order number",
            Field::AltOrderId => "Other order id",
            Field::Date => "Order date",
            Field::Time => "Time",
            Field::TimeZone => "Time zone",
            Field::CustomerId => "Customer number",
            Field::Username => "Username",
            Field::Email => "E-mail",
            Field::Name => "Customer name",
            Field::FirstName => "First name",
            Field::LastName => "Last name",
            Field::Phone => "Phone",
            Field::Postcode => "Postcode",
            Field::Consent => "Accepts marketing",
            Field::Total => "Amount paid",
            Field::LineTotal => "Line total",
            Field::Quantity => "Quantity",
            Field::UnitPrice => "Unit price",
            Field::Refunded => "Refunded",
            Field::AdjustedTotal => "Adjusted total",
            Field::Discount => "Discount",
            Field::Shipping => "Shipping",
            Field::Tax => "Tax",
            Field::Coupon => "Discount code",
            Field::Status => "Status",
            Field::Currency => "Currency",
            Field::Sku => "SKU",
            Field::Product => "Product",
            Field::Channel => "Channel",
            Field::Kind => "Row type",
            Field::Reference => "Refers to order",
            Field::BalanceImpact => "Balance impact",
            Field::RecipientEmail => "Recipient e-mail",
            Field::Captured => "Captured",
            Field::ItemNumber => "Item number",
        }
    }

    /// What the field means in words ("the order date" in "no column for the order date").
    pub fn meaning(self) -> &'static str {
        match self {
            Field::OrderId => "the order number",
            Field::Date => "the order date",
            Field::Total | Field::LineTotal => "the amount paid",
            Field::Email | Field::CustomerId | Field::Name => "the customer",
            _ => self.label(),
        }
    }
}

/// A header name in the form it is matched in: lower-case, trimmed, underscores as spaces,
/// runs of whitespace collapsed, BOM and stray quotes removed.
pub fn normalise_header(name: &str) -> String {
    name.trim_start_matches('\u{feff}')
        .trim()
        .trim_matches('"')
        .replace('_', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The header of a file: original names and their matching forms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// Names as written.
    pub names: Vec<String>,
    normalised: Vec<String>,
}

impl Header {
    /// A header from the cells of the header row.
    pub fn new(names: &[String]) -> Header {
        Header {
            names: names
                .iter()
                .map(|n| n.trim_start_matches('\u{feff}').trim().to_owned())
                .collect(),
            normalised: names.iter().map(|n| normalise_header(n)).collect(),
        }
    }

    /// Index of the first column whose name matches one of `aliases` (already normalised),
    /// trying the aliases in order. Duplicate names resolve to the first.
    pub fn find(&self, aliases: &[&str]) -> Option<usize> {
        aliases
            .iter()
            .find_map(|alias| self.normalised.iter().position(|n| n == alias))
    }

    /// Whether every name in `names` (normalised) is present.
    pub fn has_all(&self, names: &[&str]) -> bool {
        names.iter().all(|n| self.normalised.iter().any(|h| h == n))
    }

    /// Index of a column by its name as written or normalised.
    pub fn position_of(&self, name: &str) -> Option<usize> {
        let wanted = normalise_header(name);
        self.normalised.iter().position(|n| *n == wanted)
    }

    /// A stable fingerprint of the column names, for remembering mappings.
    pub fn signature(&self) -> String {
        use sha2::Digest as _;
        let mut hasher = sha2::Sha256::new();
        for name in &self.normalised {
            hasher.update(name.as_bytes());
            hasher.update([0x1f]);
        }
        hasher
            .finalize()
            .iter()
            .take(12)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Which column (by index) holds each field; what a preset or the owner decided.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ColumnMapping {
    /// Field → column index.
    pub columns: BTreeMap<Field, usize>,
}

impl ColumnMapping {
    /// The column of `field`, if mapped.
    pub fn get(&self, field: Field) -> Option<usize> {
        self.columns.get(&field).copied()
    }

    /// Maps `field` to `column` (or unmaps it with `None`).
    pub fn set(&mut self, field: Field, column: Option<usize>) {
        match column {
            Some(c) => {
                self.columns.insert(field, c);
            }
            None => {
                self.columns.remove(&field);
            }
        }
    }

    /// `{"date": "Created at", …}`: the mapping with column names, for the import record.
    pub fn to_named_json(&self, header: &Header) -> String {
        let named: BTreeMap<&str, &str> = self
            .columns
            .iter()
            .filter_map(|(f, c)| header.names.get(*c).map(|n| (f.key(), n.as_str())))
            .collect();
        serde_json::to_string(&named).unwrap_or_else(|_| "{}".to_owned())
    }

    /// The mapping stored by [`Self::to_named_json`], resolved against `header`.
    pub fn from_named_json(json: &str, header: &Header) -> Option<ColumnMapping> {
        let named: BTreeMap<String, String> = serde_json::from_str(json).ok()?;
        let mut mapping = ColumnMapping::default();
        for (key, column) in named {
            let field = Field::from_key(&key)?;
            mapping.set(field, Some(header.position_of(&column)?));
        }
        Some(mapping)
    }
}

/// A [`ColumnMapping`] as a table indexed by field, for the lookups every row makes (a
/// million-row file looks up ten fields a row).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldColumns([Option<usize>; Field::ALL.len()]);

impl FieldColumns {
    /// The table of `mapping`.
    pub fn of(mapping: &ColumnMapping) -> FieldColumns {
        let mut columns = [None; Field::ALL.len()];
        for (field, column) in &mapping.columns {
            if let Some(slot) = columns.get_mut(*field as usize) {
                *slot = Some(*column);
            }
        }
        FieldColumns(columns)
    }

    /// The column of `field`, if mapped.
    pub fn get(&self, field: Field) -> Option<usize> {
        self.0.get(field as usize).copied().flatten()
    }
}

/// Names owners and tools commonly give each field, normalised; the generic mapping guess.
pub fn generic_aliases(field: Field) -> &'static [&'static str] {
    match field {
        Field::OrderId => &[
            "order id",
            "order number",
            "order no",
            "order no.",
            "order #",
            "order",
            "invoice",
            "invoice no",
            "invoice number",
            "invoice #",
            "invoiceno",
            "receipt",
            "receipt no",
            "receipt number",
            "receipt #",
            "ticket",
            "ticket no",
            "ticket number",
            "ticket #",
            "transaction id",
            "transaction",
            "sale id",
            "bestellnummer",
            "rechnungsnummer",
            "commande",
            "numéro",
            "nº",
            "no",
            "id",
        ],
        Field::Date => &[
            "order date",
            "date",
            "created at",
            "created",
            "sale date",
            "purchase date",
            "invoice date",
            "invoicedate",
            "transaction date",
            "paid at",
            "datum",
            "bestelldatum",
            "fecha",
            "data",
        ],
        Field::Time => &["time", "order time", "uhrzeit"],
        Field::TimeZone => &["time zone", "timezone"],
        Field::Email => &[
            "email",
            "e-mail",
            "email address",
            "e-mail address",
            "customer email",
            "client email",
            "buyer email",
            "billing email",
            "email (billing)",
            "mail",
            "kunden e-mail",
        ],
        Field::CustomerId => &[
            "customer id",
            "customerid",
            "customer number",
            "customer no",
            "customer #",
            "client id",
            "client number",
            "account",
            "account number",
            "kundennummer",
        ],
        Field::Username => &["username", "user id", "buyer user id", "buyer"],
        Field::Name => &[
            "customer name",
            "client name",
            "name",
            "full name",
            "buyer name",
            "billing name",
            "client",
            // A bare "Customer" column holds a name far more often than a number (two
            // people of one name must not become one customer through it).
            "customer",
            "kunde",
            "nom",
            "nombre",
        ],
        Field::FirstName => &["first name", "firstname", "given name", "vorname", "prénom"],
        Field::LastName => &[
            "last name",
            "lastname",
            "surname",
            "family name",
            "nachname",
        ],
        Field::Phone => &[
            "phone",
            "phone number",
            "telephone",
            "tel",
            "mobile",
            "telefon",
        ],
        Field::Postcode => &["postcode", "zip", "zip code", "postal code", "plz"],
        Field::Consent => &[
            "accepts marketing",
            "marketing consent",
            "newsletter",
            "opt in",
        ],
        Field::Total => &[
            "total",
            "order total",
            "amount",
            "total amount",
            "grand total",
            "net sales",
            "gross",
            "value",
            "sum",
            "paid",
            "amount paid",
            "revenue",
            "sales",
            "betrag",
            "summe",
            "gesamt",
            "montant",
            "importe",
            "total (incl. vat)",
            "total incl. tax",
        ],
        Field::LineTotal => &["line total", "item total", "subtotal"],
        Field::Quantity => &["quantity", "qty", "units", "menge", "anzahl"],
        Field::UnitPrice => &[
            "unit price",
            "price",
            "unitprice",
            "item price",
            "preis",
            "prix",
        ],
        Field::Refunded => &[
            "refunded",
            "refund",
            "refunded amount",
            "refund amount",
            "amount refunded",
            "erstattet",
        ],
        Field::AdjustedTotal => &["adjusted total", "adjusted order total"],
        Field::Discount => &["discount", "discount amount", "discounts", "rabatt"],
        Field::Shipping => &["shipping", "shipping cost", "delivery", "versand"],
        Field::Tax => &["tax", "taxes", "vat", "sales tax", "mwst"],
        Field::Coupon => &[
            "discount code",
            "coupon",
            "coupon code",
            "promo code",
            "voucher",
            "gutschein",
        ],
        Field::Status => &[
            "status",
            "order status",
            "payment status",
            "financial status",
        ],
        Field::Currency => &["currency", "currency code", "währung", "devise", "moneda"],
        Field::Sku => &[
            "sku",
            "item code",
            "product code",
            "article",
            "artikelnummer",
            "stockcode",
        ],
        Field::Product => &[
            "product",
            "product name",
            "item",
            "item name",
            "description",
            "artikel",
            "produkt",
        ],
        Field::Channel => &["channel", "source", "sales channel"],
        Field::Kind => &["type", "transaction type"],
        Field::Reference => &["reference", "reference txn id"],
        Field::BalanceImpact => &["balance impact"],
        Field::RecipientEmail => &["to email address"],
        Field::Captured => &["captured"],
        Field::ItemNumber => &["item number"],
        Field::AltOrderId => &["payment id"],
    }
}

/// The generic guess: each mappable field to the first column whose name is a common name
/// for it, never two fields on one column. Exact names are tried first; then names with
/// their decoration removed (`Amount, EUR`, `Total (incl. VAT)`, `Betrag in €`).
pub fn guess_mapping(header: &Header) -> ColumnMapping {
    let mut mapping = ColumnMapping::default();
    let mut used = std::collections::HashSet::new();
    let cores: Vec<String> = header.normalised.iter().map(|n| core_name(n)).collect();
    for names in [&header.normalised, &cores] {
        for field in Field::MAPPABLE {
            if mapping.get(field).is_some() {
                continue;
            }
            let found = generic_aliases(field).iter().find_map(|alias| {
                names
                    .iter()
                    .enumerate()
                    .find(|(i, n)| *n == alias && !used.contains(i))
                    .map(|(i, _)| i)
            });
            if let Some(column) = found {
                used.insert(column);
                mapping.set(field, Some(column));
            }
        }
    }
    mapping
}

/// A header name without its decoration: parenthesised notes, anything after a comma,
/// currency codes and symbols (`amount, eur` → `amount`, `total (incl. vat)` → `total`).
fn core_name(normalised: &str) -> String {
    let mut text = String::new();
    let mut depth = 0;
    for ch in normalised.chars() {
        match ch {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            _ if depth == 0 => text.push(ch),
            _ => {}
        }
    }
    let head = text.split([',', ';', '/']).next().unwrap_or("");
    head.split_whitespace()
        .filter(|w| {
            !matches!(
                *w,
                "eur" | "usd" | "gbp" | "chf" | "€" | "$" | "£" | "in" | "incl." | "excl."
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str]) -> Header {
        Header::new(&names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn names_match_case_space_and_underscore_insensitively() {
        let h = header(&["\u{feff}Date", "  Order_Number ", "Email (Billing)"]);
        assert_eq!(h.find(&["date"]), Some(0));
        assert_eq!(h.find(&["order number"]), Some(1));
        assert_eq!(h.find(&["email (billing)"]), Some(2));
        assert_eq!(h.find(&["nope", "date"]), Some(0));
        assert_eq!(h.names[0], "Date");
    }

    #[test]
    fn duplicate_names_resolve_to_the_first() {
        let h = header(&["Total Collected", "Qty", "Total Collected"]);
        assert_eq!(h.find(&["total collected"]), Some(0));
    }

    #[test]
    fn guess_maps_a_plain_spreadsheet() {
        let h = header(&[
            "Invoice",
            "Datum",
            "Client email",
            "Client",
            "Betrag",
            "Status",
        ]);
        let m = guess_mapping(&h);
        assert_eq!(m.get(Field::OrderId), Some(0));
        assert_eq!(m.get(Field::Date), Some(1));
        assert_eq!(m.get(Field::Email), Some(2));
        assert_eq!(m.get(Field::Name), Some(3));
        assert_eq!(m.get(Field::Total), Some(4));
        assert_eq!(m.get(Field::Status), Some(5));
    }

    #[test]
    fn decorated_names_are_recognised() {
        let h = header(&["Invoice", "Date", "Amount, EUR"]);
        let m = guess_mapping(&h);
        assert_eq!(m.get(Field::Total), Some(2));
        // An exact name wins over a decorated one.
        let h = header(&["Invoice", "Date", "Amount, EUR", "Total (incl. VAT)"]);
        assert_eq!(guess_mapping(&h).get(Field::Total), Some(3));
        assert_eq!(core_name("betrag in €"), "betrag");
    }

    #[test]
    fn signature_ignores_case_and_mapping_round_trips_by_name() {
        let a = header(&["Date", "Amount"]);
        let b = header(&["date", " AMOUNT"]);
        assert_eq!(a.signature(), b.signature());
        assert_ne!(a.signature(), header(&["Amount", "Date"]).signature());
        let mut m = ColumnMapping::default();
        m.set(Field::Date, Some(0));
        m.set(Field::Total, Some(1));
        let json = m.to_named_json(&a);
        assert_eq!(json, r#"{"amount":"Amount","date":"Date"}"#);
        assert_eq!(ColumnMapping::from_named_json(&json, &b), Some(m));
    }

    #[test]
    fn the_field_table_agrees_with_the_mapping() {
        let h = header(&["Invoice", "Datum", "Client email", "Client", "Betrag"]);
        let m = guess_mapping(&h);
        let table = FieldColumns::of(&m);
        for field in Field::ALL {
            assert_eq!(table.get(field), m.get(field), "{field:?}");
        }
    }

    #[test]
    fn map_keys_accept_synonyms() {
        assert_eq!(Field::from_key("ORDER-ID"), Some(Field::OrderId));
        assert_eq!(Field::from_key("total"), Some(Field::Total));
        assert_eq!(Field::from_key("discount code"), Some(Field::Coupon));
        assert_eq!(Field::from_key("colour"), None);
    }
}
