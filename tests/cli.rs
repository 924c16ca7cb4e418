//! The `clv-desk` binary as scripts and owners call it: version, demo, errors on stderr
//! with a non-zero exit, and a screenshot of a real window under Xvfb.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is the failure report

mod common;

use common::{clv_desk, run, stderr};

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn version_names_the_release_and_commit() {
    let output = run(clv_desk().arg("--version"));
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.starts_with(&format!("clv-desk {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
}

#[test]
fn demo_fills_a_new_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.sqlite");
    let output =
        run(clv_desk()
            .arg("--db")
            .arg(&db)
            .args(["demo", "--customers", "120", "--seed", "5"]));
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("Demo data loaded: 120 customers"), "{text}");
    let conn = rusqlite::Connection::open(&db).unwrap();
    let customers: i64 = conn
        .query_row("SELECT count(*) FROM customers", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        customers,
        120 + 2,
        "plus the sample referrals' two coupon friends"
    );
}

#[test]
fn a_currency_code_not_in_use_is_refused_before_anything_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    let csv = dir.path().join("orders.csv");
    std::fs::write(
        &csv,
        "Order,Date,Email,Total\n1,2025-03-01,ann@example.org,10.00\n",
    )
    .unwrap();
    let output = run(clv_desk()
        .arg("--db")
        .arg(&db)
        .arg("import")
        .arg(&csv)
        .args(["--currency", "EUO"]));
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("'EUO' is not a currency in use"),
        "{}",
        stderr(&output)
    );
    assert!(!db.exists(), "nothing was opened or written");
}

#[test]
fn a_dry_run_of_several_files_counts_what_the_earlier_ones_would_add_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let scratch = dir.path().join("tmp");
    std::fs::create_dir(&scratch).unwrap();
    let db = dir.path().join("shop.sqlite");
    let march = dir.path().join("march.csv");
    let april = dir.path().join("march-april.csv");
    std::fs::write(
        &march,
        "Order,Date,Email,Total\n1001,2025-03-01,ann@example.org,10.00\n",
    )
    .unwrap();
    std::fs::write(
        &april,
        "Order,Date,Email,Total\n1001,2025-03-01,ann@example.org,10.00\n1002,2025-04-02,ann@example.org,12.00\n",
    )
    .unwrap();
    let output = run(clv_desk()
        .env("TMPDIR", &scratch)
        .arg("--db")
        .arg(&db)
        .arg("import")
        .arg(&march)
        .arg(&april)
        .arg("--dry-run"));
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("march.csv: would add 1 order, updated 0, 0 already there; 1 new customer"),
        "{text}"
    );
    assert!(
        text.contains("march-april.csv: would add 1 order, updated 0, 1 already there; 0 new customers, 1 matched"),
        "{text}"
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let orders: i64 = conn
        .query_row("SELECT count(*) FROM orders", [], |r| r.get(0))
        .unwrap();
    assert_eq!(orders, 0, "a dry run writes nothing");
    assert_eq!(
        std::fs::read_dir(&scratch).unwrap().count(),
        0,
        "the scratch copy is gone"
    );
}

#[test]
fn backup_writes_a_complete_copy_and_refuses_the_database_itself() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.sqlite");
    let demo =
        run(clv_desk()
            .arg("--db")
            .arg(&db)
            .args(["demo", "--customers", "60", "--seed", "2"]));
    assert!(demo.status.success(), "{}", stderr(&demo));
    let copy = dir.path().join("copy.sqlite");
    let output = run(clv_desk().arg("--db").arg(&db).arg("backup").arg(&copy));
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("Saved a backup copy of "), "{text}");
    let count = |path: &Path, sql: &str| -> i64 {
        rusqlite::Connection::open(path)
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    };
    for sql in [
        "SELECT count(*) FROM customers",
        "SELECT count(*) FROM orders",
        "SELECT count(*) FROM customer_scores",
    ] {
        assert_eq!(count(&copy, sql), count(&db, sql), "{sql}");
    }

    let itself = run(clv_desk().arg("--db").arg(&db).arg("backup").arg(&db));
    assert_eq!(itself.status.code(), Some(1));
    assert!(
        stderr(&itself).contains("is the database itself"),
        "{}",
        stderr(&itself)
    );
    assert_eq!(count(&db, "SELECT count(*) FROM customers"), 62);
}

#[test]
fn a_bad_database_file_is_an_error_message_and_exit_code_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("orders.csv");
    std::fs::write(&db, "Name,Email\n#1,a@b.c\n".repeat(5)).unwrap();
    let before = std::fs::read(&db).unwrap();
    let output = run(clv_desk().arg("--db").arg(&db).arg("demo"));
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.starts_with("clv-desk: "), "{message}");
    assert!(message.contains("is not a CLV Desk database"), "{message}");
    assert!(!message.contains("panicked"), "{message}");
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

#[test]
fn a_bad_view_name_lists_the_choices() {
    let output = run(clv_desk().args(["screenshot", "--view", "nope", "--out", "x.png"]));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("choose one of: dashboard, import, customers"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_tab_is_checked_by_name_and_view() {
    let output = run(clv_desk().args([
        "screenshot",
        "--view",
        "referrals",
        "--tab",
        "nope",
        "--out",
        "x.png",
    ]));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output)
            .contains("the referrals view has no tab 'nope'; choose one of: report, list, rules"),
        "{}",
        stderr(&output)
    );
    let dir = tempfile::tempdir().unwrap();
    let output = run(clv_desk()
        .arg("--db")
        .arg(dir.path().join("x.sqlite"))
        .args([
            "screenshot",
            "--view",
            "dashboard",
            "--tab",
            "list",
            "--out",
        ])
        .arg(dir.path().join("x.png")));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("the dashboard view has no tabs"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("x.png").exists());
}

#[test]
fn screenshot_without_a_display_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(clv_desk()
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .arg("--db")
        .arg(dir.path().join("x.sqlite"))
        .args(["screenshot", "--view", "dashboard", "--out"])
        .arg(dir.path().join("x.png")));
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no display"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("x.png").exists());
}

/// An X server for the test: the one in `DISPLAY`, or a private Xvfb started here.
enum Display {
    Existing(String),
    Started { name: String, child: Child },
}

impl Display {
    fn name(&self) -> &str {
        match self {
            Display::Existing(name) | Display::Started { name, .. } => name,
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Display::Started { child, .. } = self {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn find_xvfb() -> Option<PathBuf> {
    std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join("Xvfb"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .find(|p| p.is_file())
}

fn display_for_test() -> Option<Display> {
    if let Ok(name) = std::env::var("DISPLAY")
        && !name.is_empty()
    {
        return Some(Display::Existing(name));
    }
    let xvfb = find_xvfb()?;
    // Each test of this process gets a display number of its own (two tests starting at
    // once found the same free number, and the first to end took the other's server away);
    // a number another program holds (its lock file in /tmp/.X<n>-lock, or a server that
    // will not start) is passed over.
    static TAKEN: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    for _ in 0..50 {
        let number = 200
            + std::process::id() % 500
            + TAKEN.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if Path::new(&format!("/tmp/.X{number}-lock")).exists() {
            continue;
        }
        let name = format!(":{number}");
        let mut child = Command::new(&xvfb)
            .args([
                name.as_str(),
                "-screen",
                "0",
                "1600x1200x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let socket = PathBuf::from(format!("/tmp/.X11-unix/X{number}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if matches!(child.try_wait(), Ok(Some(_))) {
                break; // Not ours to use: try the next number.
            }
            if socket.exists() {
                return Some(Display::Started { name, child });
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    None
}

#[test]
fn screenshot_renders_a_real_window_at_the_requested_size() {
    let Some(display) = display_for_test() else {
        println!(
            "SKIPPED: no DISPLAY and no Xvfb on PATH (install the xvfb package; .ci/run does)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shot.sqlite");
    assert!(
        run(clv_desk()
            .arg("--db")
            .arg(&db)
            .args(["demo", "--customers", "200"]))
        .status
        .success()
    );

    for (view, size) in [("dashboard", (900u32, 600u32)), ("settings", (1024, 700))] {
        let png = dir.path().join(format!("{view}.png"));
        let output = run(clv_desk()
            .env("DISPLAY", display.name())
            .env_remove("WAYLAND_DISPLAY")
            .arg("--db")
            .arg(&db)
            .args([
                "screenshot",
                "--view",
                view,
                "--size",
                &format!("{}x{}", size.0, size.1),
                "--out",
            ])
            .arg(&png));
        assert!(output.status.success(), "{view}: {}", stderr(&output));

        let image = image::open(&png).expect("a PNG").to_rgba8();
        assert_eq!((image.width(), image.height()), size, "{view}");
        let mut colours: Vec<[u8; 4]> = image.pixels().map(|p| p.0).collect();
        colours.sort_unstable();
        colours.dedup();
        assert!(
            colours.len() > 20,
            "{view}: only {} colours — a blank window?",
            colours.len()
        );
    }
}

/// "Save as PNG…" of one chart, through the same command the file dialog leads to, in a
/// real window: the picture is the chart, not the window; a chart that is not on screen is
/// refused with the reason.
#[test]
fn one_chart_is_saved_as_a_png_in_a_real_window() {
    let Some(display) = display_for_test() else {
        println!(
            "SKIPPED: no DISPLAY and no Xvfb on PATH (install the xvfb package; .ci/run does)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("charts.sqlite");
    assert!(
        run(clv_desk()
            .arg("--db")
            .arg(&db)
            .args(["demo", "--customers", "300"]))
        .status
        .success()
    );
    let chart = |view: &str, png: &Path| {
        run(clv_desk()
            .env("DISPLAY", display.name())
            .env_remove("WAYLAND_DISPLAY")
            .arg("--db")
            .arg(&db)
            .args([
                "screenshot",
                "--view",
                view,
                "--size",
                "1200x1400",
                "--chart",
                "What are your customers worth?",
                "--out",
            ])
            .arg(png))
    };
    let png = dir.path().join("distribution.png");
    let output = chart("charts", &png);
    assert!(output.status.success(), "{}", stderr(&output));
    let image = image::open(&png).expect("a PNG").to_rgba8();
    assert!(
        image.width() > 600 && image.width() < 1200,
        "{}",
        image.width()
    );
    assert!(
        image.height() > 250 && image.height() < 800,
        "{}",
        image.height()
    );

    let elsewhere = dir.path().join("elsewhere.png");
    let output = chart("dashboard", &elsewhere);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("is not on screen"),
        "{}",
        stderr(&output)
    );
    assert!(!elsewhere.exists());
}

#[test]
fn an_import_whose_reader_stops_listening_ends_quietly_not_in_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("orders.csv");
    std::fs::write(
        &file,
        "Invoice,Date,Email,Amount\n1,2025-03-04,a@x.com,10.00\n2,2025-03-05,b@x.com,12.00\n",
    )
    .unwrap();
    // As `clv-desk import … | head -0`: the pipe is closed before anything is written.
    let mut child = clv_desk()
        .arg("--db")
        .arg(dir.path().join("shop.sqlite"))
        .arg("import")
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let message = stderr(&output);
    assert!(!message.contains("panicked"), "{message}");
    assert!(output.status.success(), "{message}");
}
