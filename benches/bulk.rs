//! The end-to-end benchmark: one run, five cases, side by side.
//!
//!   cargo bench -p stevedore --bench bulk                 # N = 100,000 and 500,000
//!   cargo bench -p stevedore --bench bulk -- --lines 20000 # a quick run
//!   cargo bench -p stevedore --bench bulk -- --cases bulk,floor --lines 500000 --repeat 5
//!
//! The bulk and floor cases run `--repeat` times (3 unless given) and report their median run.
//! Only a run of every case writes `benches/results`.
//!
//! Every case that involves the server starts a fresh `stevedore serve` process (release
//! build) on a temporary data directory, so its peak RSS (`VmHWM`) is the case's own. The input
//! is generated: productCreate lines of about 200 bytes with title, productType, vendor,
//! descriptionHtml and tags.
//!
//! 1. bulk import: staged upload, `bulkOperationRunMutation`, polling until COMPLETED, download;
//! 2. synchronous baseline: the same lines as single `productCreate` calls, 16 connections;
//! 3. floor: the same lines parsed and inserted into the same SQLite schema with one prepared
//!    statement in large transactions, one result line written per input: no HTTP, no GraphQL,
//!    no engine;
//! 4. upload only: a 100 MB multipart upload;
//! 5. latency: a 10-line operation, from the run's response to COMPLETED, polled every 2 ms;
//!    the median of 20.
//!
//! It prints a Markdown table and the ratios, and writes `benches/results/latest.json` and
//! `benches/results/lines-per-second.svg`.

mod product_set;

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use stevedore_client::Client;

const BIN: &str = env!("CARGO_BIN_EXE_stevedore");
const TOKEN: &str = "shpat_bench";
const MUTATION: &str = "mutation call($input: ProductInput!) { productCreate(input: $input) { product { id } userErrors { field message } } }";
/// Synchronous calls are rate limited like the hosted API unless raised: the synchronous case
/// measures the server, not the limit (at the Standard plan's 100 points a second it would be
/// ten productCreate calls a second).
const UNLIMITED: &str = "100000000";

struct Measured {
    case: String,
    lines: u64,
    bytes: u64,
    wall: Duration,
    peak_rss_kib: Option<u64>,
    note: String,
}

impl Measured {
    /// Whether the case ran its lines: the upload's file has lines, but none of them is run,
    /// so it has no line rate.
    fn runs_lines(&self) -> bool {
        !self.case.starts_with("upload")
    }

    fn lines_per_second(&self) -> f64 {
        self.lines as f64 / self.wall.as_secs_f64()
    }

    fn megabytes_per_second(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.wall.as_secs_f64()
    }
}

/// What a run measures: which cases, for which sizes, how many times.
struct Plan {
    sizes: Vec<u64>,
    cases: Vec<Case>,
    /// Products in the realistic import.
    products: u64,
    /// Runs of each bulk and floor case; the median run is the one reported. The synchronous
    /// case runs once: at about 1,600 lines a second it takes minutes, and varies less.
    repeat: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    Bulk,
    Sync,
    Floor,
    Upload,
    Latency,
    /// The realistic import: `productSet` lines (see `product_set`).
    Set,
    SetFloor,
}

impl Case {
    const ALL: [Case; 7] = [
        Case::Bulk,
        Case::Sync,
        Case::Floor,
        Case::Upload,
        Case::Latency,
        Case::Set,
        Case::SetFloor,
    ];

    fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "bulk" => Case::Bulk,
            "sync" => Case::Sync,
            "floor" => Case::Floor,
            "upload" => Case::Upload,
            "latency" => Case::Latency,
            "set" => Case::Set,
            "set-floor" => Case::SetFloor,
            _ => bail!("unknown case {name}: bulk, sync, floor, upload, latency, set or set-floor"),
        })
    }
}

impl Plan {
    fn from_args(args: &[String]) -> Result<Self> {
        let value = |flag: &str| {
            args.iter()
                .position(|a| a == flag)
                .map(|at| {
                    args.get(at + 1)
                        .with_context(|| format!("{flag} takes a value"))
                })
                .transpose()
        };
        let sizes = match value("--lines")? {
            Some(list) => list
                .split(',')
                .map(|n| n.parse().context("--lines takes numbers"))
                .collect::<Result<_>>()?,
            None => vec![100_000, 500_000],
        };
        let cases = match value("--cases")? {
            Some(list) => list.split(',').map(Case::parse).collect::<Result<_>>()?,
            None => Case::ALL.to_vec(),
        };
        let products = match value("--products")? {
            Some(n) => n.parse().context("--products takes a number")?,
            None => 200_000,
        };
        let repeat = match value("--repeat")? {
            Some(n) => n.parse().context("--repeat takes a number")?,
            None => 3,
        };
        if repeat == 0 {
            bail!("--repeat must be at least 1");
        }
        Ok(Self {
            sizes,
            cases,
            products,
            repeat,
        })
    }

    fn runs(&self, case: Case) -> bool {
        self.cases.contains(&case)
    }

    /// Only a run of every case writes the results and the chart that BENCHMARKS.md shows.
    fn is_complete(&self) -> bool {
        Case::ALL.iter().all(|case| self.runs(*case))
    }
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let plan = Plan::from_args(&args)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(run(&plan))
}

/// Runs a case `times` times and keeps the median run by wall time, noting every run's rate:
/// on a shared 2-core machine one run of the same binary can be a fifth slower than the next.
async fn median_of<F, Fut>(times: usize, mut case: F) -> Result<Measured>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Measured>>,
{
    let mut runs = Vec::with_capacity(times);
    for _ in 0..times {
        runs.push(case().await?);
    }
    runs.sort_by_key(|m| m.wall);
    let rates: Vec<String> = runs
        .iter()
        .map(|m| format!("{:.0}", m.lines_per_second()))
        .collect();
    let mut median = runs.swap_remove(times / 2);
    if times > 1 {
        let runs_note = format!("median of {times} runs ({} lines/s)", rates.join(", "));
        median.note = match median.note.is_empty() {
            true => runs_note,
            false => format!("{}; {runs_note}", median.note),
        };
    }
    Ok(median)
}

async fn run(plan: &Plan) -> Result<()> {
    let work = tempfile::tempdir()?;
    let work = work.path();
    let mut results = Vec::new();
    let plain = [Case::Bulk, Case::Sync, Case::Floor];
    let sizes = match plain.iter().any(|case| plan.runs(*case)) {
        true => plan.sizes.as_slice(),
        false => &[],
    };
    for &lines in sizes {
        let input = work.join(format!("products-{lines}.jsonl"));
        let bytes = generate(&input, lines)?;
        eprintln!("== {lines} lines, {:.1} MB", bytes as f64 / 1e6);
        let mut measured = Vec::new();
        if plan.runs(Case::Bulk) {
            measured
                .push(median_of(plan.repeat, || bulk_import(work, &input, lines, bytes)).await?);
        }
        if plan.runs(Case::Sync) {
            measured.push(synchronous(work, &input, lines, bytes).await?);
        }
        if plan.runs(Case::Floor) {
            measured.push(median_of(plan.repeat, || floor(work, &input, lines, bytes)).await?);
        }
        for measured in measured {
            eprintln!(
                "   {}: {:.2} s, {:.0} lines/s",
                measured.case,
                measured.wall.as_secs_f64(),
                measured.lines_per_second()
            );
            results.push(measured);
        }
    }
    if plan.runs(Case::Set) || plan.runs(Case::SetFloor) {
        let products = plan.products;
        let (inputs, bytes) = product_set::generate(work, products)?;
        eprintln!(
            "== {products} productSet lines, {:.1} MB",
            bytes as f64 / 1e6
        );
        if plan.runs(Case::Set) {
            let run = || product_set::bulk(work, &inputs, products, bytes);
            results.push(median_of(plan.repeat, run).await?);
        }
        if plan.runs(Case::SetFloor) {
            let run = || product_set::floor(work, &inputs, products, bytes);
            results.push(median_of(plan.repeat, run).await?);
        }
    }
    if plan.runs(Case::Upload) {
        results.push(upload_only(work).await?);
    }
    let latency = match plan.runs(Case::Latency) {
        true => Some(small_operation_latency(work).await?),
        false => None,
    };

    println!("| case | lines | MB | wall s | lines/s | MB/s | server peak RSS |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for m in &results {
        let (lines, rate) = match m.runs_lines() {
            true => (m.lines.to_string(), format!("{:.0}", m.lines_per_second())),
            false => ("–".to_owned(), "–".to_owned()),
        };
        println!(
            "| {} | {} | {:.1} | {:.2} | {} | {:.1} | {} |",
            m.case,
            lines,
            m.bytes as f64 / 1e6,
            m.wall.as_secs_f64(),
            rate,
            m.megabytes_per_second(),
            m.peak_rss_kib.map_or("–".to_owned(), |kib| format!(
                "{:.0} MB",
                kib as f64 / 1024.0
            )),
        );
    }
    for m in &results {
        if !m.note.is_empty() {
            println!("- {}: {}", m.case, m.note);
        }
    }
    if let Some(latency) = latency {
        println!(
            "- small-operation latency (10 lines, run response to COMPLETED, median of 20): {:.1} ms (min {:.1}, max {:.1})",
            latency.0, latency.1, latency.2
        );
    }
    for &lines in &plan.sizes {
        let find = |prefix: &str| {
            results
                .iter()
                .find(|m| m.lines == lines && m.case.starts_with(prefix))
                .map(|m| m.wall.as_secs_f64())
        };
        if let (Some(bulk), Some(sync), Some(floor)) = (find("bulk"), find("sync"), find("floor")) {
            println!(
                "- {lines} lines: bulk ÷ floor time = {:.1}×, synchronous ÷ bulk time = {:.1}×",
                bulk / floor,
                sync / bulk
            );
        }
    }

    let (Some(latency), true) = (latency, plan.is_complete()) else {
        eprintln!("not every case ran: benches/results left as they were");
        return Ok(());
    };
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../benches/results");
    std::fs::create_dir_all(&out)?;
    let json: Vec<Value> = results
        .iter()
        .map(|m| {
            json!({
                "case": m.case, "lines": m.lines, "bytes": m.bytes,
                "wall_seconds": m.wall.as_secs_f64(), "lines_per_second": m.lines_per_second(),
                "megabytes_per_second": m.megabytes_per_second(), "peak_rss_kib": m.peak_rss_kib,
                "note": m.note,
            })
        })
        .collect();
    std::fs::write(
        out.join("latest.json"),
        serde_json::to_string_pretty(&json!({
            "cases": json,
            "latency_ms": {"median": latency.0, "min": latency.1, "max": latency.2},
        }))?,
    )?;
    chart(&out.join("lines-per-second.svg"), &results, plan.repeat)?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

/// `lines` productCreate lines of about 200 bytes; returns the file's size.
fn generate(path: &Path, lines: u64) -> Result<u64> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    for i in 0..lines {
        writeln!(
            out,
            "{}",
            json!({"input": {
                "title": format!("Bench board {i:07}"),
                "productType": "Snowboard",
                "vendor": "Stevedore",
                "descriptionHtml": format!("<p>Board {i} of the benchmark, waxed and ready.</p>"),
                "tags": ["bench", "winter", format!("batch-{}", i / 1000)],
            }})
        )?;
    }
    out.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// The bench shop and its token in the data directory (migrating its database first).
fn create_shop(data_dir: &str) -> Result<()> {
    let status = Command::new(BIN)
        .args([
            "shops",
            "create",
            "bench.myshopify.com",
            "--token",
            TOKEN,
            "--data-dir",
            data_dir,
        ])
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("shops create failed");
    }
    Ok(())
}

/// A directory of its own for one run of a case: a repeated run must not find the products
/// of the run before it.
fn fresh_dir(work: &Path, name: &str) -> Result<PathBuf> {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = work.join(format!("{name}-{run}"));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// A `stevedore serve` process on a fresh data directory, with the bench shop's token.
struct Server {
    child: Child,
    base_url: String,
}

impl Server {
    fn start(work: &Path, name: &str, extra: &[&str]) -> Result<Self> {
        let dir = fresh_dir(work, name)?;
        let data_dir = dir.to_str().context("data dir")?;
        create_shop(data_dir)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let listen = format!("127.0.0.1:{port}");
        let child = Command::new(BIN)
            .args(["serve", "--data-dir", data_dir, "--listen", &listen])
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()?;
        let started = Instant::now();
        while std::net::TcpStream::connect(&listen).is_err() {
            if started.elapsed() > Duration::from_secs(30) {
                bail!("the server did not start");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Self {
            child,
            base_url: format!("http://{listen}"),
        })
    }

    fn client(&self) -> Client {
        Client::new(&self.base_url, "2026-04", TOKEN)
    }

    /// Peak and current resident set size of the server process, in KiB.
    fn rss_kib(&self) -> (Option<u64>, Option<u64>) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|line| line.starts_with(name))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        };
        (field("VmHWM:"), field("VmRSS:"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn bulk_import(work: &Path, input: &Path, lines: u64, bytes: u64) -> Result<Measured> {
    let case = format!("bulk import {lines}");
    import(work, &[input.to_owned()], lines, bytes, MUTATION, &case).await
}

/// Bulk operations of `document` over the lines of `inputs` (one operation per file: a file
/// holds at most the protocol's 100 MiB), from staging the files to the downloaded results, on
/// a fresh server. Each file is started as soon as it is uploaded, so the later uploads overlap
/// the first operations' runs. Every line must have been answered without an error.
async fn import(
    work: &Path,
    inputs: &[PathBuf],
    lines: u64,
    bytes: u64,
    document: &str,
    case: &str,
) -> Result<Measured> {
    let name = case.replace(' ', "-");
    let server = Server::start(work, &name, &[])?;
    let client = server.client();
    let started = Instant::now();
    let mut running = Vec::new();
    for input in inputs {
        let target = client.stage("products.jsonl").await?;
        client.upload(&target, input, |_| {}).await?;
        let id = client
            .run_mutation(document, target.key().context("a key")?)
            .await?;
        running.push(id);
    }
    let mut results = Vec::new();
    for (part, id) in running.iter().enumerate() {
        let done = client.wait(id, Duration::from_millis(50), |_| {}).await?;
        if done["status"] != "COMPLETED" {
            bail!("the import ended {done}");
        }
        let result = work.join(format!("{name}-{part}.jsonl"));
        client
            .download(done["url"].as_str().context("a url")?, &result)
            .await?;
        results.push(result);
    }
    let wall = started.elapsed();
    let mut answered = 0;
    for result in &results {
        answered += count_result_lines(result)?;
    }
    if answered != lines {
        bail!("{answered} result lines for {lines} input lines");
    }
    let note = match inputs.len() {
        1 => String::new(),
        files => format!("{files} files, one operation each, run side by side"),
    };
    Ok(Measured {
        case: case.to_owned(),
        lines,
        bytes,
        wall,
        peak_rss_kib: server.rss_kib().0,
        note,
    })
}

fn count_result_lines(result: &Path) -> Result<u64> {
    let reader = std::io::BufReader::new(std::fs::File::open(result)?);
    let mut count = 0;
    for line in reader.lines() {
        let line = line?;
        if line.contains("\"errors\"") || !line.contains("\"userErrors\":[]") {
            bail!("a line failed: {line}");
        }
        count += 1;
    }
    Ok(count)
}

async fn synchronous(work: &Path, input: &Path, lines: u64, bytes: u64) -> Result<Measured> {
    let server = Server::start(
        work,
        &format!("sync-{lines}"),
        &["--restore-rate", UNLIMITED],
    )?;
    let endpoint = format!("{}/admin/api/2026-04/graphql.json", server.base_url);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(16)
        .build()?;
    let (sender, receiver) = tokio::sync::mpsc::channel::<String>(1024);
    let receiver = Arc::new(tokio::sync::Mutex::new(receiver));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (http, endpoint, receiver) = (http.clone(), endpoint.clone(), receiver.clone());
        tasks.push(tokio::spawn(async move {
            let mut done = 0u64;
            loop {
                let Some(line) = receiver.lock().await.recv().await else {
                    break;
                };
                let variables: Value = serde_json::from_str(&line)?;
                let body: Value = http
                    .post(&endpoint)
                    .header("X-Shopify-Access-Token", TOKEN)
                    .json(&json!({"query": MUTATION, "variables": variables}))
                    .send()
                    .await?
                    .json()
                    .await?;
                if body.get("errors").is_some()
                    || body["data"]["productCreate"]["product"].is_null()
                {
                    bail!("a call failed: {body}");
                }
                done += 1;
            }
            Ok::<u64, anyhow::Error>(done)
        }));
    }
    let reader = std::io::BufReader::new(std::fs::File::open(input)?);
    for line in reader.lines() {
        sender.send(line?).await?;
    }
    drop(sender);
    let mut answered = 0;
    for task in tasks {
        answered += task.await??;
    }
    let wall = started.elapsed();
    if answered != lines {
        bail!("{answered} answers for {lines} calls");
    }
    Ok(Measured {
        case: format!("synchronous {lines}"),
        lines,
        bytes,
        wall,
        peak_rss_kib: server.rss_kib().0,
        note: "16 connections, one productCreate per request, rate limit raised".to_owned(),
    })
}

/// A floor's connection to the database the server's migrations made (WAL, as the server runs
/// it), and the bench shop's id.
fn open_floor(database: &Path) -> Result<(rusqlite::Connection, i64)> {
    let connection = rusqlite::Connection::open(database)?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    let shop: i64 = connection.query_row("SELECT id FROM shops", [], |row| row.get(0))?;
    Ok((connection, shop))
}

/// The machine's limit for this work: parse each line, insert its product with one prepared
/// statement in transactions of 10,000 rows, write one result line per input. SQLite straight
/// (rusqlite), on the schema the server's own migrations made.
async fn floor(work: &Path, input: &Path, lines: u64, bytes: u64) -> Result<Measured> {
    let dir = fresh_dir(work, &format!("floor-{lines}"))?;
    let data_dir = dir.to_str().context("data dir")?;
    // The server's own migrations make the schema, and the bench shop.
    create_shop(data_dir)?;
    let (database, input, result) = (
        dir.join("stevedore.db"),
        input.to_owned(),
        dir.join("result.jsonl"),
    );
    let wall = tokio::task::spawn_blocking(move || -> Result<Duration> {
        let (mut connection, shop) = open_floor(&database)?;
        let now = chrono::Utc::now().timestamp_millis();
        let started = Instant::now();
        let mut out = BufWriter::new(std::fs::File::create(&result)?);
        let mut reader = std::io::BufReader::new(std::fs::File::open(&input)?).lines().enumerate().peekable();
        while reader.peek().is_some() {
            let transaction = connection.transaction()?;
            {
                let mut insert = transaction.prepare_cached(
                    "INSERT INTO products (shop_id, title, handle, description_html, product_type, vendor, tags, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                )?;
                for (number, line) in reader.by_ref().take(10_000) {
                    let line = line?;
                    let variables: Value = serde_json::from_str(&line)?;
                    let product = &variables["input"];
                    let text = |key: &str| product[key].as_str().unwrap_or_default().to_owned();
                    insert.execute(rusqlite::params![
                        shop,
                        text("title"),
                        format!("floor-{number}"),
                        text("descriptionHtml"),
                        text("productType"),
                        text("vendor"),
                        serde_json::to_string(&product["tags"])?,
                        now,
                    ])?;
                    let id = transaction.last_insert_rowid();
                    writeln!(
                        out,
                        "{{\"data\":{{\"productCreate\":{{\"product\":{{\"id\":\"gid:\\/\\/shopify\\/Product\\/{id}\"}},\"userErrors\":[]}}}},\"__lineNumber\":{number}}}"
                    )?;
                }
            }
            transaction.commit()?;
        }
        out.flush()?;
        Ok(started.elapsed())
    })
    .await??;
    Ok(Measured {
        case: format!("floor {lines}"),
        lines,
        bytes,
        wall,
        peak_rss_kib: None,
        note: "rusqlite, WAL, one prepared INSERT, 10,000 rows per transaction".to_owned(),
    })
}

async fn upload_only(work: &Path) -> Result<Measured> {
    const SIZE: u64 = 100 * 1024 * 1024;
    let file = work.join("upload-100mb.jsonl");
    {
        let mut out = BufWriter::new(std::fs::File::create(&file)?);
        let line = format!("{{\"input\":{{\"title\":\"{}\"}}}}\n", "x".repeat(178));
        let mut written = 0;
        while written + line.len() as u64 <= SIZE {
            out.write_all(line.as_bytes())?;
            written += line.len() as u64;
        }
        out.flush()?;
    }
    let bytes = std::fs::metadata(&file)?.len();
    let server = Server::start(work, "upload", &[])?;
    let client = server.client();
    let target = client.stage("upload.jsonl").await?;
    let (_, before) = server.rss_kib();
    let started = Instant::now();
    client.upload(&target, &file, |_| {}).await?;
    let wall = started.elapsed();
    let (peak, _) = server.rss_kib();
    let growth = match (before, peak) {
        (Some(before), Some(peak)) => format!(
            "server RSS {:.0} MB before, peak {:.0} MB: grew {:.0} MB",
            before as f64 / 1024.0,
            peak as f64 / 1024.0,
            peak.saturating_sub(before) as f64 / 1024.0
        ),
        _ => String::new(),
    };
    Ok(Measured {
        case: "upload only 100 MB".to_owned(),
        lines: bytes / 200,
        bytes,
        wall,
        peak_rss_kib: peak,
        note: growth,
    })
}

/// Median, min and max milliseconds from the run's response to COMPLETED for 10-line operations.
async fn small_operation_latency(work: &Path) -> Result<(f64, f64, f64)> {
    let server = Server::start(work, "latency", &["--restore-rate", UNLIMITED])?;
    let client = Arc::new(server.client());
    let input = work.join("ten.jsonl");
    generate(&input, 10)?;
    let mut samples = Vec::new();
    for _ in 0..20 {
        let target = client.stage("ten.jsonl").await?;
        client.upload(&target, &input, |_| {}).await?;
        let id = client
            .run_mutation(MUTATION, target.key().context("a key")?)
            .await?;
        let started = Instant::now();
        loop {
            let operation = client.operation(&id).await?;
            match operation["status"].as_str() {
                Some("COMPLETED") => break,
                Some("CREATED" | "RUNNING") => {}
                _ => bail!("the operation ended {operation}"),
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(f64::total_cmp);
    Ok((
        samples[samples.len() / 2],
        samples[0],
        samples[samples.len() - 1],
    ))
}

/// A horizontal bar chart of lines/s per case, as SVG. Written by hand: a few rectangles and
/// labels need no charting library (plotters would also need a font backend to lay out text).
fn chart(path: &PathBuf, results: &[Measured], repeat: usize) -> Result<()> {
    let title = match repeat {
        1 => "one bench run".to_owned(),
        n => format!("one bench run; bulk and floor: median of {n}"),
    };
    let rows: Vec<(&str, f64)> = results
        .iter()
        .filter(|m| m.runs_lines())
        .map(|m| (m.case.as_str(), m.lines_per_second()))
        .collect();
    let top = rows.iter().map(|(_, v)| *v).fold(1.0, f64::max);
    let (label_width, bar_width, row_height) = (190.0, 600.0, 34.0);
    let height = 70.0 + row_height * rows.len() as f64;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"14\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"450\" y=\"28\" font-size=\"18\" text-anchor=\"middle\">Stevedore: lines per second by case ({title})</text>\n"
    );
    let colors = [
        "#3b6ea5", "#d98b2b", "#5a9e5a", "#8e5ea2", "#c44e52", "#777777",
    ];
    for (i, (case, value)) in rows.iter().enumerate() {
        let y = 50.0 + row_height * i as f64;
        let width = (value / top * bar_width).max(1.0);
        let color = colors[i % colors.len()];
        svg.push_str(&format!(
            "<text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"end\">{case}</text>\n\
             <rect x=\"{label_width}\" y=\"{y:.0}\" width=\"{width:.1}\" height=\"{:.0}\" fill=\"{color}\"/>\n\
             <text x=\"{:.1}\" y=\"{:.0}\">{value:.0}</text>\n",
            label_width - 8.0,
            y + row_height * 0.6,
            row_height * 0.75,
            label_width + width + 6.0,
            y + row_height * 0.6,
        ));
    }
    svg.push_str("</svg>\n");
    std::fs::write(path, svg)?;
    Ok(())
}
