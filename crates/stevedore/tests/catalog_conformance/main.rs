//! The catalog conformance runner: replays the parity specs in `fixtures/parity/parity-specs`
//! (which request produced each capture in `fixtures/catalog-captures`, recorded against real
//! stores, and which parts of the recorded answer to compare) against a fresh Stevedore per
//! spec, and compares each target strictly, except where the spec names an expected difference
//! (`shopify-gid:Product`, `iso-timestamp`, …).
//!
//! A target is skipped, by name and with its reason, when our answer shows a part of the
//! Admin schema this catalog does not have yet (a root field, a field, an argument, an input
//! type), when its capture starts from recorded data of a kind seeding cannot make yet (see
//! `seed.rs`: the rest is seeded), or when it replays a staged upload or the recording
//! tool's own log. It prints one line per target and a tally per domain.
//!
//! Targets that run and differ are failures. Those known today are listed, with the first
//! difference, in `known_failures.txt` beside this file: the run fails when a target fails that
//! the list does not name, or when one it names no longer fails (so the list only shrinks
//! honestly). `cargo test --test catalog_conformance -- <text>` replays only the specs whose
//! id contains `<text>` (with `CONFORMANCE_SHOW=1`, a failing target prints our whole answer);
//! `-- --write-known-failures` rewrites the list from this run.

#[path = "../support/mod.rs"]
mod support;

mod json_path;
mod seed;

use json_path::{compare, select, Differences, Matcher};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use support::TestServer;

/// The domains of the catalog; bulk operations have their own runner (`conformance`).
const DOMAINS: &[&str] = &[
    "products",
    "metafields",
    "metafield-definitions",
    "media",
    "customers",
    "webhooks",
    "store-properties",
    "admin-platform",
];

/// Every scope a capture may need: the runner's token is an app's with all of them.
const SCOPES: &[&str] = &[
    "write_products",
    "write_inventory",
    "write_customers",
    "write_files",
    "write_publications",
    "write_locations",
    "write_metaobjects",
    "write_metaobject_definitions",
    "write_online_store_pages",
    "write_themes",
];

const TOKEN: &str = "shpat_catalog_conformance";

/// The stores the captures were recorded on, with the shop id their answers show
/// (`gid://shopify/Shop/N`): a spec's server holds its store's shop under that id.
const RECORDED_SHOPS: &[(&str, i64)] = &[
    ("harry-test-heelo.myshopify.com", 92891250994),
    ("very-big-test-store.myshopify.com", 63755419881),
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// A path inside a spec (`config/parity-requests/…`, `fixtures/conformance/…`) as it lies in
/// this repository.
fn fixture_path(spec_path: &str) -> PathBuf {
    if let Some(rest) = spec_path.strip_prefix("config/") {
        return fixtures().join("parity").join(rest);
    }
    if let Some(rest) = spec_path.strip_prefix("fixtures/conformance/") {
        return fixtures().join("catalog-captures").join(rest);
    }
    fixtures().join(spec_path)
}

#[derive(Debug, Clone)]
enum Outcome {
    Passed,
    Failed(Vec<String>),
    Skipped(String),
}

struct Spec {
    id: String,
    domain: String,
    body: Value,
    /// `Value::Null` when the spec's capture is not among the fixtures.
    capture: Value,
    /// The API version of the capture's folder, for requests that name none.
    version: String,
    /// The recorded store of the capture's folder (domain, shop id).
    shop: (&'static str, i64),
}

/// Every published capture by file name.
fn published_captures() -> HashMap<String, PathBuf> {
    let mut found = HashMap::new();
    let mut folders = vec![fixtures().join("catalog-captures")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else if let Some(name) = path.file_name() {
                found.insert(name.to_string_lossy().into_owned(), path);
            }
        }
    }
    found
}

fn specs(filter: Option<&str>) -> Vec<Spec> {
    let published = published_captures();
    let mut found = Vec::new();
    for domain in DOMAINS {
        let folder = fixtures().join("parity/parity-specs").join(domain);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .unwrap_or_else(|error| panic!("{}: {error}", folder.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        files.sort();
        for file in files {
            let id = format!("{domain}/{}", file.file_stem().unwrap().to_string_lossy());
            if filter.is_some_and(|text| !id.contains(text)) {
                continue;
            }
            let body = read_json(&file);
            let capture_file = body["liveCaptureFiles"][0].as_str().unwrap_or_default();
            // A few specs name their capture under another store or version than the one it
            // was published under; file names are unique, so look for it by name.
            let capture_path = Some(fixture_path(capture_file))
                .filter(|path| path.exists())
                .or_else(|| published.get(capture_file.rsplit('/').next()?).cloned())
                .unwrap_or_else(|| fixture_path(capture_file));
            let relative = capture_path
                .strip_prefix(fixtures())
                .unwrap_or(&capture_path);
            let version = relative
                .to_string_lossy()
                .split('/')
                .find(|part| part.len() == 7 && part.as_bytes()[4] == b'-')
                .unwrap_or("2026-04")
                .to_owned();
            let shop = RECORDED_SHOPS
                .iter()
                .copied()
                .find(|(domain, _)| relative.to_string_lossy().contains(domain))
                .unwrap_or(RECORDED_SHOPS[0]);
            found.push(Spec {
                id,
                domain: (*domain).to_owned(),
                capture: match capture_path.exists() {
                    true => read_json(&capture_path),
                    false => Value::Null,
                },
                body,
                version,
                shop,
            });
        }
    }
    found
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filter = args.iter().find(|arg| !arg.starts_with('-')).cloned();
    let write_known = args.iter().any(|arg| arg == "--write-known-failures");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let specs = specs(filter.as_deref());
    let mut results: Vec<(String, String, Outcome)> = Vec::new();
    for spec in &specs {
        for (target, outcome) in runtime.block_on(run_spec(spec)) {
            results.push((
                spec.domain.clone(),
                format!("{} {target}", spec.id),
                outcome,
            ));
        }
    }

    let mut tally: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    let mut failing = BTreeMap::new();
    for (domain, name, outcome) in &results {
        let counts = tally.entry(domain.as_str()).or_default();
        match outcome {
            Outcome::Passed => {
                counts[0] += 1;
                println!("pass  {name}");
            }
            Outcome::Failed(problems) => {
                counts[1] += 1;
                println!("FAIL  {name}");
                for problem in problems {
                    println!("        {problem}");
                }
                failing.insert(name.clone(), problems.first().cloned().unwrap_or_default());
            }
            Outcome::Skipped(reason) => {
                counts[2] += 1;
                println!("skip  {name}: {reason}");
            }
        }
    }
    println!();
    let mut skip_reasons: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, _, outcome) in &results {
        if let Outcome::Skipped(reason) = outcome {
            *skip_reasons.entry(reason.as_str()).or_default() += 1;
        }
    }
    let mut reasons: Vec<_> = skip_reasons.into_iter().collect();
    reasons.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    println!("most common reasons to skip:");
    for (reason, count) in reasons.iter().take(15) {
        println!("  {count:4}  {reason}");
    }
    println!();
    let mut totals = [0; 3];
    for (domain, [passed, failed, skipped]) in &tally {
        println!(
            "catalog conformance {domain}: {passed} passed, {failed} failed, {skipped} skipped"
        );
        totals = [totals[0] + passed, totals[1] + failed, totals[2] + skipped];
    }
    println!(
        "catalog conformance: {} passed, {} failed, {} skipped",
        totals[0], totals[1], totals[2]
    );

    let known_file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/catalog_conformance/known_failures.txt");
    if write_known {
        let mut text = String::from(
            "# Targets of the catalog conformance run that fail today, each with its first\n\
             # difference. The runner fails when a target not named here fails, or when one\n\
             # named here passes or is skipped: remove it then.\n",
        );
        for (name, problem) in &failing {
            text.push_str(&format!("{name}  # {problem}\n"));
        }
        std::fs::write(&known_file, text).unwrap();
        println!("wrote {} known failures", failing.len());
        return;
    }
    let known: BTreeSet<String> = std::fs::read_to_string(&known_file)
        .unwrap_or_default()
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| line.split("  #").next().unwrap_or(line).trim().to_owned())
        .collect();
    let ran: BTreeSet<&String> = results.iter().map(|(_, name, _)| name).collect();
    let new_failures: Vec<&String> = failing
        .keys()
        .filter(|name| !known.contains(*name))
        .collect();
    let fixed: Vec<&String> = known
        .iter()
        .filter(|name| ran.contains(name) && !failing.contains_key(*name))
        .collect();
    for name in &new_failures {
        println!("NEW FAILURE  {name}");
    }
    for name in &fixed {
        println!("NO LONGER FAILS (remove it from known_failures.txt)  {name}");
    }
    if !new_failures.is_empty() || !fixed.is_empty() || (filter.is_none() && totals[0] == 0) {
        std::process::exit(1);
    }
}

/// A server for one spec, holding its recorded store's shop, with a token that has every
/// scope.
async fn fresh_server(spec: &Spec) -> TestServer {
    let server = TestServer::start().await;
    let (domain, id) = spec.shop;
    let store = server.app.services().engine.store();
    store
        .create_shop_with_id(stevedore_core::ShopId(id), domain, "hush")
        .await
        .unwrap()
        .expect("a fresh server has no shop of that id");
    server.add_token(domain, TOKEN, SCOPES).await;
    server
}

/// What a request to our server came to.
enum Exchange {
    Answered(Value),
    Skipped(String),
}

async fn run_spec(spec: &Spec) -> Vec<(String, Outcome)> {
    let targets: Vec<Value> = spec.body["comparison"]["targets"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let name_of = |target: &Value| target["name"].as_str().unwrap_or("unnamed").to_owned();
    let skip_all = |reason: String| {
        targets
            .iter()
            .map(|target| (name_of(target), Outcome::Skipped(reason.clone())))
            .collect()
    };
    if spec.capture.is_null() {
        return skip_all("its capture was not published with the others".into());
    }
    let compared: Vec<&Value> = targets
        .iter()
        .filter_map(|target| select(&spec.capture, target["capturePath"].as_str().unwrap_or("$")))
        .collect();
    let seed = seed::Seed::of(&spec.capture, &compared);
    if !seed.missing.is_empty() {
        return skip_all(format!(
            "starts from the recorded store's data, which seeding cannot make yet: {}",
            seed.missing
                .iter()
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let server = fresh_server(spec).await;
    if !seed.is_empty() {
        restore(&server, &seed).await;
    }
    let mut context = Context {
        seeded: seed.ids,
        spec,
        primary: None,
        named: HashMap::new(),
        previous: None,
    };
    let primary = match spec.body.get("proxyRequest") {
        Some(request) => Some(send(&server, &context, request).await),
        None => None,
    };
    match &primary {
        Some(Exchange::Answered(answer)) => context.primary = Some(answer.clone()),
        // Reads after a mutation that could not run would show a store it never changed.
        Some(Exchange::Skipped(reason))
            if reason.starts_with("starts from the recorded")
                || reason.starts_with("waits for") =>
        {
            return skip_all(reason.clone());
        }
        _ => {}
    }
    let mut outcomes = Vec::new();
    // A mutation this server cannot run yet (a root, an argument or an input field it lacks):
    // what is read after it would show a store it never changed. (Writes after it still run:
    // most check their own input before the store.)
    let mut blocked: Option<String> = None;
    for target in &targets {
        let name = name_of(target);
        let reads_after = target["isolatedProxy"] != true
            && target
                .get("proxyRequest")
                .is_some_and(|request| is_read(spec, request));
        if let Some(reason) = blocked.as_ref().filter(|_| reads_after) {
            outcomes.push((name, Outcome::Skipped(reason.clone())));
            continue;
        }
        if [
            "proxyHttpRequest",
            "proxyUpload",
            "jsonlRecords",
            "proxyLogPath",
        ]
        .iter()
        .any(|key| target.get(key).is_some())
        {
            outcomes.push((
                name,
                Outcome::Skipped("replays a staged upload or the recording tool's log".into()),
            ));
            continue;
        }
        let exchange = match target.get("proxyRequest") {
            Some(request) if target["isolatedProxy"] == true => {
                send(&fresh_server(spec).await, &context, request).await
            }
            Some(request) => send(&server, &context, request).await,
            None => match &primary {
                Some(Exchange::Answered(answer)) => Exchange::Answered(answer.clone()),
                Some(Exchange::Skipped(reason)) => Exchange::Skipped(reason.clone()),
                None => Exchange::Skipped("the spec has no request of its own".into()),
            },
        };
        let answer = match exchange {
            Exchange::Answered(answer) => answer,
            Exchange::Skipped(reason) => {
                outcomes.push((name, Outcome::Skipped(reason)));
                continue;
            }
        };
        context.named.insert(name.clone(), answer.clone());
        context.previous = Some(answer.clone());
        let outcome = judge(spec, target, &answer);
        let is_mutation = !target
            .get("proxyRequest")
            .is_some_and(|request| is_read(spec, request));
        if let Outcome::Skipped(reason) = &outcome {
            if reason.starts_with("waits for") && is_mutation && target["isolatedProxy"] != true {
                blocked = Some(format!("follows a mutation that {reason}"));
            }
        }
        if matches!(outcome, Outcome::Failed(_)) && std::env::var_os("CONFORMANCE_SHOW").is_some() {
            println!("ours  {} {name}: {answer:.2000}", spec.id);
        }
        outcomes.push((name, outcome));
    }
    outcomes
}

/// Where request variables may take their values from.
struct Context<'a> {
    spec: &'a Spec,
    /// The recorded ids the server was seeded with.
    seeded: BTreeSet<String>,
    primary: Option<Value>,
    named: HashMap<String, Value>,
    previous: Option<Value>,
}

impl Context<'_> {
    /// Replaces every `{"fromPrimaryProxyPath": …}`, `{"fromProxyResponse": name, "path": …}`,
    /// `{"fromPreviousProxyPath": …}` and `{"fromCapturePath": …}` in `value` by what it names.
    fn resolve(&self, value: &Value) -> Result<Value, String> {
        match value {
            Value::Object(fields) => {
                let from = |source: Option<&Value>, path: &Value| -> Result<Value, String> {
                    let path = path.as_str().unwrap_or("$");
                    let found = source.and_then(|source| select(source, path));
                    found.cloned().ok_or_else(|| {
                        // What the earlier request lacked is why this one cannot run.
                        source
                            .and_then(|source| schema_gap(source, &self.spec.capture))
                            .unwrap_or_else(|| format!("an earlier answer has nothing at {path}"))
                    })
                };
                if let Some(path) = fields.get("fromPrimaryProxyPath") {
                    return from(self.primary.as_ref(), path);
                }
                if let Some(path) = fields.get("fromPreviousProxyPath") {
                    return from(self.previous.as_ref(), path);
                }
                if let Some(name) = fields.get("fromProxyResponse") {
                    let source = self.named.get(name.as_str().unwrap_or_default());
                    return from(source, &fields["path"]);
                }
                if let Some(path) = fields.get("fromCapturePath") {
                    return from(Some(&self.spec.capture), path);
                }
                let mut resolved = serde_json::Map::new();
                for (key, value) in fields {
                    resolved.insert(key.clone(), self.resolve(value)?);
                }
                Ok(Value::Object(resolved))
            }
            Value::Array(items) => items.iter().map(|item| self.resolve(item)).collect(),
            other => Ok(other.clone()),
        }
    }
}

/// Sends a spec's request (`documentPath` or `documentCapturePath`; `variablesCapturePath`,
/// `variablesPath` or inline `variables`; `operationName` or `operationNameCapturePath`) to
/// `server`.
async fn send(server: &TestServer, context: &Context<'_>, request: &Value) -> Exchange {
    let spec = context.spec;
    let document = if let Some(path) = request["documentPath"].as_str() {
        match std::fs::read_to_string(fixture_path(path)) {
            Ok(text) => text,
            Err(error) => return Exchange::Skipped(format!("document {path}: {error}")),
        }
    } else if let Some(path) = request["documentCapturePath"].as_str() {
        match select(&spec.capture, path).and_then(Value::as_str) {
            Some(text) => text.to_owned(),
            None => return Exchange::Skipped(format!("the capture has no document at {path}")),
        }
    } else {
        return Exchange::Skipped("the request names no document".into());
    };
    let variables = if let Some(path) = request["variablesCapturePath"].as_str() {
        select(&spec.capture, path).cloned().unwrap_or(json!({}))
    } else if let Some(path) = request["variablesPath"].as_str() {
        read_json(&fixture_path(path))
    } else {
        request.get("variables").cloned().unwrap_or(json!({}))
    };
    let variables = match context.resolve(&variables) {
        Ok(variables) => variables,
        Err(reason) => return Exchange::Skipped(reason),
    };
    if let Some(reason) = names_recorded_object(&variables, &context.spec.capture, &context.seeded)
    {
        return Exchange::Skipped(reason);
    }
    if request.get("headers").is_some() {
        return Exchange::Skipped("sends headers of the recording tool's own".into());
    }
    let version = request["apiVersion"]
        .as_str()
        .unwrap_or(&spec.version)
        .to_owned();
    let operation_name = match request["operationNameCapturePath"].as_str() {
        Some(path) => select(&spec.capture, path).cloned().unwrap_or(Value::Null),
        None => request.get("operationName").cloned().unwrap_or(Value::Null),
    };
    let body =
        json!({ "query": document, "variables": variables, "operationName": operation_name });
    loop {
        let response = server.post_graphql(TOKEN, &version, &body).await;
        let status = response.status();
        let answer: Value = match response.json().await {
            Ok(answer) => answer,
            Err(error) => return Exchange::Skipped(format!("HTTP {status}: {error}")),
        };
        match stevedore_client::throttle_delay(&answer) {
            Some(delay) => tokio::time::sleep(delay).await,
            None => return Exchange::Answered(answer),
        }
    }
}

/// Whether `request`'s document is a query (not a mutation): a read of the store as earlier
/// requests left it.
fn is_read(spec: &Spec, request: &Value) -> bool {
    let document = match (
        request["documentPath"].as_str(),
        request["documentCapturePath"].as_str(),
    ) {
        (Some(path), _) => std::fs::read_to_string(fixture_path(path)).unwrap_or_default(),
        (None, Some(path)) => select(&spec.capture, path)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        _ => return false,
    };
    let operation = document
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'))
        .unwrap_or_default();
    operation.starts_with("query") || operation.starts_with('{')
}

/// Writes `seed` into `server`'s catalog, in the shop the runner's token belongs to.
async fn restore(server: &TestServer, seed: &seed::Seed) {
    let store = server.app.services().engine.store().clone();
    let caller = store.authenticate(TOKEN).await.unwrap().unwrap();
    let db = stevedore_catalog::CatalogDb::Pool(store);
    let records = stevedore_catalog::restore::Records {
        products: seed.products.values().cloned().collect(),
        metafields: seed.metafields.values().cloned().collect(),
        definitions: seed.definitions.values().cloned().collect(),
    };
    stevedore_catalog::restore::restore(&db, caller.shop.id, records)
        .await
        .unwrap_or_else(|error| panic!("seeding: {error:?}"));
}

/// Whether a request's variables name an object the recording's store already had: a global
/// id the recorded answers show as an object's `id`. (Ids the replay made are this server's own
/// and never equal a recorded one; ids of objects that do not exist, sent to see the refusal,
/// appear in no recorded answer as an object's id.)
fn names_recorded_object(
    variables: &Value,
    capture: &Value,
    seeded: &BTreeSet<String>,
) -> Option<String> {
    // Objects read back with fields of their own, outside what the recording sent.
    fn ids(value: &Value, found: &mut BTreeSet<String>) {
        match value {
            Value::Object(fields) => {
                let own_fields = fields.keys().filter(|key| *key != "__typename").count();
                if let Some(Value::String(id)) = fields.get("id") {
                    if id.starts_with("gid://shopify/") && own_fields > 1 {
                        found.insert(id.clone());
                    }
                }
                for (key, item) in fields {
                    if !key.to_lowercase().contains("variables") && key != "request" {
                        ids(item, found);
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|item| ids(item, found)),
            _ => {}
        }
    }
    fn named<'v>(value: &'v Value, found: &mut Vec<&'v str>) {
        match value {
            Value::String(text) if text.starts_with("gid://shopify/") => found.push(text),
            Value::Object(fields) => fields.values().for_each(|item| named(item, found)),
            Value::Array(items) => items.iter().for_each(|item| named(item, found)),
            _ => {}
        }
    }
    let mut recorded = BTreeSet::new();
    ids(capture, &mut recorded);
    let mut sent = Vec::new();
    named(variables, &mut sent);
    let known = sent
        .into_iter()
        .find(|id| recorded.contains(*id) && !seeded.contains(*id))?;
    let ty = known
        .trim_start_matches("gid://shopify/")
        .split('/')
        .next()
        .unwrap_or_default();
    Some(format!(
        "starts from the recorded store's data: a {ty} it names that the capture's calls do not show"
    ))
}

/// A part of the Admin schema this catalog lacks, as our answer names it; `None` when the
/// recording shows the same error (a capture of that very refusal).
fn schema_gap(answer: &Value, capture: &Value) -> Option<String> {
    let recorded = capture.to_string();
    for error in answer["errors"].as_array()? {
        let message = error["message"].as_str().unwrap_or_default();
        if recorded.contains(&serde_json::to_string(message).unwrap_or_default()) {
            continue;
        }
        let extensions = &error["extensions"];
        let gap = match extensions["code"].as_str() {
            Some("undefinedField") => Some(format!(
                "waits for {}.{}",
                extensions["typeName"].as_str().unwrap_or("?"),
                extensions["fieldName"].as_str().unwrap_or("?")
            )),
            Some("argumentNotAccepted") => Some(format!(
                "waits for argument {}({})",
                extensions["name"].as_str().unwrap_or("?"),
                extensions["argumentName"].as_str().unwrap_or("?")
            )),
            _ => None,
        };
        if gap.is_some() {
            return gap;
        }
        for (pattern, prefix) in [
            ("Unknown type \"", "waits for type "),
            ("Unknown field \"", "waits for field "),
            ("Unknown argument \"", "waits for argument "),
            ("unknown field \"", "waits for input field "),
            ("Unknown fragment type", "waits for fragment type"),
        ] {
            if let Some(at) = message.find(pattern) {
                let rest = &message[at + pattern.len()..];
                let name = rest.split('"').next().unwrap_or_default();
                return Some(format!("{prefix}{name}"));
            }
        }
        if let Some(problems) = extensions["problems"].as_array() {
            for problem in problems {
                let explanation = problem["explanation"].as_str().unwrap_or_default();
                if explanation.contains("is not defined on") {
                    return Some(format!("waits for input: {explanation}"));
                }
            }
        }
    }
    None
}

/// Compares one target: the recorded value at `capturePath` with ours at `proxyPath`.
fn judge(spec: &Spec, target: &Value, answer: &Value) -> Outcome {
    if let Some(gap) = schema_gap(answer, &spec.capture) {
        return Outcome::Skipped(gap);
    }
    let capture_path = target["capturePath"].as_str().unwrap_or("$");
    let Some(recorded) = select(&spec.capture, capture_path) else {
        return Outcome::Skipped(format!("the capture has nothing at {capture_path}"));
    };
    let proxy_path = target["proxyPath"].as_str().unwrap_or("$");
    let ours = select(answer, proxy_path).cloned().unwrap_or(Value::Null);
    let mut differences = Vec::new();
    for list in [
        &spec.body["comparison"]["expectedDifferences"],
        &target["expectedDifferences"],
    ] {
        for difference in list.as_array().into_iter().flatten() {
            let path = difference["path"].as_str().and_then(json_path::parse);
            match (path, Matcher::parse(difference)) {
                (Some(path), Some(matcher)) => differences.push((path, matcher)),
                _ => {
                    return Outcome::Skipped(format!(
                        "an expected difference it cannot read: {difference}"
                    ))
                }
            }
        }
    }
    for excluded in target["excludedPaths"].as_array().into_iter().flatten() {
        if let Some(path) = excluded.as_str().and_then(json_path::parse) {
            differences.push((path, Matcher::Ignore));
        }
    }
    let differences = Differences(differences);
    let (recorded, ours) = match target["selectedPaths"].as_array() {
        Some(paths) => {
            let paths: Vec<&str> = paths.iter().filter_map(Value::as_str).collect();
            (
                json_path::project(recorded, &paths),
                json_path::project(&ours, &paths),
            )
        }
        None => (recorded.clone(), ours),
    };
    let problems = compare(&recorded, &ours, &differences);
    if problems.is_empty() {
        Outcome::Passed
    } else {
        Outcome::Failed(problems)
    }
}
