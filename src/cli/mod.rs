//! The command line (design §5): no subcommand opens the window; subcommands script the
//! same operations. This is the application edge: errors become one message on stderr and
//! a non-zero exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};

use crate::app::{self, Progress, ThemeChoice, View};
use crate::build_info;
use crate::clv::purchase::PurchaseModel;
use crate::demo::DemoOptions;
use crate::domain::Currency;
use crate::import::{DateOrder, DecimalSeparator, Field, ImportOptions, PresetId};
use crate::store::{self, Store};
use crate::ui;
use chrono::NaiveDate;

/// `println!` that hands a closed standard output (`clv-desk import … | head`) back as an
/// error for `main` to end on quietly, where `println!` would panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)?
    }};
}

mod values;

/// CLV Desk: what your customers are worth, from the order history you already have.
#[derive(Debug, Parser)]
#[command(name = "clv-desk", version = build_info::LONG_VERSION)]
pub struct Cli {
    /// Database file to use (created if missing). Default: clv-desk.sqlite in your data folder.
    #[arg(long, global = true, value_name = "FILE")]
    pub db: Option<PathBuf>,

    /// What to do; without one, the window opens.
    #[command(subcommand)]
    pub command: Option<CliCommand>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum CliCommand {
    /// Open a real window on the database, render one view and save it as a PNG.
    Screenshot {
        /// View to show: dashboard, import, customers, charts, loyalty, referrals, care, settings.
        #[arg(long, value_name = "NAME", value_parser = parse_view)]
        view: View,
        /// PNG file to write.
        #[arg(long, value_name = "FILE.png")]
        out: PathBuf,
        /// Window size in pixels.
        #[arg(long, value_name = "WxH", default_value = "1280x800", value_parser = parse_size)]
        size: [u32; 2],
        /// Colour theme.
        #[arg(long, value_enum, default_value_t = ThemeArg::Light)]
        theme: ThemeArg,
        /// Read this file into the import preview first (nothing is imported).
        #[arg(long, value_name = "FILE")]
        import_preview: Vec<PathBuf>,
        /// Save only the chart with this title (as "Save as PNG…" does), e.g.
        /// --view charts --chart "Where does your revenue come from?".
        #[arg(long, value_name = "TITLE")]
        chart: Option<String>,
        /// Open this customer's profile first (with --view customers).
        #[arg(long, value_name = "ID")]
        customer: Option<i64>,
        /// Show this tab of the view: loyalty (program, replay, members, ledger), referrals
        /// (report, list, rules) or care (queue, rules, messages, disputes, results).
        #[arg(long, value_name = "NAME")]
        tab: Option<String>,
    },
    /// Import sales exports (Shopify, Square, Stripe, PayPal, Etsy, WooCommerce, Amazon, eBay,
    /// QuickBooks, Online Retail, CDNOW, or any spreadsheet).
    Import {
        /// Files to import (CSV, TSV, TXT, XLSX, XLS, ODS).
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Platform of the files, or `auto` to recognise it from the header.
        #[arg(long, value_name = "NAME", default_value = "auto", value_parser = parse_preset)]
        preset: PresetChoice,
        /// Use COLUMN for FIELD (order_id, date, email, customer_id, name, phone, amount,
        /// quantity, unit_price, refund, discount, status, coupon, currency, product, time, kind).
        #[arg(long = "map", value_name = "FIELD=COLUMN", value_parser = parse_map)]
        map: Vec<(Field, String)>,
        /// Day/month order of numeric dates, when the file leaves it open.
        #[arg(long, value_name = "dmy|mdy|ymd", value_parser = parse_date_order)]
        date_order: Option<DateOrder>,
        /// Decimal separator of amounts.
        #[arg(long, value_enum)]
        decimal: Option<DecimalArg>,
        /// Currency of files that name none (ISO code).
        #[arg(long, value_name = "CODE", value_parser = parse_currency)]
        currency: Option<Currency>,
        /// Exchange rate from the file's currency to the database's, when they differ.
        #[arg(long, value_name = "RATE")]
        rate: Option<f64>,
        /// Read and check the files and report what would change, without writing.
        #[arg(long)]
        dry_run: bool,
        /// Print one JSON object per file on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Measure speed and memory on generated data (run it in a release build).
    Bench {
        /// What to measure.
        #[command(subcommand)]
        what: BenchCommand,
    },
    /// Fit a purchase model (and Gamma-Gamma spend) to the database's orders, value every
    /// customer and record the run; prints the fit.
    Fit {
        /// Purchase model; without it the model is chosen by backtest (or BIC).
        #[arg(long, value_name = "bgnbd|mbgnbd|pareto-nbd", value_parser = parse_purchase_model)]
        model: Option<PurchaseModel>,
        /// Model time unit.
        #[arg(long, value_enum, default_value_t = PeriodArg::Week)]
        period: PeriodArg,
        /// Observation end (YYYY-MM-DD); default the day of the latest order.
        #[arg(long, value_name = "DATE")]
        end: Option<NaiveDate>,
        /// Backtest: fit on the orders up to this day and predict the rest (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        holdout_from: Option<NaiveDate>,
        /// Print one JSON object on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Fit a model to an RFM summary file (columns frequency, recency, T and, for
    /// gamma-gamma, monetary_value; any time unit). Needs no database.
    FitSummary {
        /// The summary CSV.
        #[arg(value_name = "FILE.csv")]
        file: PathBuf,
        /// bgnbd, mbgnbd, pareto-nbd or gamma-gamma.
        #[arg(long, value_name = "MODEL", value_parser = parse_summary_model)]
        model: SummaryModel,
        /// Print one JSON object on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Every customer with orders, revenue and lifetime value, one row each.
    Customers {
        /// Output format.
        #[arg(long, value_enum, default_value_t = FormatArg::Csv)]
        format: FormatArg,
        /// Value over this many weeks instead of the horizon in Settings.
        #[arg(long, value_name = "N")]
        horizon_weeks: Option<f64>,
        /// Monthly discount rate instead of the one in Settings: 0.01 or 1%.
        #[arg(long, value_name = "R", value_parser = parse_fraction)]
        discount_rate: Option<f64>,
        /// Gross margin instead of the one in Settings: 0.3 or 30%.
        #[arg(long, value_name = "M", value_parser = parse_fraction)]
        margin: Option<f64>,
    },
    /// Save a complete copy of the database to OUT (replacing a file there), safe while the
    /// window has the database open.
    Backup {
        /// Where to write the copy.
        #[arg(value_name = "OUT")]
        out: PathBuf,
    },
    /// Fill the database with a demo shop (customers, orders, refunds, guest sales).
    Demo {
        /// Number of customers.
        #[arg(long, default_value_t = app::DEMO_CUSTOMERS)]
        customers: usize,
        /// Random seed: the same seed gives the same shop.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write the shop as a sales export to this file instead of filling the database.
        #[arg(long, value_name = "OUT")]
        csv: Option<PathBuf>,
        /// Layout of the --csv file.
        #[arg(long, value_enum, default_value_t = ExportFormatArg::Shopify, requires = "csv")]
        format: ExportFormatArg,
    },
}

/// The benchmarks.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Import a generated Shopify-shaped export into a new database (the --db file, which is
    /// replaced) and report wall time and peak memory.
    Import {
        /// Line-item rows in the generated file.
        #[arg(long, default_value_t = 1_000_000)]
        lines: usize,
        /// Where the generated export is kept (reused when it exists).
        #[arg(long, value_name = "FILE", default_value = "bench-shopify-export.csv")]
        csv: PathBuf,
        /// Time the window's way instead (the preview reads the whole file, then the
        /// write), rather than `clv-desk import`'s (the write overlaps the reading).
        #[arg(long)]
        two_phase: bool,
    },
    /// Build a demo database (the --db file, which is replaced) and time the window's
    /// frames headlessly, per view.
    Frames {
        /// Customers in the demo shop.
        #[arg(long, default_value_t = 200_000)]
        customers: usize,
    },
    /// Build a demo database (the --db file, which is replaced) and time the Customers
    /// view headlessly: reading the table, idle, scrolling, typing a search, sorting, filtering.
    Customers {
        /// Customers in the demo shop.
        #[arg(long, default_value_t = 500_000)]
        customers: usize,
    },
    /// Simulate a shop and time the CLV pipeline: summary, fits, scores, the whole engine.
    Clv {
        /// Customers to simulate.
        #[arg(long, default_value_t = 200_000)]
        customers: usize,
        /// Random seed.
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
}

/// `demo --format` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormatArg {
    /// Shopify's orders export: one row per line item.
    Shopify,
    /// One row per order with plain column names.
    Generic,
}

/// `--period` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PeriodArg {
    /// Days.
    Day,
    /// Weeks (days / 7).
    Week,
}

/// `--format` values of `customers`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Comma-separated values with a header (opens in Excel and LibreOffice).
    Csv,
    /// One JSON array of objects.
    Json,
}

/// What `fit-summary` fits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SummaryModel {
    /// A purchase model.
    Purchase(PurchaseModel),
    /// The Gamma-Gamma spend model.
    GammaGamma,
}

fn parse_purchase_model(name: &str) -> Result<PurchaseModel, String> {
    PurchaseModel::from_name(name)
        .ok_or_else(|| format!("unknown model '{name}'; choose bgnbd, mbgnbd or pareto-nbd"))
}

fn parse_summary_model(name: &str) -> Result<SummaryModel, String> {
    let normal = name.trim().to_ascii_lowercase().replace(['_', '/'], "-");
    if normal == "gamma-gamma" || normal == "gammagamma" {
        return Ok(SummaryModel::GammaGamma);
    }
    PurchaseModel::from_name(name)
        .map(SummaryModel::Purchase)
        .ok_or_else(|| {
            format!("unknown model '{name}'; choose bgnbd, mbgnbd, pareto-nbd or gamma-gamma")
        })
}

/// `0.3` or `30%` as the fraction 0.3; must be in [0, 1).
fn parse_fraction(text: &str) -> Result<f64, String> {
    let trimmed = text.trim();
    let value = match trimmed.strip_suffix('%') {
        Some(pct) => pct.trim().parse::<f64>().map(|v| v / 100.0),
        None => trimmed.parse::<f64>(),
    }
    .map_err(|_| format!("'{text}' is not a rate like 0.3 or 30%"))?;
    if (0.0..1.0).contains(&value) {
        Ok(value)
    } else {
        Err(format!("'{text}' must be at least 0 and below 100%"))
    }
}

/// `--preset` value: a platform, or recognise it from the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PresetChoice {
    /// Recognise the platform from the header.
    Auto,
    /// This platform.
    Preset(PresetId),
}

/// `--decimal` values.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DecimalArg {
    /// 1,234.56
    Dot,
    /// 1.234,56
    Comma,
}

fn parse_preset(name: &str) -> Result<PresetChoice, String> {
    if name.eq_ignore_ascii_case("auto") {
        return Ok(PresetChoice::Auto);
    }
    PresetId::from_name(name)
        .map(PresetChoice::Preset)
        .ok_or_else(|| {
            let names: Vec<&str> = PresetId::ALL.iter().map(|p| p.name()).collect();
            format!(
                "unknown preset '{name}'; choose auto or one of: {}",
                names.join(", ")
            )
        })
}

fn parse_map(text: &str) -> Result<(Field, String), String> {
    let (field, column) = text
        .split_once('=')
        .ok_or_else(|| format!("'{text}' is not FIELD=COLUMN, e.g. date=\"Order Date\""))?;
    let field = Field::from_key(field).ok_or_else(|| {
        let keys: Vec<&str> = Field::MAPPABLE.iter().map(|f| f.key()).collect();
        format!("unknown field '{field}'; fields are: {}", keys.join(", "))
    })?;
    Ok((field, column.trim().to_owned()))
}

fn parse_date_order(text: &str) -> Result<DateOrder, String> {
    DateOrder::from_code(text).ok_or_else(|| format!("'{text}' is not dmy, mdy or ymd"))
}

fn parse_currency(text: &str) -> Result<Currency, String> {
    match Currency::parse(text) {
        Some(currency) if currency.is_in_use() => Ok(currency),
        Some(_) => Err(format!(
            "'{text}' is not a currency in use; give its ISO 4217 code, such as USD, EUR or GBP"
        )),
        None => Err(format!("'{text}' is not a three-letter currency code")),
    }
}

/// `--theme` values.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ThemeArg {
    /// Light background.
    Light,
    /// Dark background.
    Dark,
}

fn parse_view(name: &str) -> Result<View, String> {
    View::from_slug(name).ok_or_else(|| {
        let names: Vec<&str> = View::ALL.iter().map(|v| v.slug()).collect();
        format!("unknown view '{name}'; choose one of: {}", names.join(", "))
    })
}

fn parse_size(text: &str) -> Result<[u32; 2], String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("'{text}' is not a size like 1280x800"))?;
    let parse = |v: &str| -> Result<u32, String> {
        let n: u32 = v
            .trim()
            .parse()
            .map_err(|_| format!("'{text}' is not a size like 1280x800"))?;
        if (200..=8192).contains(&n) {
            Ok(n)
        } else {
            Err(format!("{n} is outside 200–8192 pixels"))
        }
    };
    Ok([parse(w)?, parse(h)?])
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // `clv-desk customers | head`: the reader stopped listening; nothing went wrong.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("clv-desk: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<csv::Error>()
                .is_some_and(|e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe))
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    // Needs no database: do not create the data folder for it.
    if let Some(CliCommand::FitSummary { file, model, json }) = &cli.command {
        return values::fit_summary(file, *model, *json);
    }
    let db_path = resolve_db_path(cli.db)?;
    match cli.command {
        None => {
            ui::run_window(&db_path).map_err(|e| anyhow::anyhow!("could not open the window: {e}"))
        }
        Some(CliCommand::Screenshot {
            view,
            out,
            size,
            theme,
            import_preview,
            chart,
            customer,
            tab,
        }) => {
            let tab = tab
                .map(|slug| ui::ViewTab::of(view, &slug))
                .transpose()
                .map_err(anyhow::Error::msg)?;
            // Refuse a broken database here, with its message, rather than photographing
            // the error screen.
            drop(Store::open(&db_path)?);
            let request = ui::screenshot::ScreenshotRequest {
                db_path,
                view,
                out: out.clone(),
                size,
                theme: match theme {
                    ThemeArg::Light => ThemeChoice::Light,
                    ThemeArg::Dark => ThemeChoice::Dark,
                },
                import_preview,
                chart,
                customer,
                tab,
            };
            let [w, h] = ui::screenshot::take_screenshot(&request)?;
            say!(
                "Saved {} ({w}x{h}) of the {} view.",
                out.display(),
                view.slug()
            );
            Ok(())
        }
        Some(CliCommand::Import {
            paths,
            preset,
            map,
            date_order,
            decimal,
            currency,
            rate,
            dry_run,
            json,
        }) => {
            let options = ImportOptions {
                preset: match preset {
                    PresetChoice::Auto => None,
                    PresetChoice::Preset(p) => Some(p),
                },
                overrides: map,
                date_order,
                decimal: decimal.map(|d| match d {
                    DecimalArg::Dot => DecimalSeparator::Dot,
                    DecimalArg::Comma => DecimalSeparator::Comma,
                }),
                currency,
                exchange_rate: rate,
                ..ImportOptions::default()
            };
            import_files(&db_path, &paths, &options, dry_run, json)
        }
        Some(CliCommand::Bench {
            what:
                BenchCommand::Import {
                    lines,
                    csv,
                    two_phase,
                },
        }) => {
            for line in crate::bench::bench_import(&csv, &db_path, lines, two_phase)? {
                say!("{line}");
            }
            Ok(())
        }
        Some(CliCommand::Bench {
            what: BenchCommand::Frames { customers },
        }) => crate::bench::bench_frames(&db_path, customers, &mut |line| println!("{line}")),
        Some(CliCommand::Bench {
            what: BenchCommand::Customers { customers },
        }) => crate::bench::bench_customers(&db_path, customers, &mut |line| println!("{line}")),
        Some(CliCommand::Bench {
            what: BenchCommand::Clv { customers, seed },
        }) => crate::bench::bench_clv(customers, seed, &mut |line| println!("{line}")),
        Some(CliCommand::Fit {
            model,
            period,
            end,
            holdout_from,
            json,
        }) => values::fit(&db_path, model, period, end, holdout_from, json),
        Some(CliCommand::FitSummary { file, model, json }) => {
            values::fit_summary(&file, model, json)
        }
        Some(CliCommand::Customers {
            format,
            horizon_weeks,
            discount_rate,
            margin,
        }) => values::customers(&db_path, format, horizon_weeks, discount_rate, margin),
        Some(CliCommand::Backup { out }) => {
            let store = Store::open(&db_path)?;
            match store.save_copy(&out, &|| false)? {
                Some(bytes) => say!(
                    "Saved a backup copy of {} to {} ({}).",
                    db_path.display(),
                    out.display(),
                    crate::domain::megabytes(bytes)
                ),
                None => anyhow::bail!("the backup copy was stopped; nothing was written"),
            }
            Ok(())
        }
        Some(CliCommand::Demo {
            customers,
            seed,
            csv: Some(out),
            format,
        }) => {
            let options = DemoOptions {
                customers,
                seed,
                end_date: chrono::Local::now().date_naive(),
                currency: Currency::USD,
            };
            let orders = crate::demo::demo_orders(&options);
            let file = std::fs::File::create(&out)
                .with_context(|| format!("cannot create {}", out.display()))?;
            let format = match format {
                ExportFormatArg::Shopify => crate::export::orders_csv::OrdersFormat::Shopify,
                ExportFormatArg::Generic => crate::export::orders_csv::OrdersFormat::Generic,
            };
            let rows = crate::export::orders_csv::write_orders_csv(
                std::io::BufWriter::new(file),
                &orders,
                format,
            )
            .with_context(|| format!("cannot write {}", out.display()))?;
            say!(
                "Wrote {} orders ({rows} rows) of {customers} demo customers to {}.",
                orders.len(),
                out.display()
            );
            Ok(())
        }
        Some(CliCommand::Demo {
            customers,
            seed,
            csv: None,
            ..
        }) => {
            let mut store = Store::open(&db_path)?;
            let options = DemoOptions {
                customers,
                seed,
                end_date: chrono::Local::now().date_naive(),
                currency: store.business_settings()?.currency,
            };
            let message = app::load_demo(&mut store, &Progress::default(), &options)?;
            say!("{message} Database: {}", db_path.display());
            say!("{}", values::value_after_write(&mut store)?);
            Ok(())
        }
    }
}

/// Imports each file in turn; a refused file is reported on stderr and the others go on.
/// A dry run of several files imports them into a scratch copy of the database (removed
/// when done), so each file's result counts what the files before it would have added.
fn import_files(
    db_path: &std::path::Path,
    paths: &[PathBuf],
    options: &ImportOptions,
    dry_run: bool,
    json: bool,
) -> anyhow::Result<()> {
    let mut store = Store::open(db_path)?;
    // Kept while the scratch copy is in use; dropping it removes the folder.
    let mut scratch: Option<tempfile::TempDir> = None;
    if dry_run && paths.len() > 1 {
        let dir = tempfile::Builder::new()
            .prefix("clv-desk-dry-run-")
            .tempdir()
            .context("cannot make a scratch folder for the dry run")?;
        let copy = dir.path().join("dry-run.sqlite");
        store.save_copy(&copy, &|| false)?;
        store = Store::open(&copy)?;
        scratch = Some(dir);
    }
    let mut failed = 0;
    // The words of a valuation made with the import, when there was one.
    let mut valued: Option<String> = None;
    for path in paths {
        let file = path.display().to_string();
        let large = std::fs::metadata(path).is_ok_and(|m| m.len() > 8 * 1024 * 1024);
        let started = std::time::Instant::now();
        let mut last_report = started;
        let mut progress = |fraction: f32, rows: u64| {
            if large && last_report.elapsed().as_secs_f32() >= 1.0 {
                last_report = std::time::Instant::now();
                eprintln!(
                    "clv-desk: reading {}",
                    app::import::progress_words(&file, fraction, rows, started)
                );
            }
            true
        };
        let result = if dry_run && scratch.is_some() {
            // Written for real, into the copy: what it would add.
            app::import::import_streamed(&mut store, path, options.clone(), &mut progress).map(
                |mut result| {
                    result.dry_run = true;
                    result
                },
            )
        } else if dry_run {
            app::import::stage(&store, path, options.clone(), &mut progress)
                .and_then(|staged| app::import::write(&mut store, staged, true, &mut |_| true))
        } else if paths.len() == 1 {
            // One file: valued as soon as it can be (while the write finishes, into an
            // empty database).
            app::import::import_and_value(&mut store, path, options.clone(), &mut progress).map(
                |(result, computed)| {
                    valued = computed.map(|c| app::valuation::result_words(&c));
                    result
                },
            )
        } else {
            app::import::import_streamed(&mut store, path, options.clone(), &mut progress)
        };
        match result {
            Ok(result) if json => say!("{}", result.to_json()),
            Ok(result) => {
                for line in result.summary_lines() {
                    say!("{line}");
                }
            }
            Err(e) => {
                eprintln!("clv-desk: {e}");
                failed += 1;
            }
        }
    }
    if !dry_run && failed < paths.len() {
        let words = match valued {
            Some(words) => words,
            None => values::value_after_write(&mut store)?,
        };
        if json {
            eprintln!("clv-desk: {words}");
        } else {
            say!("{words}");
        }
    }
    drop(store);
    drop(scratch);
    if failed > 0 {
        anyhow::bail!("{failed} of {} files were not imported", paths.len());
    }
    Ok(())
}

/// `--db`, or the default file in the OS data folder (whose folder is created).
fn resolve_db_path(db: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(path) = db {
        return Ok(path);
    }
    let path = store::default_db_path()
        .context("cannot find your data folder (no home directory); pass --db FILE")?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data folder {}", dir.display()))?;
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_bad_ones_explain() {
        assert_eq!(parse_size("1280x800"), Ok([1280, 800]));
        assert_eq!(parse_size("640X480"), Ok([640, 480]));
        assert!(parse_size("1280").unwrap_err().contains("1280x800"));
        assert!(parse_size("10x10").unwrap_err().contains("outside"));
    }

    #[test]
    fn view_names_list_the_choices() {
        assert_eq!(parse_view("charts"), Ok(View::ValueCharts));
        assert!(parse_view("x").unwrap_err().contains("dashboard, import"));
    }

    #[test]
    fn command_line_parses_per_design() {
        let cli = Cli::try_parse_from([
            "clv-desk",
            "--db",
            "shop.sqlite",
            "screenshot",
            "--view",
            "care",
            "--out",
            "c.png",
        ])
        .unwrap();
        assert_eq!(cli.db, Some(PathBuf::from("shop.sqlite")));
        assert!(matches!(
            cli.command,
            Some(CliCommand::Screenshot {
                view: View::Care,
                size: [1280, 800],
                ..
            })
        ));
        let cli = Cli::try_parse_from([
            "clv-desk",
            "import",
            "a.csv",
            "b.csv",
            "--preset",
            "shopify",
            "--map",
            "date=Created at",
            "--json",
        ])
        .unwrap();
        match cli.command {
            Some(CliCommand::Import {
                paths,
                preset,
                map,
                json,
                dry_run,
                ..
            }) => {
                assert_eq!(paths.len(), 2);
                assert_eq!(preset, PresetChoice::Preset(PresetId::Shopify));
                assert_eq!(map, vec![(Field::Date, "Created at".to_owned())]);
                assert!(json && !dry_run);
            }
            other => panic!("{other:?}"),
        }
        assert!(Cli::try_parse_from(["clv-desk", "import", "a.csv", "--preset", "nope"]).is_err());
        assert!(Cli::try_parse_from(["clv-desk", "import", "a.csv", "--map", "colour=x"]).is_err());
        // --db is global: accepted after the subcommand too.
        let cli =
            Cli::try_parse_from(["clv-desk", "demo", "--db", "x.sqlite", "--customers", "10"])
                .unwrap();
        assert_eq!(cli.db, Some(PathBuf::from("x.sqlite")));
    }
}
