//! Benchmarks run by `clv-desk bench …` in a release build: realistic large inputs
//! generated from a seed, the real code paths timed, and peak memory read from the OS.
//! Speed targets live here (and in the notes that quote them), never in timed tests.

use std::io::{BufWriter, Write as _};
use std::path::Path;
use std::time::Instant;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt as _, SeedableRng as _};

use crate::app::import::{import_streamed, stage, write};
use crate::import::ImportOptions;
use crate::store::Store;

/// The Shopify `orders_export.csv` header (2026 shape, 79 columns).
pub const SHOPIFY_HEADER: &[&str] = &[
    "Name",
    "Email",
    "Financial Status",
    "Paid at",
    "Fulfillment Status",
    "Fulfilled at",
    "Accepts Marketing",
    "Currency",
    "Subtotal",
    "Shipping",
    "Taxes",
    "Total",
    "Discount Code",
    "Discount Amount",
    "Shipping Method",
    "Created at",
    "Lineitem quantity",
    "Lineitem name",
    "Lineitem price",
    "Lineitem compare at price",
    "Lineitem sku",
    "Lineitem requires shipping",
    "Lineitem taxable",
    "Lineitem fulfillment status",
    "Billing Name",
    "Billing Street",
    "Billing Address1",
    "Billing Address2",
    "Billing Company",
    "Billing City",
    "Billing Zip",
    "Billing Province",
    "Billing Country",
    "Billing Phone",
    "Shipping Name",
    "Shipping Street",
    "Shipping Address1",
    "Shipping Address2",
    "Shipping Company",
    "Shipping City",
    "Shipping Zip",
    "Shipping Province",
    "Shipping Country",
    "Shipping Phone",
    "Notes",
    "Note Attributes",
    "Cancelled at",
    "Payment Method",
    "Payment Reference",
    "Refunded Amount",
    "Vendor",
    "Outstanding Balance",
    "Employee",
    "Location",
    "Device ID",
    "Id",
    "Tags",
    "Risk Level",
    "Source",
    "Lineitem discount",
    "Tax 1 Name",
    "Tax 1 Value",
    "Tax 2 Name",
    "Tax 2 Value",
    "Tax 3 Name",
    "Tax 3 Value",
    "Tax 4 Name",
    "Tax 4 Value",
    "Tax 5 Name",
    "Tax 5 Value",
    "Phone",
    "Receipt Number",
    "Duties",
    "Billing Province Name",
    "Shipping Province Name",
    "Payment ID",
    "Payment Terms Name",
    "Next Payment Due At",
    "Payment References",
];

const PRODUCTS: &[(&str, &str, u32)] = &[
    ("House blend 250 g", "HB-250", 950),
    ("House blend 1 kg", "HB-1000", 3200),
    ("Ethiopia Yirgacheffe 250 g", "ET-250", 1300),
    ("Colombia Huila 250 g", "CO-250", 1150),
    ("Decaf Swiss water 250 g", "DC-250", 1050),
    ("Espresso roast 500 g", "ES-500", 1800),
    ("Pour-over kit", "KIT-PO", 3900),
    ("Ceramic mug", "MUG-01", 1400),
    ("Paper filters (100)", "FLT-100", 450),
    ("Gift card", "GIFT", 2500),
];

/// Writes a Shopify-shaped export of about `lines` line-item rows (≈ 5.5 per order, one
/// customer per ~3 orders, refunds, guests and pending orders sprinkled in); returns the
/// number of orders written.
pub fn write_shopify_export(path: &Path, lines: usize, seed: u64) -> std::io::Result<usize> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut out = BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    writeln!(out, "{}", SHOPIFY_HEADER.join(","))?;
    let customers = (lines / 17).max(1);
    let mut written = 0;
    let mut order = 0;
    let mut row = String::with_capacity(1024);
    while written < lines {
        order += 1;
        let number = 1000 + order;
        let customer = rng.random_range(0..customers);
        let guest = rng.random_bool(0.03);
        let email = if guest {
            String::new()
        } else {
            format!("customer{customer}@example.com")
        };
        let day = 1 + (order * 700 / (lines / 5 + 1)).min(699);
        let date = chrono::NaiveDate::from_ymd_opt(2024, 1, 1)
            .and_then(|d| d.checked_add_days(chrono::Days::new(day as u64)))
            .unwrap_or_default();
        let created = format!(
            "{date} {:02}:{:02}:{:02} +0100",
            rng.random_range(8..20),
            rng.random_range(0..60),
            rng.random_range(0..60)
        );
        let items = rng.random_range(1..=10usize).min(lines - written);
        let chosen: Vec<usize> = (0..items)
            .map(|_| rng.random_range(0..PRODUCTS.len()))
            .collect();
        let quantities: Vec<u32> = (0..items).map(|_| rng.random_range(1..=3)).collect();
        let subtotal: u32 = chosen
            .iter()
            .zip(&quantities)
            .map(|(p, q)| PRODUCTS[*p].2 * q)
            .sum();
        let shipping = if subtotal > 5000 { 0 } else { 490 };
        let tax = subtotal * 7 / 107;
        let total = subtotal + shipping;
        let status = match rng.random_range(0..100) {
            0..=1 => "pending",
            2..=5 => "partially_refunded",
            6 => "refunded",
            _ => "paid",
        };
        let refunded = match status {
            "partially_refunded" => PRODUCTS[chosen[0]].2,
            "refunded" => total,
            _ => 0,
        };
        let money = |cents: u32| format!("{}.{:02}", cents / 100, cents % 100);
        for (i, (product, quantity)) in chosen.iter().zip(&quantities).enumerate() {
            let (name, sku, price) = PRODUCTS[*product];
            let mut fields = vec![String::new(); SHOPIFY_HEADER.len()];
            let mut set = |column: &str, value: String| {
                if let Some(at) = SHOPIFY_HEADER.iter().position(|h| *h == column) {
                    fields[at] = value;
                }
            };
            // Shopify repeats these on every line-item row …
            set("Name", format!("#{number}"));
            set("Email", email.clone());
            set("Created at", created.clone());
            set("Lineitem quantity", quantity.to_string());
            set("Lineitem name", name.to_owned());
            set("Lineitem price", money(price));
            set("Lineitem sku", sku.to_owned());
            set("Lineitem requires shipping", "true".to_owned());
            set("Lineitem taxable", "true".to_owned());
            set("Lineitem fulfillment status", "fulfilled".to_owned());
            // … and writes the order's own fields on its first row only.
            if i == 0 {
                set("Financial Status", status.to_owned());
                set("Paid at", created.clone());
                set("Fulfillment Status", "fulfilled".to_owned());
                set("Fulfilled at", created.clone());
                set("Accepts Marketing", "yes".to_owned());
                set("Currency", "EUR".to_owned());
                set("Subtotal", money(subtotal));
                set("Shipping", money(shipping));
                set("Taxes", money(tax));
                set("Total", money(total));
                set("Discount Amount", "0.00".to_owned());
                set("Shipping Method", "Standard".to_owned());
                for side in ["Billing", "Shipping"] {
                    set(&format!("{side} Name"), format!("Name {customer}"));
                    set(&format!("{side} Street"), "1 Main St".to_owned());
                    set(&format!("{side} Address1"), "1 Main St".to_owned());
                    set(&format!("{side} City"), "Springfield".to_owned());
                    set(
                        &format!("{side} Zip"),
                        format!("'0{:04}", customer % 10_000),
                    );
                    set(&format!("{side} Country"), "DE".to_owned());
                }
                set("Billing Phone", format!("+49 30 {customer}"));
                set("Payment Method", "Visa".to_owned());
                set("Payment Reference", format!("ref{number}"));
                set("Refunded Amount", money(refunded));
                set("Vendor", "Roastery".to_owned());
                set("Outstanding Balance", "0.00".to_owned());
                set("Id", format!("{number}00"));
                set("Risk Level", "Low".to_owned());
                set("Source", "web".to_owned());
                set("Lineitem discount", "0.00".to_owned());
                set("Tax 1 Name", "VAT 7%".to_owned());
                set("Tax 1 Value", money(tax));
            }
            row.clear();
            row.push_str(&fields.join(","));
            row.push('\n');
            out.write_all(row.as_bytes())?;
            written += 1;
        }
    }
    out.flush()?;
    Ok(order)
}

/// Peak resident memory of this process so far, in MiB (Linux `VmHWM`); `None` elsewhere.
pub fn peak_rss_mib() -> Option<f64> {
    proc_status_mib("VmHWM:")
}

/// Resident memory of this process now, in MiB (Linux `VmRSS`); `None` elsewhere.
pub fn rss_mib() -> Option<f64> {
    proc_status_mib("VmRSS:")
}

fn proc_status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Generates (or reuses) a Shopify export of `lines` rows at `csv`, imports it into a new
/// database at `db` as `clv-desk import` does (or, with `two_phase`, as the window does:
/// the preview reads the whole file, then the write), and returns the report lines.
pub fn bench_import(
    csv: &Path,
    db: &Path,
    lines: usize,
    two_phase: bool,
) -> anyhow::Result<Vec<String>> {
    let mut report = Vec::new();
    if !csv.exists() {
        let started = Instant::now();
        let orders = write_shopify_export(csv, lines, 7)?;
        report.push(format!(
            "generated {} ({} lines, {orders} orders, {:.0} MB) in {:.2} s",
            csv.display(),
            lines,
            std::fs::metadata(csv).map_or(0.0, |m| m.len() as f64 / 1e6),
            started.elapsed().as_secs_f64()
        ));
    }
    remove_database(db);
    let rss_before = peak_rss_mib();
    let mut store = Store::open(db)?;
    let started = Instant::now();
    let (result, how) = if two_phase {
        let staged = stage(&store, csv, ImportOptions::default(), &mut |_, _| true)?;
        let stage_seconds = started.elapsed().as_secs_f64();
        let written = Instant::now();
        let result = write(&mut store, staged, false, &mut |_| true)?;
        let how = format!(
            "two phases, as the window runs it: read for the preview {stage_seconds:.2} s, then write {:.2} s",
            written.elapsed().as_secs_f64()
        );
        (result, how)
    } else {
        let result = import_streamed(&mut store, csv, ImportOptions::default(), &mut |_, _| true)?;
        (
            result,
            "streamed, as `clv-desk import` runs it: the write overlaps the reading".to_owned(),
        )
    };
    let total = started.elapsed().as_secs_f64();
    let rows = result.staged.report.rows_read;
    report.push(format!(
        "import ({how}): {rows} rows, {} orders, {} customers: {total:.2} s wall, {:.0} rows/s",
        result.outcome.orders_created,
        result.outcome.customers_created,
        rows as f64 / total,
    ));
    // The checkpoint a bulk load leaves to a background connection.
    drop(store);
    report.push(format!(
        "WAL copied into the database file (background checkpoint) by {:.2} s; peak RSS {:.0} MiB (before import {:.0} MiB); database {:.0} MB",
        started.elapsed().as_secs_f64(),
        peak_rss_mib().unwrap_or(f64::NAN),
        rss_before.unwrap_or(f64::NAN),
        std::fs::metadata(db).map_or(0.0, |m| m.len() as f64 / 1e6)
    ));
    Ok(report)
}

/// Deletes a database file and its WAL and shared-memory files, if present.
fn remove_database(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

/// The purchase process of the CLV benchmark (weeks): about four purchases a year while
/// active, so 200,000 customers over two and a half years make about a million orders.
const BENCH_PURCHASES: crate::clv::simulate::PurchaseProcess =
    crate::clv::simulate::PurchaseProcess {
        r: 0.9,
        alpha: 12.0,
        a: 0.6,
        b: 3.0,
        dropout: crate::clv::simulate::Dropout::AfterRepeatPurchases,
    };

/// Simulates `customers` customers (seeded), then times the CLV pipeline on them: the RFM
/// summary, each fit, the scoring, and the whole engine (model choice by backtest, fits,
/// values) as the app runs it after an import. Each result goes to `say` as it is measured.
pub fn bench_clv(customers: usize, seed: u64, say: &mut dyn FnMut(&str)) -> anyhow::Result<()> {
    use crate::clv::engine::{EngineInput, value_shop};
    use crate::clv::fit::{fit_purchase, fit_spend};
    use crate::clv::purchase::PurchaseModel;
    use crate::clv::simulate::{daily_purchases, simulate_customers};
    use crate::clv::spend::SpendHistory;
    use crate::clv::summary::{Period, summarise, triples};
    use crate::clv::value::{ValueSettings, value_customers};

    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    let history_weeks = crate::demo::DEMO_HISTORY_WEEKS;
    let simulated = simulate_customers(
        BENCH_PURCHASES,
        crate::demo::DEMO_SPEND,
        customers,
        history_weeks * 0.9,
        history_weeks,
        &mut Xoshiro256PlusPlus::seed_from_u64(seed),
    )?;
    let purchases = daily_purchases(&simulated, start);
    let end = start + chrono::Duration::days((history_weeks * 7.0) as i64);
    drop(simulated);
    say(&format!(
        "simulated {customers} customers with {} purchases over {history_weeks} weeks",
        purchases.len()
    ));
    let settings = ValueSettings {
        horizon_months: 12.0,
        monthly_discount: 0.01,
        margin: 0.3,
        period: Period::Week,
    };

    let pipeline = Instant::now();
    let clock = Instant::now();
    let summaries = summarise(&purchases, customers, end);
    let summary_s = clock.elapsed().as_secs_f64();
    let clock = Instant::now();
    let grouped = triples(&summaries, Period::Week);
    let triples_s = clock.elapsed().as_secs_f64();
    let clock = Instant::now();
    let bgnbd = fit_purchase(PurchaseModel::BgNbd, &grouped)?;
    let bgnbd_s = clock.elapsed().as_secs_f64();
    let spend_data: Vec<SpendHistory> = summaries
        .iter()
        .filter(|s| s.frequency > 0 && s.monetary_cents > 0.0)
        .map(|s| SpendHistory {
            x: f64::from(s.frequency),
            mean: s.monetary_cents / 100.0,
        })
        .collect();
    let clock = Instant::now();
    let spend = fit_spend(&spend_data)?;
    let spend_s = clock.elapsed().as_secs_f64();
    let clock = Instant::now();
    let values = value_customers(&bgnbd, Some(&spend), &summaries, &settings, 100.0, 40.0);
    let value_s = clock.elapsed().as_secs_f64();
    let pipeline_s = pipeline.elapsed().as_secs_f64();
    say(&format!(
        "summary {summary_s:.3} s, {} distinct (x, t_x, T) triples {triples_s:.3} s, BG/NBD fit {bgnbd_s:.3} s ({} iterations, converged {}), Gamma-Gamma fit {spend_s:.3} s ({} repeat customers), scores {value_s:.3} s",
        grouped.len(),
        bgnbd.iterations,
        bgnbd.converged,
        spend_data.len()
    ));
    say(&format!(
        "summary + BG/NBD + Gamma-Gamma + scores of {} customers: {pipeline_s:.3} s",
        values.len()
    ));
    for model in [PurchaseModel::MbgNbd, PurchaseModel::ParetoNbd] {
        let clock = Instant::now();
        let fit = fit_purchase(model, &grouped)?;
        say(&format!(
            "{} fit {:.3} s ({} iterations, converged {}, ln L {:.2})",
            model.label(),
            clock.elapsed().as_secs_f64(),
            fit.iterations,
            fit.converged,
            fit.log_likelihood
        ));
    }
    let input = EngineInput {
        purchases: &purchases,
        customers,
        end,
        settings,
        model: None,
        calibration_end: None,
        minor_per_major: 100.0,
    };
    let clock = Instant::now();
    let valuation = value_shop(&input, &mut |_, _| true)?;
    say(&format!(
        "whole engine (summary, backtest of 3 models, fits, Gamma-Gamma, scores): {:.3} s — {}",
        clock.elapsed().as_secs_f64(),
        valuation.reason
    ));
    say(&format!(
        "peak RSS {:.0} MiB",
        peak_rss_mib().unwrap_or(f64::NAN)
    ));
    Ok(())
}

/// Builds a demo database of `customers` customers in `db` (replaced), values it, then
/// draws the window headlessly (egui layout and tessellation, no GPU) and reports the CPU
/// time of one frame per view, and of the frame that switches to it. The charts and the
/// dashboard read aggregates computed with the valuation, so their frame cost must not grow
/// with the number of customers.
pub fn bench_frames(db: &Path, customers: usize, say: &mut dyn FnMut(&str)) -> anyhow::Result<()> {
    use crate::app::{Command, UiPrefs, View};
    use crate::ui::ClvDeskApp;

    valued_demo_database(db, customers, say)?;
    let clock = Instant::now();
    let mut app = ClvDeskApp::new(db, UiPrefs::default());
    let ctx = egui::Context::default();
    let frame = |app: &mut ClvDeskApp| -> f64 { headless_frame_ms(&ctx, app, Vec::new()) };
    let first = frame(&mut app);
    say(&format!(
        "open the window on it: {:.0} ms to the first frame ({first:.1} ms of it the frame)",
        clock.elapsed().as_secs_f64() * 1000.0
    ));
    for view in [
        View::Dashboard,
        View::ValueCharts,
        View::Customers,
        View::Import,
        View::Settings,
    ] {
        app.state.push(Command::Navigate(view));
        let switch = frame(&mut app) + frame(&mut app);
        let times: Vec<f64> = (0..60).map(|_| frame(&mut app)).collect();
        say(&format!(
            "{:<13} frame: {}; switching to it: {switch:.2} ms",
            view.label(),
            median_and_slowest(times)
        ));
    }
    say(&format!(
        "peak RSS {:.0} MiB",
        peak_rss_mib().unwrap_or(f64::NAN)
    ));
    Ok(())
}

/// Replaces the database at `db` with a valued demo shop of `customers` customers, saying
/// how long writing and valuing took.
fn valued_demo_database(
    db: &Path,
    customers: usize,
    say: &mut dyn FnMut(&str),
) -> anyhow::Result<()> {
    use crate::app::{Progress, load_demo};
    use crate::demo::DemoOptions;

    for suffix in ["", "-wal", "-shm"] {
        let path = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
        if path.exists() {
            std::fs::remove_file(&path)?;
        }
    }
    let clock = Instant::now();
    let mut store = Store::open(db)?;
    let options = DemoOptions {
        customers,
        seed: 7,
        end_date: chrono::Local::now().date_naive(),
        currency: crate::domain::Currency::USD,
    };
    load_demo(&mut store, &Progress::default(), &options)?;
    let orders = store.overview()?.orders;
    say(&format!(
        "demo shop: {customers} customers, {orders} orders written in {:.1} s",
        clock.elapsed().as_secs_f64()
    ));
    let clock = Instant::now();
    let words = crate::app::valuation::value_and_save(&mut store, &Progress::default())?;
    say(&format!(
        "valuation: {:.2} s ({words})",
        clock.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// One frame of the whole window drawn headlessly (layout and tessellation, no GPU) at
/// 1280×800 with these input events; its CPU time in milliseconds.
fn headless_frame_ms(
    ctx: &egui::Context,
    app: &mut crate::ui::ClvDeskApp,
    events: Vec<egui::Event>,
) -> f64 {
    let input = egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            egui::Pos2::ZERO,
            egui::vec2(1280.0, 800.0),
        )),
        events,
        ..egui::RawInput::default()
    };
    let start = Instant::now();
    let output = ctx.run_ui(input, |ui| app.show(ui));
    let _meshes = ctx.tessellate(output.shapes, output.pixels_per_point);
    start.elapsed().as_secs_f64() * 1000.0
}

/// "median 0.40 ms, slowest 1.10 ms (60 frames)".
fn median_and_slowest(mut times_ms: Vec<f64>) -> String {
    if times_ms.is_empty() {
        return "no frames".to_owned();
    }
    times_ms.sort_unstable_by(f64::total_cmp);
    format!(
        "median {:.2} ms, slowest {:.2} ms ({} frames)",
        times_ms[times_ms.len() / 2],
        times_ms[times_ms.len() - 1],
        times_ms.len()
    )
}

/// Builds a valued demo shop of `customers` (the `db` file is replaced), opens the window
/// headlessly on the Customers view, and times what an owner does there: the read of the
/// table, idle frames, scrolling, typing a search letter by letter, sorting by every
/// column, and the segment and slipping-away filters. Each frame includes applying what it
/// asked for (the commands run after the frame).
pub fn bench_customers(
    db: &Path,
    customers: usize,
    say: &mut dyn FnMut(&str),
) -> anyhow::Result<()> {
    use crate::app::customer_table::{CustomerQuery, SortColumn};
    use crate::app::{Command, UiPrefs, View};
    use crate::ui::ClvDeskApp;

    valued_demo_database(db, customers, say)?;
    let prefs = UiPrefs {
        last_view: View::Customers,
        ..UiPrefs::default()
    };
    let mut app = ClvDeskApp::new(db, prefs);
    let ctx = egui::Context::default();
    let clock = Instant::now();
    headless_frame_ms(&ctx, &mut app, Vec::new());
    while app.state.running_job().is_some() {
        app.state.wait_for_job();
    }
    let rows = app.state.customers.table.as_ref().map_or(0, |t| t.len());
    say(&format!(
        "customers table: {rows} rows read and indexed in {:.2} s (background job); RSS now {:.0} MiB",
        clock.elapsed().as_secs_f64(),
        rss_mib().unwrap_or(f64::NAN)
    ));
    if rows == 0 {
        anyhow::bail!("the customers table was not read");
    }
    let clock = Instant::now();
    let values = Store::open(db)?.customer_values()?;
    let read_s = clock.elapsed().as_secs_f64();
    let clock = Instant::now();
    let table = crate::app::customer_table::CustomerTable::build(values, String::new(), None);
    say(&format!(
        "  of which: SQL read {read_s:.2} s, search text and sort orders {:.2} s",
        clock.elapsed().as_secs_f64()
    ));
    drop(table);
    let reader = Store::open(db)?;
    let clock = Instant::now();
    let suggestions = reader.duplicate_suggestions()?;
    say(&format!(
        "possible duplicates: {} found in {:.2} s",
        suggestions.len(),
        clock.elapsed().as_secs_f64()
    ));
    let clock = Instant::now();
    let profile = reader.customer_profile(rows as i64 / 2)?;
    say(&format!(
        "one profile ({} orders): read in {:.1} ms",
        profile.map_or(0, |p| p.orders.len()),
        clock.elapsed().as_secs_f64() * 1000.0
    ));
    drop(reader);
    let frame =
        |app: &mut ClvDeskApp, events: Vec<egui::Event>| headless_frame_ms(&ctx, app, events);
    frame(&mut app, Vec::new());
    let idle: Vec<f64> = (0..60).map(|_| frame(&mut app, Vec::new())).collect();
    say(&format!("idle frame:        {}", median_and_slowest(idle)));

    let over_table = egui::pos2(640.0, 500.0);
    let scroll: Vec<f64> = (0..60)
        .map(|_| {
            frame(
                &mut app,
                vec![
                    egui::Event::PointerMoved(over_table),
                    egui::Event::MouseWheel {
                        unit: egui::MouseWheelUnit::Page,
                        delta: egui::vec2(0.0, -1.0),
                        phase: egui::TouchPhase::Move,
                        source: egui::MouseWheelSource::Unknown,
                        modifiers: egui::Modifiers::NONE,
                    },
                ],
            )
        })
        .collect();
    say(&format!(
        "scrolling a page:  {}",
        median_and_slowest(scroll)
    ));

    // A search typed letter by letter: the first letter searches every row, the next
    // ones only the previous matches.
    let mut typing = Vec::new();
    let mut answers = Vec::new();
    let word = "jones";
    for end in 1..=word.len() {
        app.state.push(Command::QueryCustomers(CustomerQuery {
            text: word[..end].to_owned(),
            ..CustomerQuery::default()
        }));
        let clock = Instant::now();
        typing.push(frame(&mut app, Vec::new()));
        while app.state.customers.is_searching() {
            std::thread::sleep(std::time::Duration::from_micros(200));
            typing.push(frame(&mut app, Vec::new()));
        }
        answers.push(clock.elapsed().as_secs_f64() * 1000.0);
    }
    say(&format!(
        "typing \"{word}\" (frames while the search runs on its own thread): {} — {} rows match",
        median_and_slowest(typing),
        app.state.customers.visible.len(),
    ));
    say(&format!(
        "  answer on screen after each letter: {} ms",
        answers
            .iter()
            .map(|t| format!("{t:.1}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let mut sorting = Vec::new();
    for column in SortColumn::ALL {
        for descending in [false, true] {
            app.state.push(Command::QueryCustomers(CustomerQuery {
                sort: Some(column),
                descending,
                ..CustomerQuery::default()
            }));
            sorting.push(frame(&mut app, Vec::new()));
        }
    }
    say(&format!(
        "sorting (each column both ways, all rows): {}",
        median_and_slowest(sorting)
    ));
    let mut filtering = Vec::new();
    let segments: Vec<_> = app
        .state
        .customers
        .table
        .as_ref()
        .map(|t| t.segment_totals.iter().map(|s| s.segment).collect())
        .unwrap_or_default();
    for segment in segments {
        app.state.push(Command::QueryCustomers(CustomerQuery {
            segment: Some(segment),
            sort: Some(SortColumn::Clv),
            descending: true,
            ..CustomerQuery::default()
        }));
        filtering.push(frame(&mut app, Vec::new()));
    }
    app.state.push(Command::QueryCustomers(CustomerQuery {
        at_risk_only: true,
        ..CustomerQuery::default()
    }));
    filtering.push(frame(&mut app, Vec::new()));
    say(&format!(
        "filtering (each segment, slipping away): {}",
        median_and_slowest(filtering)
    ));
    say(&format!(
        "peak RSS {:.0} MiB",
        peak_rss_mib().unwrap_or(f64::NAN)
    ));
    Ok(())
}
