//! A real server on 127.0.0.1:0 over a temporary data directory, and the calls tests make to it.

#![allow(dead_code)]

pub mod backend;
pub mod process;

pub use backend::Backend;

use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use stevedore_api::{App, AppConfig};
use stevedore_core::{Clock, ManualClock};
use tokio_util::sync::CancellationToken;

pub const PRODUCT_CREATE: &str = "mutation call($input: ProductInput!) { productCreate(input: $input) { product { id title } userErrors { field message } } }";

pub struct TestServer {
    pub base_url: String,
    pub token: String,
    pub http: reqwest::Client,
    pub app: Arc<App>,
    pub clock: Option<ManualClock>,
    shutdown: CancellationToken,
    workers: tokio::task::JoinSet<()>,
    dir: Arc<tempfile::TempDir>,
    pub backend: Backend,
    options: Options,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

#[derive(Clone)]
pub struct Options {
    pub clock: Option<ManualClock>,
    pub chunk_lines: u64,
    pub max_line_bytes: u64,
    pub workers: bool,
    /// Webhook delivery, on a fast schedule for tests.
    pub webhooks: stevedore_webhooks::DispatcherConfig,
}

/// Webhook retries in tens of milliseconds instead of hours.
pub fn fast_webhooks() -> stevedore_webhooks::DispatcherConfig {
    stevedore_webhooks::DispatcherConfig {
        retry: stevedore_webhooks::RetryPolicy {
            retries: 8,
            base_delay: Duration::from_millis(20),
            max_delay: Duration::from_millis(200),
            jitter: 0.0,
        },
        poll: Duration::from_millis(10),
        ..Default::default()
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            clock: None,
            chunk_lines: 1000,
            max_line_bytes: stevedore_core::limits::MAX_LINE_BYTES,
            workers: true,
            webhooks: fast_webhooks(),
        }
    }
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Self {
        let backend = Backend::fresh().await;
        Self::start_in(Arc::new(tempfile::tempdir().unwrap()), backend, options).await
    }

    /// Stops this server (its workers finish their step) and starts another on the same data
    /// directory, as a restarted process would.
    pub async fn restart(mut self) -> Self {
        self.shutdown.cancel();
        while self.workers.join_next().await.is_some() {}
        let (dir, backend, options) = (
            Arc::clone(&self.dir),
            self.backend.clone(),
            self.options.clone(),
        );
        drop(self);
        Self::start_in(dir, backend, options).await
    }

    async fn start_in(dir: Arc<tempfile::TempDir>, backend: Backend, options: Options) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let mut config = AppConfig::new(dir.path());
        config.database_url = backend.database_url.clone();
        config.blob_url = backend.blob_url.clone();
        if let Some(clock) = &options.clock {
            config.clock = Arc::new(clock.clone()) as Arc<dyn Clock>;
        }
        config.engine.chunk_limits.max_lines = options.chunk_lines;
        config.engine.chunk_limits.max_line_bytes = options.max_line_bytes;
        config.engine.idle_poll = Duration::from_millis(20);
        config.webhooks = options.webhooks.clone();
        let app = Arc::new(App::open(&config, &base_url).await.unwrap());
        let token = "shpat_test_token".to_owned();
        app.services()
            .engine
            .store()
            .create_shop_token(
                "test.myshopify.com",
                &token,
                &["write_products".to_owned()],
                "hush",
                false,
            )
            .await
            .unwrap();
        let shutdown = CancellationToken::new();
        let workers = if options.workers {
            app.start_workers(shutdown.clone())
        } else {
            Default::default()
        };
        let serving = Arc::clone(&app);
        let stop = shutdown.clone();
        tokio::spawn(async move { serving.serve(listener, stop).await });
        Self {
            base_url,
            token,
            http: reqwest::Client::new(),
            app,
            clock: options.clock.clone(),
            shutdown,
            workers,
            dir,
            backend,
            options,
        }
    }

    /// Starts the engine of a server started without it.
    pub async fn start_engine(&mut self) {
        self.workers = self.app.start_workers(self.shutdown.clone());
    }

    /// Another shop on the same server, with its own token (scoped as the first one is).
    pub async fn add_shop(&self, domain: &str, token: &str) {
        self.add_token(domain, token, &["write_products"]).await;
    }

    /// A token with `scopes` for the shop `domain` (made if it is new).
    pub async fn add_token(&self, domain: &str, token: &str, scopes: &[&str]) {
        let scopes: Vec<String> = scopes.iter().map(|scope| (*scope).to_owned()).collect();
        self.app
            .services()
            .engine
            .store()
            .create_shop_token(domain, token, &scopes, "hush", false)
            .await
            .unwrap();
    }

    /// One POST of `body` to the GraphQL endpoint of `version`, answered as it comes.
    pub async fn post_graphql(
        &self,
        token: &str,
        version: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.http
            .post(format!(
                "{}/admin/api/{version}/graphql.json",
                self.base_url
            ))
            .header("X-Shopify-Access-Token", token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn graphql_as(
        &self,
        token: &str,
        version: &str,
        query: &str,
        variables: Value,
    ) -> Value {
        // Tests poll as fast as they like; like any client, they wait out THROTTLED.
        let body = json!({"query": query, "variables": variables});
        loop {
            let response = self.post_graphql(token, version, &body).await;
            assert_eq!(response.status(), 200);
            let body: Value = response.json().await.unwrap();
            match stevedore_client::throttle_delay(&body) {
                Some(delay) => tokio::time::sleep(delay).await,
                None => return body,
            }
        }
    }

    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.graphql_as(&self.token, "2026-01", query, variables)
            .await
    }

    /// `stagedUploadsCreate` with POST: the target's url and its parameters in order.
    pub async fn stage(&self) -> (String, Vec<(String, String)>) {
        let body = self
            .graphql(
                "mutation($input: [StagedUploadInput!]!) { stagedUploadsCreate(input: $input) { stagedTargets { url resourceUrl parameters { name value } } userErrors { field message } } }",
                json!({"input": [{"resource": "BULK_MUTATION_VARIABLES", "filename": "bulk_op_vars", "mimeType": "text/jsonl", "httpMethod": "POST"}]}),
            )
            .await;
        let target = &body["data"]["stagedUploadsCreate"]["stagedTargets"][0];
        (
            target["url"].as_str().unwrap().to_owned(),
            form_fields(target),
        )
    }

    /// `stagedUploadsCreate` with PUT: the signed URL and the target's parameters.
    pub async fn stage_put(&self, filename: &str) -> (String, Value) {
        let body = self
            .graphql(
                "mutation($input: [StagedUploadInput!]!) { stagedUploadsCreate(input: $input) { stagedTargets { url resourceUrl parameters { name value } } } }",
                json!({"input": [{"resource": "BULK_MUTATION_VARIABLES", "filename": filename, "mimeType": "text/jsonl", "httpMethod": "PUT"}]}),
            )
            .await;
        let target = body["data"]["stagedUploadsCreate"]["stagedTargets"][0].clone();
        (
            target["url"].as_str().unwrap().to_owned(),
            target["parameters"].clone(),
        )
    }

    /// Posts a multipart form of `fields` in order, then `file` last (unless `file` is None).
    pub async fn post_form(
        &self,
        url: &str,
        fields: &[(String, String)],
        file: Option<&[u8]>,
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in fields {
            form = form.text(name.clone(), value.clone());
        }
        if let Some(file) = file {
            form = form.part(
                "file",
                reqwest::multipart::Part::bytes(file.to_vec()).file_name("products.jsonl"),
            );
        }
        self.http.post(url).multipart(form).send().await.unwrap()
    }

    /// Stages and uploads `content`; returns the key to pass as `stagedUploadPath`.
    pub async fn upload(&self, content: &str) -> String {
        let (url, parameters) = self.stage().await;
        let response = self
            .post_form(&url, &parameters, Some(content.as_bytes()))
            .await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        parameters
            .iter()
            .find(|(name, _)| name == "key")
            .unwrap()
            .1
            .clone()
    }

    pub async fn run_mutation_as(
        &self,
        token: &str,
        version: &str,
        mutation: &str,
        path: &str,
    ) -> Value {
        let body = self
            .graphql_as(
                token,
                version,
                "mutation($mutation: String!, $path: String!, $clientIdentifier: String) { bulkOperationRunMutation(mutation: $mutation, stagedUploadPath: $path, clientIdentifier: $clientIdentifier) { bulkOperation { id status type errorCode createdAt completedAt objectCount rootObjectCount fileSize url partialDataUrl query } userErrors { field message code } } }",
                json!({"mutation": mutation, "path": path}),
            )
            .await;
        body["data"]["bulkOperationRunMutation"].clone()
    }

    /// Uploads `lines` product lines, runs the product mutation over them and returns the
    /// operation's id once it is RUNNING with some lines done.
    pub async fn start_running(&self, lines: usize) -> String {
        let key = self.upload(&product_lines(lines)).await;
        let id = self.run_mutation(PRODUCT_CREATE, &key).await["bulkOperation"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for _ in 0..100_000 {
            let operation = self.operation(&id).await;
            if operation["objectCount"] != "0" {
                assert_eq!(operation["status"], "RUNNING", "{operation}");
                return id;
            }
        }
        panic!("{id} never got going: {}", self.operation(&id).await);
    }

    pub async fn run_mutation(&self, mutation: &str, path: &str) -> Value {
        self.run_mutation_as(&self.token, "2026-01", mutation, path)
            .await
    }

    pub async fn operation(&self, id: &str) -> Value {
        let body = self
            .graphql(
                "query($id: ID!) { bulkOperation(id: $id) { id status type errorCode createdAt completedAt objectCount rootObjectCount fileSize url partialDataUrl query } }",
                json!({"id": id}),
            )
            .await;
        body["data"]["bulkOperation"].clone()
    }

    /// Polls until the operation is terminal.
    pub async fn wait(&self, id: &str) -> Value {
        for _ in 0..3000 {
            let operation = self.operation(id).await;
            if matches!(
                operation["status"].as_str(),
                Some("COMPLETED" | "FAILED" | "CANCELED" | "EXPIRED")
            ) {
                return operation;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("operation {id} did not finish");
    }

    pub async fn get(&self, url: &str) -> reqwest::Response {
        self.http.get(url).send().await.unwrap()
    }

    /// Uploads `content`, runs `mutation` over it, waits, and returns the operation and its result lines.
    pub async fn import(&self, content: &str, mutation: &str) -> (Value, Vec<Value>) {
        let key = self.upload(content).await;
        let run = self.run_mutation(mutation, &key).await;
        assert_eq!(run["userErrors"], json!([]), "{run}");
        let operation = self
            .wait(run["bulkOperation"]["id"].as_str().unwrap())
            .await;
        assert_eq!(operation["status"], "COMPLETED", "{operation}");
        let text = self
            .get(operation["url"].as_str().unwrap())
            .await
            .text()
            .await
            .unwrap();
        let lines = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        (operation, lines)
    }
}

/// A staged target's parameters as form fields, in order.
pub fn form_fields(target: &Value) -> Vec<(String, String)> {
    target["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Result lines keyed by their `__lineNumber`.
pub fn by_line_number(lines: Vec<Value>) -> std::collections::BTreeMap<u64, Value> {
    lines
        .into_iter()
        .map(|line| (line["__lineNumber"].as_u64().unwrap(), line))
        .collect()
}

/// `n` lines of productCreate variables with distinct titles.
pub fn product_lines(n: usize) -> String {
    (0..n).map(|i| format!("{{\"input\":{{\"title\":\"Board {i}\",\"productType\":\"Snowboard\",\"vendor\":\"JadedPixel\"}}}}\n")).collect()
}

/// The object key a signed PUT URL uploads to: its `stagedUploadPath`.
pub fn key_of_put_url(url: &str) -> &str {
    // `…/staged-uploads/<key>?…` from this server, `…/<bucket>/<prefix>/<key>?…` presigned by
    // a bucket: either way the key is the path from its `tmp/` on.
    let path = url.split('?').next().unwrap();
    &path[path.find("/tmp/").expect("a staged key in the URL") + 1..]
}

/// The same link with its signature changed, for this server's links and presigned ones.
pub fn tamper_signature(url: &str) -> String {
    let (name, at) = ["X-Amz-Signature=", "signature="]
        .iter()
        .find_map(|name| url.find(name).map(|at| (*name, at)))
        .expect("a signed link");
    let start = at + name.len();
    let original = &url[start..start + 1];
    let replacement = if original == "0" { "1" } else { "0" };
    format!("{}{replacement}{}", &url[..start], &url[start + 1..])
}
