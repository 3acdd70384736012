//! The clock-driven end of an operation's life, on a clock the tests move: a mutation still
//! running 24 hours after it started fails with TIMEOUT and hands over the lines it finished as
//! partial data; a completed operation's result is kept seven days, then the operation is
//! EXPIRED and its `url` null.

mod support;

use serde_json::Value;
use std::collections::HashSet;
use stevedore_core::ManualClock;
use support::{product_lines, Options, TestServer, PRODUCT_CREATE};

fn clocked(chunk_lines: u64) -> (ManualClock, Options) {
    let clock = ManualClock::new(chrono::Utc::now());
    let options = Options {
        clock: Some(clock.clone()),
        chunk_lines,
        ..Default::default()
    };
    (clock, options)
}

/// Polls until the operation's status is `status`.
async fn wait_for_status(server: &TestServer, id: &str, status: &str) -> Value {
    for _ in 0..2000 {
        let operation = server.operation(id).await;
        if operation["status"] == status {
            return operation;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{id} never became {status}: {}", server.operation(id).await);
}

/// The blob key a result link points at (this server's link or a bucket's presigned one).
fn key_of(url: &str) -> String {
    let path = url.split('?').next().unwrap();
    path[path.find("/results/").unwrap() + 1..].to_owned()
}

/// Waits for the sweep to remove the object behind a result link.
async fn assert_removed(server: &TestServer, url: &str) {
    let key = key_of(url);
    let blobs = server.app.services().engine.blobs();
    for _ in 0..500 {
        if blobs.head(&key).await.unwrap().is_none() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{key} is still stored");
}

/// Downloads a partial result and checks that it holds exactly `count` distinct lines.
async fn assert_partial_lines(server: &TestServer, failed: &Value, count: usize) {
    let url = failed["partialDataUrl"].as_str().expect("partial data");
    let text = server.get(url).await.text().await.unwrap();
    let numbers: Vec<u64> = text
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line).unwrap()["__lineNumber"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(numbers.len(), count, "one partial line per line done");
    assert_eq!(
        numbers.iter().collect::<HashSet<_>>().len(),
        count,
        "none twice"
    );
}

#[tokio::test]
async fn a_mutation_running_past_a_day_fails_with_timeout_and_its_partial_data() {
    let (clock, options) = clocked(5);
    let server = TestServer::start_with(options).await;
    let lines = 3000;
    let id = server.start_running(lines).await;

    clock.advance(chrono::TimeDelta::hours(24) + chrono::TimeDelta::minutes(1));
    let failed = server.wait(&id).await;
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert_eq!(failed["errorCode"], "TIMEOUT");
    assert_eq!(failed["url"], Value::Null);
    assert_eq!(failed["completedAt"], Value::Null);
    let done: usize = failed["objectCount"].as_str().unwrap().parse().unwrap();
    assert!(
        done > 0 && done < lines,
        "stopped part-way: {done} of {lines}"
    );
    assert_partial_lines(&server, &failed, done).await;

    // Partial data is kept seven days too, then removed; the operation stays FAILED.
    clock.advance(chrono::TimeDelta::days(7));
    assert_removed(&server, failed["partialDataUrl"].as_str().unwrap()).await;
    let later = server.operation(&id).await;
    assert_eq!(
        (later["status"].clone(), later["partialDataUrl"].clone()),
        (Value::from("FAILED"), Value::Null)
    );
}

#[tokio::test]
async fn a_completed_operation_expires_seven_days_after_it_completed() {
    let (clock, options) = clocked(1000);
    let server = TestServer::start_with(options).await;
    let (operation, _) = server.import(&product_lines(2), PRODUCT_CREATE).await;
    let id = operation["id"].as_str().unwrap();

    clock.advance(chrono::TimeDelta::days(6));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        server.operation(id).await["status"],
        "COMPLETED",
        "kept for seven days"
    );

    clock.advance(chrono::TimeDelta::days(1) + chrono::TimeDelta::minutes(1));
    let expired = wait_for_status(&server, id, "EXPIRED").await;
    assert_eq!(expired["url"], Value::Null);
    assert_eq!(expired["fileSize"], Value::Null);
    assert_eq!(
        expired["completedAt"], operation["completedAt"],
        "completion stays on record"
    );
    assert_eq!(expired["objectCount"], "2");
    assert_removed(&server, operation["url"].as_str().unwrap()).await;
}
