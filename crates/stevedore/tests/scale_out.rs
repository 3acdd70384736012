//! Scale-out: one API server and separate worker processes on one database and one blob store
//! (Postgres and S3 in CI, the SQLite file and the blob folder otherwise). A worker killed with
//! SIGKILL mid-run loses nothing: its chunks are taken over when their leases run out, and the
//! operation ends with every line number exactly once and no product created twice. A worker
//! asked to stop with SIGTERM finishes what it holds and exits cleanly.

mod support;

use serde_json::Value;
use std::process::Child;
use std::time::Duration;
use stevedore_client::Client;
use support::process::{
    assert_completed_exactly_once, create_shop, serve, start_import, terminate, titled_lines,
    worker,
};
use support::Backend;

const LINES: usize = 50_000;
const WORKER: &[&str] = &[
    "--workers",
    "2",
    "--chunk-lines",
    "250",
    "--lease-seconds",
    "2",
];

/// Polls until the operation has done at least `lines` lines; returns what it read last.
async fn wait_for_progress(client: &Client, id: &str, lines: usize) -> Value {
    loop {
        let operation = client.operation(id).await.unwrap();
        let done: usize = operation["objectCount"].as_str().unwrap().parse().unwrap();
        if done >= lines || operation["status"] != "RUNNING" && operation["status"] != "CREATED" {
            return operation;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits for a process to exit by itself, for at most `limit`.
async fn exits_within(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let started = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            started.elapsed() < limit,
            "the process did not exit within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn workers_killed_or_stopped_mid_run_lose_and_repeat_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::fresh().await;
    create_shop(dir.path(), &backend, "scale.myshopify.com", "shpat_scale");
    let (mut api, base_url) = serve(dir.path(), &backend, &["--no-worker"]);
    let mut killed = worker(dir.path(), &backend, WORKER);
    let mut stopped = worker(dir.path(), &backend, WORKER);

    let client = Client::new(&base_url, "2026-01", "shpat_scale");
    let id = start_import(&client, dir.path(), &titled_lines(LINES, "Scale board")).await;

    let at_kill = wait_for_progress(&client, &id, LINES / 10).await;
    killed.kill().unwrap();
    killed.wait().unwrap();
    assert_eq!(at_kill["status"], "RUNNING", "killed mid-run: {at_kill}");

    // A replacement joins, and the survivor is asked to stop while it is busy.
    let mut replacement = worker(dir.path(), &backend, WORKER);
    let at_stop = wait_for_progress(&client, &id, LINES / 2).await;
    assert_eq!(at_stop["status"], "RUNNING", "stopped mid-run: {at_stop}");
    terminate(&stopped);
    let status = exits_within(&mut stopped, Duration::from_secs(60)).await;
    assert!(status.success(), "SIGTERM ends a worker cleanly: {status}");

    assert_completed_exactly_once(&client, &backend, &id, dir.path(), LINES, LINES).await;

    terminate(&replacement);
    assert!(exits_within(&mut replacement, Duration::from_secs(60))
        .await
        .success());
    api.kill().unwrap();
    api.wait().unwrap();
}
