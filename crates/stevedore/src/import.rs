//! `stevedore import`: the documented flow end to end, with progress bars and a summary.

use crate::{random_token, StoreArgs};
use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use stevedore_api::App;
use stevedore_client::Client;
use stevedore_engine::lines::ChunkPlanner;
use stevedore_engine::EngineConfig;
use tokio_util::sync::CancellationToken;

#[derive(Args)]
pub struct ImportArgs {
    /// The JSONL file: one JSON object of variables per line.
    file: PathBuf,
    /// The mutation to run per line: a file holding it, or the document itself.
    #[arg(long)]
    mutation: String,
    /// A running Stevedore (or compatible) server; default: an engine in this process.
    #[arg(long, requires = "token")]
    server: Option<String>,
    /// Access token for --server.
    #[arg(long)]
    token: Option<String>,
    /// Admin API version to speak.
    #[arg(long, default_value = "2026-01")]
    api_version: String,
    /// Where to write the result JSONL; default: bulk-<id>.jsonl in <data dir>/results (or here with --server).
    #[arg(long)]
    output: Option<PathBuf>,
    #[command(flatten)]
    store: StoreArgs,
}

/// Counts the lines that will get a result (non-blank ones), for the progress bar, as the
/// engine's planner counts them.
fn count_lines(file: &Path) -> Result<u64> {
    let mut input =
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let mut planner = ChunkPlanner::new(EngineConfig::default().chunk_limits);
    let mut buffer = vec![0; 1 << 20];
    loop {
        let read = input.read(&mut buffer)?;
        if read == 0 {
            return Ok(planner.finish().non_blank_lines);
        }
        planner.feed(&buffer[..read]);
    }
}

/// What the summary needs of a result line: whether it has `errors`, and each root field's
/// `userErrors`. Read without building the line's whole JSON tree.
#[derive(Deserialize)]
struct ResultLine {
    #[serde(default)]
    data: Option<BTreeMap<String, Option<Payload>>>,
    #[serde(default)]
    errors: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct Payload {
    #[serde(rename = "userErrors", default)]
    user_errors: Option<Vec<IgnoredAny>>,
}

impl ResultLine {
    fn has_errors(&self) -> bool {
        let user_errors = self
            .data
            .iter()
            .flat_map(|data| data.values())
            .any(|payload| {
                payload
                    .as_ref()
                    .and_then(|payload| payload.user_errors.as_ref())
                    .is_some_and(|errors| !errors.is_empty())
            });
        self.errors.is_some() || user_errors
    }
}

/// Reads a result file: (lines, lines with errors or userErrors).
fn summarize(result: &Path) -> Result<(u64, u64)> {
    let mut reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(result)?);
    let (mut lines, mut with_errors) = (0, 0);
    // One buffer for every line: a million-line result is a million lines, not allocations.
    let mut line = Vec::new();
    while reader.read_until(b'\n', &mut line)? > 0 {
        if !line.iter().all(u8::is_ascii_whitespace) {
            lines += 1;
            let parsed: ResultLine =
                serde_json::from_slice(&line).context("result line is not JSON")?;
            with_errors += u64::from(parsed.has_errors());
        }
        line.clear();
    }
    Ok((lines, with_errors))
}

pub async fn run(args: ImportArgs) -> Result<()> {
    let mutation = match std::fs::read_to_string(&args.mutation) {
        Ok(document) => document,
        Err(_) if args.mutation.trim_start().starts_with("mutation") => args.mutation.clone(),
        Err(error) => bail!("cannot read the mutation file {}: {error}", args.mutation),
    };
    let total_lines = count_lines(&args.file)?;
    let file_size = std::fs::metadata(&args.file)?.len();

    // Without --server, serve the API in this process on a loopback port and talk to it over HTTP.
    let shutdown = CancellationToken::new();
    // Dropping a JoinSet aborts its tasks: the workers must live as long as the import.
    let mut workers = tokio::task::JoinSet::new();
    let (base_url, token, default_dir) = match (&args.server, &args.token) {
        (Some(server), Some(token)) => (server.clone(), token.clone(), PathBuf::from(".")),
        _ => {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
            let base_url = format!("http://{}", listener.local_addr()?);
            let config = args.store.config();
            let app = App::open(&config, &base_url).await?;
            let token = random_token("shpat_import_");
            let scopes = vec!["read_products".to_owned(), "write_products".to_owned()];
            app.services()
                .engine
                .store()
                .create_shop_token(
                    "import.stevedore.local",
                    &token,
                    &scopes,
                    &random_token(""),
                    false,
                )
                .await?;
            workers = app.start_workers(shutdown.clone());
            let serving = shutdown.clone();
            tokio::spawn(async move { app.serve(listener, serving).await });
            (base_url, token, config.data_dir.join("results"))
        }
    };
    let client = Client::new(&base_url, &args.api_version, &token);
    let started = Instant::now();

    let bars = MultiProgress::new();
    let upload_bar = bars.add(ProgressBar::new(file_size));
    upload_bar.set_style(ProgressStyle::with_template(
        "upload {bar:40} {bytes}/{total_bytes} {bytes_per_sec}",
    )?);
    let run_bar = bars.add(ProgressBar::new(total_lines));
    run_bar.set_style(ProgressStyle::with_template(
        "run    {bar:40} {pos}/{len} lines {msg}",
    )?);

    let filename = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "input.jsonl".into());
    let target = client.stage(&filename).await?;
    let key = target
        .key()
        .context("the staged target has no key parameter")?
        .to_owned();
    let progress = upload_bar.clone();
    client
        .upload(&target, &args.file, move |sent| progress.inc(sent))
        .await?;
    upload_bar.finish();

    let id = client.run_mutation(&mutation, &key).await?;
    let operation = client
        .wait(&id, Duration::from_millis(100), |operation| {
            let done = operation["objectCount"]
                .as_str()
                .and_then(|count| count.parse().ok())
                .unwrap_or(0);
            run_bar.set_position(done);
            run_bar.set_message(operation["status"].as_str().unwrap_or_default().to_owned());
        })
        .await?;
    run_bar.finish();
    let status = operation["status"].as_str().unwrap_or_default();
    let Some(url) = operation["url"]
        .as_str()
        .or(operation["partialDataUrl"].as_str())
    else {
        bail!("bulk operation {id} ended {status} without a result ({operation})");
    };
    let numeric_id = id.rsplit('/').next().unwrap_or("result");
    let output = args
        .output
        .unwrap_or_else(|| default_dir.join(format!("bulk-{numeric_id}.jsonl")));
    client.download(url, &output).await?;
    let elapsed = started.elapsed();
    shutdown.cancel();
    while workers.join_next().await.is_some() {}

    let (lines, with_errors) = summarize(&output)?;
    println!();
    println!("bulk operation  {id} {status}");
    println!("lines           {lines}");
    println!("ok              {}", lines - with_errors);
    println!("with errors     {with_errors}");
    println!("elapsed         {:.2} s", elapsed.as_secs_f64());
    println!(
        "lines/s         {:.0}",
        lines as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    println!("result          {}", output.display());
    if status != "COMPLETED" {
        bail!("bulk operation ended {status}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(content: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, content.as_bytes()).unwrap();
        file
    }

    #[test]
    fn counts_the_lines_that_get_a_result() {
        let input = file_with("{\"a\":1}\n\n   \n{\"a\":2}\r\n\t\n{\"a\":3}");
        assert_eq!(count_lines(input.path()).unwrap(), 3);
        assert_eq!(count_lines(file_with("").path()).unwrap(), 0);
    }

    #[test]
    fn a_summary_counts_lines_with_errors_or_user_errors() {
        let result = file_with(concat!(
            r#"{"data":{"productCreate":{"product":{"id":"gid:\/\/shopify\/Product\/1"},"userErrors":[]}},"__lineNumber":0}"#,
            "\n",
            r#"{"data":{"productCreate":{"product":null,"userErrors":[{"field":["title"],"message":"Title can't be blank"}]}},"__lineNumber":1}"#,
            "\n\n",
            r#"{"errors":[{"message":"Variable $input of type ProductInput! was provided invalid value"}],"__lineNumber":3}"#,
            "\n",
            r#"{"data":{"productCreate":null},"errors":[{"message":"Internal error"}],"__lineNumber":4}"#,
            "\n",
            r#"{"data":{"first":{"userErrors":[]},"second":{"product":{"id":"x"}}},"__lineNumber":5}"#,
            "\n",
        ));
        assert_eq!(summarize(result.path()).unwrap(), (5, 3));
    }

    #[test]
    fn a_result_line_that_is_not_json_is_an_error() {
        let result = file_with("{\"data\":{}}\nnot json\n");
        assert!(summarize(result.path()).is_err());
    }
}
