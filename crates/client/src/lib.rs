//! A client for the documented bulk-import flow over HTTP: stage, upload (multipart, `file`
//! last, streamed from disk), run, poll, download. The CLI's `import` uses it, and so do the
//! end-to-end tests.

use anyhow::{anyhow, bail, Context, Result};
use futures::StreamExt;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

const STAGE: &str = "mutation stage($input: [StagedUploadInput!]!) { stagedUploadsCreate(input: $input) { stagedTargets { url resourceUrl parameters { name value } } userErrors { field message } } }";
const RUN: &str = "mutation run($mutation: String!, $path: String!) { bulkOperationRunMutation(mutation: $mutation, stagedUploadPath: $path) { bulkOperation { id status } userErrors { field message code } } }";
const POLL: &str = "query poll($id: ID!) { bulkOperation(id: $id) { id status errorCode createdAt completedAt objectCount rootObjectCount fileSize url partialDataUrl } }";

#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    endpoint: String,
    token: String,
}

/// Where and how to upload: the target `stagedUploadsCreate` returned.
#[derive(Debug, Clone)]
pub struct StagedTarget {
    pub url: String,
    pub parameters: Vec<(String, String)>,
}

impl StagedTarget {
    /// The `key` parameter: what `bulkOperationRunMutation` takes as `stagedUploadPath`.
    pub fn key(&self) -> Option<&str> {
        self.parameters
            .iter()
            .find(|(name, _)| name == "key")
            .map(|(_, value)| value.as_str())
    }
}

impl Client {
    pub fn new(base_url: &str, api_version: &str, token: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            endpoint: format!(
                "{}/admin/api/{api_version}/graphql.json",
                base_url.trim_end_matches('/')
            ),
            token: token.to_owned(),
        }
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Posts a GraphQL request and returns the whole response document. A `THROTTLED` answer
    /// is retried once the bucket has refilled enough, as the server's cost report says.
    pub async fn graphql(&self, query: &str, variables: Value) -> Result<Value> {
        loop {
            let body = self.graphql_once(query, &variables).await?;
            match throttle_delay(&body) {
                Some(delay) => tokio::time::sleep(delay).await,
                None => return Ok(body),
            }
        }
    }

    async fn graphql_once(&self, query: &str, variables: &Value) -> Result<Value> {
        let response = self
            .http
            .post(&self.endpoint)
            .header("X-Shopify-Access-Token", &self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .context("GraphQL request failed")?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .with_context(|| format!("GraphQL response ({status}) is not JSON"))?;
        if !status.is_success() {
            bail!("GraphQL request answered {status}: {body}");
        }
        Ok(body)
    }

    /// Like [`graphql`](Self::graphql), but fails on top-level errors and returns `data`.
    pub async fn data(&self, query: &str, variables: Value) -> Result<Value> {
        let body = self.graphql(query, variables).await?;
        if let Some(errors) = body.get("errors") {
            bail!("GraphQL errors: {errors}");
        }
        Ok(body["data"].clone())
    }

    pub async fn stage(&self, filename: &str) -> Result<StagedTarget> {
        let data = self
            .data(
                STAGE,
                json!({"input": [{"resource": "BULK_MUTATION_VARIABLES", "filename": filename, "mimeType": "text/jsonl", "httpMethod": "POST"}]}),
            )
            .await?;
        let payload = &data["stagedUploadsCreate"];
        check_user_errors(&payload["userErrors"])?;
        let target = &payload["stagedTargets"][0];
        let url = target["url"]
            .as_str()
            .ok_or_else(|| anyhow!("staged target has no url"))?
            .to_owned();
        let parameters = target["parameters"]
            .as_array()
            .ok_or_else(|| anyhow!("staged target has no parameters"))?
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap_or_default().to_owned(),
                    p["value"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        Ok(StagedTarget { url, parameters })
    }

    /// Uploads `file` to the target as a multipart form, `file` last, streaming from disk and
    /// reporting bytes sent to `progress`.
    pub async fn upload(
        &self,
        target: &StagedTarget,
        file: &Path,
        progress: impl Fn(u64) + Send + Sync + 'static,
    ) -> Result<()> {
        let handle = tokio::fs::File::open(file)
            .await
            .with_context(|| format!("cannot open {}", file.display()))?;
        let length = handle.metadata().await?.len();
        // Reads of 256 KiB: the default 4 KiB made every read a blocking task and a wake-up, which
        // held a loopback upload to half its speed.
        let stream =
            tokio_util::io::ReaderStream::with_capacity(handle, 256 * 1024).inspect(move |piece| {
                if let Ok(bytes) = piece {
                    progress(bytes.len() as u64);
                }
            });
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in &target.parameters {
            form = form.text(name.clone(), value.clone());
        }
        let filename = file
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "input.jsonl".into());
        let part = reqwest::multipart::Part::stream_with_length(
            reqwest::Body::wrap_stream(stream),
            length,
        )
        .file_name(filename)
        .mime_str("text/jsonl")?;
        form = form.part("file", part);
        let response = self
            .http
            .post(&target.url)
            .multipart(form)
            .send()
            .await
            .context("upload failed")?;
        let status = response.status();
        if status.as_u16() != 201 {
            bail!(
                "upload answered {status}: {}",
                response.text().await.unwrap_or_default()
            );
        }
        Ok(())
    }

    /// Starts the bulk mutation; returns the operation id.
    pub async fn run_mutation(&self, mutation: &str, staged_upload_path: &str) -> Result<String> {
        let data = self
            .data(
                RUN,
                json!({"mutation": mutation, "path": staged_upload_path}),
            )
            .await?;
        let payload = &data["bulkOperationRunMutation"];
        check_user_errors(&payload["userErrors"])?;
        payload["bulkOperation"]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("no bulk operation returned"))
    }

    pub async fn operation(&self, id: &str) -> Result<Value> {
        Ok(self.data(POLL, json!({"id": id})).await?["bulkOperation"].clone())
    }

    /// Polls until the operation ends, calling `progress` with each state seen.
    pub async fn wait(
        &self,
        id: &str,
        interval: Duration,
        mut progress: impl FnMut(&Value),
    ) -> Result<Value> {
        loop {
            let operation = self.operation(id).await?;
            progress(&operation);
            if matches!(
                operation["status"].as_str(),
                Some("COMPLETED" | "FAILED" | "CANCELED" | "EXPIRED")
            ) {
                return Ok(operation);
            }
            tokio::time::sleep(interval).await;
        }
    }

    /// Downloads `url` to `destination`, streaming; returns the bytes written.
    pub async fn download(&self, url: &str, destination: &Path) -> Result<u64> {
        let response = self.http.get(url).send().await.context("download failed")?;
        let status = response.status();
        if !status.is_success() {
            bail!(
                "download answered {status}: {}",
                response.text().await.unwrap_or_default()
            );
        }
        if let Some(parent) = destination.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        let mut out = tokio::fs::File::create(destination).await?;
        let mut body = response.bytes_stream();
        let mut written = 0;
        while let Some(piece) = body.next().await {
            let piece = piece?;
            written += piece.len() as u64;
            out.write_all(&piece).await?;
        }
        out.flush().await?;
        Ok(written)
    }
}

fn check_user_errors(errors: &Value) -> Result<()> {
    match errors.as_array() {
        Some(errors) if !errors.is_empty() => bail!("userErrors: {}", Value::Array(errors.clone())),
        _ => Ok(()),
    }
}

/// How long to wait before retrying a `THROTTLED` response: until the bucket holds the points
/// the request asked for, at the bucket's restore rate. None for any other response.
pub fn throttle_delay(body: &Value) -> Option<Duration> {
    if body.pointer("/errors/0/extensions/code")? != "THROTTLED" {
        return None;
    }
    let cost = &body["extensions"]["cost"];
    let requested = cost["requestedQueryCost"].as_f64().unwrap_or(1.0);
    let available = cost["throttleStatus"]["currentlyAvailable"]
        .as_f64()
        .unwrap_or(0.0);
    let rate = cost["throttleStatus"]["restoreRate"]
        .as_f64()
        .filter(|r| *r > 0.0)
        .unwrap_or(50.0);
    Some(Duration::from_secs_f64(
        ((requested - available).max(1.0)) / rate,
    ))
}
