//! `stevedore` processes started from the built binary, as an operator would start them, and the
//! checks every multi-process test makes of what they produced.

use super::Backend;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use stevedore_client::Client;

pub const BINARY: &str = env!("CARGO_BIN_EXE_stevedore");

/// `stevedore <args>` on `data_dir` and `backend`, quiet unless something goes wrong.
pub fn stevedore(args: &[&str], data_dir: &Path, backend: &Backend) -> Command {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .args(backend.args())
        .env("RUST_LOG", "warn");
    command
}

/// Creates a shop with a known token.
pub fn create_shop(data_dir: &Path, backend: &Backend, domain: &str, token: &str) {
    let created = stevedore(
        &["shops", "create", domain, "--token", token],
        data_dir,
        backend,
    )
    .output()
    .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
}

/// Starts `stevedore serve <args>` on a free port; returns the process and its base URL.
pub fn serve(data_dir: &Path, backend: &Backend, args: &[&str]) -> (Child, String) {
    let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    let mut child = stevedore(&all, data_dir, backend)
        .stdout(Stdio::piped())
        .spawn()
        .expect("stevedore serve starts");
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let base_url = first_line
        .split_whitespace()
        .nth(3)
        .unwrap_or_else(|| panic!("listening line names the address: {first_line:?}"))
        .to_owned();
    (child, base_url)
}

/// Starts `stevedore worker <args>`.
pub fn worker(data_dir: &Path, backend: &Backend, args: &[&str]) -> Child {
    let mut all = vec!["worker"];
    all.extend_from_slice(args);
    stevedore(&all, data_dir, backend)
        .spawn()
        .expect("stevedore worker starts")
}

/// Asks a process to stop as `systemd` or Kubernetes would, with SIGTERM.
pub fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Writes `content` to a file in `dir`, stages and uploads it, and runs the product-creating
/// mutation over it; returns the operation id.
pub async fn start_import(client: &Client, dir: &Path, content: &str) -> String {
    let file = dir.join("products.jsonl");
    std::fs::write(&file, content).unwrap();
    let target = client.stage("products.jsonl").await.unwrap();
    client.upload(&target, &file, |_| {}).await.unwrap();
    client
        .run_mutation(super::PRODUCT_CREATE, target.key().unwrap())
        .await
        .unwrap()
}

/// `n` product-creating lines with distinct titles.
pub fn titled_lines(n: usize, prefix: &str) -> String {
    (0..n)
        .map(|i| format!("{{\"input\":{{\"title\":\"{prefix} {i}\"}}}}\n"))
        .collect()
}

/// Every product title in the database the processes share, read straight from it: paging
/// through tens of thousands of products over the API would take minutes of rate-limit
/// refills, as it does on the hosted API.
pub async fn all_product_titles(backend: &Backend, data_dir: &Path) -> Vec<String> {
    let store = backend
        .open_store(data_dir, std::sync::Arc::new(stevedore_core::SystemClock))
        .await;
    sqlx::query_scalar("SELECT title FROM products")
        .fetch_all(store.pool())
        .await
        .unwrap()
}

/// Waits for the operation to complete, downloads its result into `dir`, and asserts that it
/// answers every one of `line_count` lines exactly once and that the shop holds exactly
/// `products` products, each created once.
pub async fn assert_completed_exactly_once(
    client: &Client,
    backend: &Backend,
    id: &str,
    dir: &Path,
    line_count: usize,
    products: usize,
) {
    let finished = tokio::time::timeout(
        std::time::Duration::from_secs(600),
        client.wait(id, std::time::Duration::from_millis(20), |_| {}),
    )
    .await
    .expect("the operation finishes")
    .unwrap();
    assert_eq!(finished["status"], "COMPLETED", "{finished}");
    assert_eq!(finished["objectCount"], line_count.to_string());

    let result = dir.join("result.jsonl");
    client
        .download(finished["url"].as_str().unwrap(), &result)
        .await
        .unwrap();
    let product_ids = assert_each_line_once(&result, line_count);
    assert_eq!(product_ids.len(), products, "one product per valid line");
    let titles = all_product_titles(backend, dir).await;
    assert_eq!(titles.len(), products, "no product was created twice");
    assert_eq!(titles.iter().collect::<HashSet<_>>().len(), products);
}

/// Reads a result file and asserts that line numbers 0..line_count each appear exactly once and
/// no product is reported twice; returns the ids of the products it reports.
pub fn assert_each_line_once(result: &Path, line_count: usize) -> HashSet<String> {
    let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
    let mut product_ids = HashSet::new();
    for line in std::fs::read_to_string(result).unwrap().lines() {
        let value: Value = serde_json::from_str(line).unwrap();
        *seen
            .entry(value["__lineNumber"].as_u64().unwrap())
            .or_default() += 1;
        if let Some(id) = value["data"]["productCreate"]["product"]["id"].as_str() {
            assert!(
                product_ids.insert(id.to_owned()),
                "product {id} reported twice"
            );
        }
    }
    assert!(
        seen.values().all(|count| *count == 1),
        "no line number appears twice"
    );
    assert_eq!(
        seen.keys().copied().collect::<Vec<_>>(),
        (0..line_count as u64).collect::<Vec<_>>(),
        "every line number appears"
    );
    product_ids
}
