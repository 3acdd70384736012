//! Nothing lost, nothing twice: a server process killed with SIGKILL in the middle of an
//! operation, restarted on the same data directory, finishes the operation with every line
//! answered exactly once and exactly one product per valid line.

mod support;

use serde_json::Value;
use std::time::Duration;
use stevedore_client::Client;
use support::process::{assert_completed_exactly_once, create_shop, serve, start_import};
use support::Backend;

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

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_server_resumes_without_losing_or_repeating_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::fresh().await;
    create_shop(dir.path(), &backend, "crash.myshopify.com", "shpat_crash");
    // On SQLite the restarted server frees what it held before; on a shared database the
    // leases of the killed process run out, so they are kept short here.
    let args = [
        "--chunk-lines",
        "25",
        "--workers",
        "2",
        "--lease-seconds",
        "2",
    ];

    let (text, line_count, valid_lines) = input();
    let (mut first, base_url) = serve(dir.path(), &backend, &args);
    let client = Client::new(&base_url, "2026-01", "shpat_crash");
    let id = start_import(&client, dir.path(), &text).await;

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

    let (mut second, base_url) = serve(dir.path(), &backend, &args);
    let client = Client::new(&base_url, "2026-01", "shpat_crash");
    assert_completed_exactly_once(&client, &backend, &id, dir.path(), line_count, valid_lines)
        .await;

    second.kill().unwrap();
    second.wait().unwrap();
}
