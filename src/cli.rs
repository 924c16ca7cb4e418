//! The command line (design §5): no subcommand opens the window; subcommands script the
//! same operations. This is the application edge: errors become one message on stderr and
//! a non-zero exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};

use crate::app::{self, Progress, ThemeChoice, View};
use crate::build_info;
use crate::demo::DemoOptions;
use crate::store::{self, Store};
use crate::ui;

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
    },
    /// Fill the database with a demo shop (customers, orders, refunds, guest sales).
    Demo {
        /// Number of customers.
        #[arg(long, default_value_t = app::DEMO_CUSTOMERS)]
        customers: usize,
        /// Random seed: the same seed gives the same shop.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
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
        Err(err) => {
            eprintln!("clv-desk: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
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
        }) => {
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
            };
            let [w, h] = ui::screenshot::take_screenshot(&request)?;
            println!(
                "Saved {} ({w}x{h}) of the {} view.",
                out.display(),
                view.slug()
            );
            Ok(())
        }
        Some(CliCommand::Demo { customers, seed }) => {
            let mut store = Store::open(&db_path)?;
            let options = DemoOptions {
                customers,
                seed,
                end_date: chrono::Local::now().date_naive(),
                currency: store.business_settings()?.currency,
            };
            let message = app::load_demo(&mut store, &Progress::default(), &options)?;
            println!("{message} Database: {}", db_path.display());
            Ok(())
        }
    }
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
        // --db is global: accepted after the subcommand too.
        let cli =
            Cli::try_parse_from(["clv-desk", "demo", "--db", "x.sqlite", "--customers", "10"])
                .unwrap();
        assert_eq!(cli.db, Some(PathBuf::from("x.sqlite")));
    }
}
