//! Nothing lost, nothing twice: a server process killed with SIGKILL in the middle of an
//! operation, restarted on the same data directory, finishes the operation with every line
//! answered exactly once and exactly one product per valid line.

use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use stevedore_client::Client;

const BINARY: &str = env!("CARGO_BIN_EXE_stevedore");
const MUTATION: &str = "mutation call($input: ProductInput!) { productCreate(input: $input) { product { id title } userErrors { field message } } }";

/// Starts `stevedore serve` on a free port; returns the process and its base URL.
fn serve(data_dir: &Path) -> (Child, String) {
    let mut child = Command::new(BINARY)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--chunk-lines",
            "25",
            "--workers",
            "2",
            "--data-dir",
        ])
        .arg(data_dir)
        .env("RUST_LOG", "warn")
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
        .expect("listening line names the address")
        .to_owned();
    (child, base_url)
}

/// 6,000 lines: most create a product, every 10th has a blank title (a userError, no product),
/// every 37th is not JSON (an error line).
fn input() -> (String, usize, usize) {
    let (mut text, mut lines, mut valid) = (String::new(), 0, 0);
    for i in 0..6000 {
        if i % 37 == 0 {
            text.push_str("{\"input\": {\"title\": \n");
        } else if i % 10 == 0 {
            text.push_str("{\"input\":{\"title\":\"\"}}\n");
        } else {
            text.push_str(&format!(
                "{{\"input\":{{\"title\":\"Crash board {i}\"}}}}\n"
            ));
            valid += 1;
        }
        lines += 1;
    }
    (text, lines, valid)
}

async fn all_product_titles(client: &Client) -> Vec<String> {
    let mut titles = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = client
            .data(
                "query($after: String) { products(first: 250, after: $after) { nodes { title } pageInfo { hasNextPage endCursor } } }",
                json!({"after": after}),
            )
            .await
            .unwrap();
        let page = &data["products"];
        titles.extend(
            page["nodes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|node| node["title"].as_str().unwrap().to_owned()),
        );
        if !page["pageInfo"]["hasNextPage"].as_bool().unwrap() {
            return titles;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_server_resumes_without_losing_or_repeating_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let created = Command::new(BINARY)
        .args([
            "shops",
            "create",
            "crash.myshopify.com",
            "--token",
            "shpat_crash",
            "--data-dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );

    let (text, line_count, valid_lines) = input();
    let file = dir.path().join("products.jsonl");
    std::fs::write(&file, &text).unwrap();

    let (mut first, base_url) = serve(dir.path());
    let client = Client::new(&base_url, "2026-01", "shpat_crash");
    let target = client.stage("products.jsonl").await.unwrap();
    client.upload(&target, &file, |_| {}).await.unwrap();
    let id = client
        .run_mutation(MUTATION, target.key().unwrap())
        .await
        .unwrap();

    // Kill the server as soon as some chunks have committed.
    let mut at_kill = Value::Null;
    for _ in 0..10_000 {
        at_kill = client.operation(&id).await.unwrap();
        if at_kill["objectCount"].as_str().unwrap() != "0" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    first.kill().unwrap();
    first.wait().unwrap();
    let done_at_kill: usize = at_kill["objectCount"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        at_kill["status"], "RUNNING",
        "the kill must land mid-operation: {at_kill}"
    );
    assert!(
        done_at_kill > 0 && done_at_kill < line_count,
        "killed after {done_at_kill} of {line_count} lines"
    );

    let (mut second, base_url) = serve(dir.path());
    let client = Client::new(&base_url, "2026-01", "shpat_crash");
    let finished = client
        .wait(&id, Duration::from_millis(20), |_| {})
        .await
        .unwrap();
    assert_eq!(finished["status"], "COMPLETED", "{finished}");
    assert_eq!(finished["objectCount"], line_count.to_string());

    let result = dir.path().join("result.jsonl");
    client
        .download(finished["url"].as_str().unwrap(), &result)
        .await
        .unwrap();
    let mut seen: BTreeMap<u64, usize> = BTreeMap::new();
    let mut product_ids = HashSet::new();
    for line in std::fs::read_to_string(&result).unwrap().lines() {
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
    assert_eq!(seen.len(), line_count, "every line number appears");
    assert!(
        seen.values().all(|count| *count == 1),
        "no line number appears twice"
    );
    assert_eq!(
        seen.keys().copied().collect::<Vec<_>>(),
        (0..line_count as u64).collect::<Vec<_>>()
    );
    assert_eq!(product_ids.len(), valid_lines);

    let titles = all_product_titles(&client).await;
    assert_eq!(
        titles.len(),
        valid_lines,
        "one product per valid line, none duplicated by the re-run"
    );
    assert_eq!(titles.iter().collect::<HashSet<_>>().len(), valid_lines);

    second.kill().unwrap();
    second.wait().unwrap();
}
