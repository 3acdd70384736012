//! An operation runs over exactly the file it was admitted with. A refused re-upload leaves the
//! earlier file alone; a file replaced after admission, or replaced behind the server's back
//! after it was uploaded, fails the operation with INTERNAL_SERVER_ERROR, as the hosted API
//! does when the staged file's checksum changes.

mod support;

use serde_json::{json, Value};
use support::{product_lines, Options, TestServer, PRODUCT_CREATE};

/// A POST target whose signed form is used more than once, as a client retrying would.
struct Target {
    url: String,
    fields: Vec<(String, String)>,
}

impl Target {
    async fn stage(server: &TestServer) -> Self {
        let (url, fields) = server.stage().await;
        Self { url, fields }
    }

    /// A target holding `lines` product lines, accepted.
    async fn with_products(server: &TestServer, lines: usize) -> Self {
        let target = Self::stage(server).await;
        assert_eq!(
            target.upload(server, product_lines(lines).as_bytes()).await,
            201
        );
        target
    }

    async fn upload(&self, server: &TestServer, content: &[u8]) -> u16 {
        server
            .post_form(&self.url, &self.fields, Some(content))
            .await
            .status()
            .as_u16()
    }

    fn key(&self) -> &str {
        &self
            .fields
            .iter()
            .find(|(name, _)| name == "key")
            .unwrap()
            .1
    }

    /// Runs the bulk mutation over this target's key; returns the operation id.
    async fn run(&self, server: &TestServer) -> String {
        let run = server.run_mutation(PRODUCT_CREATE, self.key()).await;
        run["bulkOperation"]["id"].as_str().unwrap().to_owned()
    }

    /// Writes `content` at the target's key straight into the store, as anyone with access to
    /// the bucket could: the server sees none of it.
    async fn replace_behind_the_server(&self, server: &TestServer, content: String) {
        let source =
            futures::stream::iter([Ok::<_, std::io::Error>(axum::body::Bytes::from(content))]);
        server
            .app
            .services()
            .engine
            .blobs()
            .put_stream(self.key(), source, u64::MAX)
            .await
            .unwrap();
    }
}

fn assert_failed_for_a_changed_input(done: &Value) {
    assert_eq!(done["status"], "FAILED", "{done}");
    assert_eq!(done["errorCode"], "INTERNAL_SERVER_ERROR");
    assert_eq!(done["url"], Value::Null);
}

/// Nothing of the input was created.
async fn assert_no_products(server: &TestServer) {
    let products = server
        .graphql("{ products(first: 10) { nodes { id } } }", json!({}))
        .await;
    assert_eq!(products["data"]["products"]["nodes"], json!([]));
}

#[tokio::test]
async fn a_refused_re_upload_keeps_the_earlier_file() {
    let server = TestServer::start().await;
    let target = Target::with_products(&server, 2).await;
    assert_eq!(target.upload(&server, b"").await, 400);

    let done = server.wait(&target.run(&server).await).await;
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(done["objectCount"], "2");
}

#[tokio::test]
async fn a_file_replaced_after_admission_fails_the_operation() {
    let mut server = TestServer::start_with(Options {
        workers: false,
        ..Default::default()
    })
    .await;
    let target = Target::with_products(&server, 3).await;
    let id = target.run(&server).await;

    // Same key, same signed form, other content, before any worker has looked at it.
    assert_eq!(
        target.upload(&server, product_lines(5).as_bytes()).await,
        201
    );
    server.start_engine().await;
    assert_failed_for_a_changed_input(&server.wait(&id).await);
    assert_no_products(&server).await;
}

#[tokio::test]
async fn an_upload_records_the_version_it_left_in_the_store() {
    let server = TestServer::start().await;
    let target = Target::with_products(&server, 2).await;
    let services = server.app.services();
    let stored = services.engine.blobs().head(target.key()).await.unwrap();
    let shop = target.key().split('/').nth(1).unwrap().parse().unwrap();
    let upload = services
        .engine
        .store()
        .find_upload(stevedore_core::ShopId(shop), target.key())
        .await
        .unwrap()
        .expect("the upload is recorded");
    // Admission compares this with the object's version then, and only hashes the file again
    // at planning when they differ.
    assert!(upload.e_tag.is_some());
    assert!(upload.is_stored_version(stored.and_then(|version| version.e_tag).as_deref()));
}

#[tokio::test]
async fn a_file_replaced_behind_the_server_before_the_run_fails_the_operation() {
    let server = TestServer::start().await;
    let target = Target::with_products(&server, 3).await;
    let replacement = product_lines(3).replace("Board", "Plank");
    target.replace_behind_the_server(&server, replacement).await;

    let done = server.wait(&target.run(&server).await).await;
    assert_failed_for_a_changed_input(&done);
    assert_no_products(&server).await;
}

#[tokio::test]
async fn a_file_replaced_while_running_fails_the_operation() {
    let server = TestServer::start_with(Options {
        chunk_lines: 5,
        ..Default::default()
    })
    .await;
    let lines = 3000;
    let target = Target::with_products(&server, lines).await;
    let id = target.run(&server).await;

    let mut running = server.operation(&id).await;
    while running["objectCount"] == "0" {
        running = server.operation(&id).await;
    }
    assert_eq!(running["status"], "RUNNING");
    // As many lines again, other bytes: a new version of the object, which the running chunks
    // must notice. (Identical bytes are the same version to a bucket, whose entity tag is the
    // content's MD5, and rightly so: the checksum has not changed.)
    let replacement = product_lines(lines).replace("Board", "Plank");
    assert_eq!(target.upload(&server, replacement.as_bytes()).await, 201);
    let done = server.wait(&id).await;
    assert_failed_for_a_changed_input(&done);
    let processed: usize = done["objectCount"].as_str().unwrap().parse().unwrap();
    assert!(
        processed < lines,
        "the operation stopped early: {processed} of {lines}"
    );
    // What it finished before it noticed comes back as partial data, one line per line done.
    let partial = server
        .get(done["partialDataUrl"].as_str().expect("partial data"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(partial.lines().count(), processed);
}
