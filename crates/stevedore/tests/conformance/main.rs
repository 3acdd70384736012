//! The conformance runner: replays every capture in `fixtures/shopify-captures` (requests and
//! responses recorded against the real Admin API) against a fresh Stevedore per file, step by
//! step in the file's order, and compares each of our responses with the recorded one
//! structurally (see `compare.rs`).
//!
//! A case is skipped, by name and with its reason, when it needs a root field, a field or an
//! argument Stevedore's schema does not have (bulk query exports among them), when it uses what
//! a skipped case returned, or when it shows an operation of the recorded store's history.
//! Everything else must pass. (A field dropped from the schema by mistake would show here as a
//! skip; the committed schema snapshot is what fails on it.) It prints one line per case and `N passed, N failed, N skipped`, and exits non-zero on
//! any failure. `cargo test --test conformance -- <text>` replays only the cases whose name
//! contains `<text>`.
//!
//! Each file starts with the engine paused, as a busy store would be, so operations stay
//! CREATED while a capture expects them in progress (the concurrency limit). The engine starts
//! at the first step that waits for an operation to move on.

#[path = "../support/mod.rs"]
mod support;

mod compare;
mod steps;

use async_graphql_parser::types::{DocumentOperations, OperationType, Selection};
use compare::{Comparison, Substitutions, IN_FLIGHT_COUNTS, PROGRESS_FIELDS};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;
use steps::Step;
use support::{Options, TestServer};

enum Outcome {
    Passed(Option<String>),
    Failed(Vec<String>),
    Skipped(String),
}

struct Report {
    name: String,
    outcome: Outcome,
}

fn main() {
    let filter = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let reports = runtime.block_on(replay_all(filter.as_deref()));
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for report in &reports {
        match &report.outcome {
            Outcome::Passed(note) => {
                passed += 1;
                match note {
                    Some(note) => println!("pass  {} ({note})", report.name),
                    None => println!("pass  {}", report.name),
                }
            }
            Outcome::Skipped(reason) => {
                skipped += 1;
                println!("skip  {}: {reason}", report.name);
            }
            Outcome::Failed(problems) => {
                failed += 1;
                println!("FAIL  {}", report.name);
                for problem in problems {
                    println!("        {problem}");
                }
            }
        }
    }
    println!("\nconformance: {passed} passed, {failed} failed, {skipped} skipped");
    if failed > 0 || (filter.is_none() && passed == 0) {
        std::process::exit(1);
    }
}

fn capture_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/shopify-captures");
    let mut files = Vec::new();
    for version in std::fs::read_dir(&root).unwrap() {
        let version = version.unwrap().path();
        if version.is_dir() {
            for file in std::fs::read_dir(version).unwrap() {
                let file = file.unwrap().path();
                if file.extension().is_some_and(|ext| ext == "json") {
                    files.push(file);
                }
            }
        }
    }
    files.sort();
    files
}

async fn replay_all(filter: Option<&str>) -> Vec<Report> {
    let mut reports = Vec::new();
    for file in capture_files() {
        let name = file
            .strip_prefix(file.parent().unwrap().parent().unwrap())
            .unwrap()
            .with_extension("")
            .display()
            .to_string();
        let capture: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap())
            .unwrap_or_else(|error| panic!("{}: {error}", file.display()));
        let cases = steps::cases(&capture);
        if filter.is_some_and(|text| {
            !cases
                .iter()
                .any(|case| format!("{name}{}", case.path).contains(text))
        }) {
            continue;
        }
        let mut replay = Replay::start(&capture).await;
        for case in cases {
            let case_name = format!("{name}{}", case.path);
            let outcome = if case.superseded_probe {
                Outcome::Skipped(
                    "an earlier probe waiting for the hosted search index; Stevedore's search sees a write at once, so only the last probe is compared"
                        .to_owned(),
                )
            } else {
                replay.step(&case_name, &case.step).await
            };
            if filter.is_none_or(|text| case_name.contains(text)) {
                reports.push(Report {
                    name: case_name,
                    outcome,
                });
            }
        }
    }
    reports
}

struct Replay {
    server: TestServer,
    version: String,
    /// What the capture names in its store ("productTitle"), for inputs the runner stages.
    title: String,
    engine: bool,
    roots: HashSet<String>,
    learnt: Substitutions,
    /// Values only a skipped case's response holds → that case.
    skipped: HashMap<String, String>,
    /// Our target from the last `stagedUploadsCreate`, and whether it is a PUT.
    target: Option<(Value, bool)>,
    /// Our result URL from the last terminal operation, or the skipped case that stood for it.
    result_url: Option<String>,
    result_skipped: Option<String>,
    /// Why the result of the operation run last cannot be compared, if it cannot.
    result_unknown: Option<String>,
    /// A store of ours with some history, made when a listing needs one.
    history: Option<TestServer>,
}

impl Replay {
    async fn start(capture: &Value) -> Self {
        let server = TestServer::start_with(Options {
            workers: false,
            ..Options::default()
        })
        .await;
        let roots = server_roots(&server).await;
        Self {
            server,
            version: capture["apiVersion"]
                .as_str()
                .unwrap_or("2026-04")
                .to_owned(),
            title: capture["productTitle"]
                .as_str()
                .unwrap_or("Conformance replay")
                .to_owned(),
            engine: false,
            roots,
            learnt: Substitutions::default(),
            skipped: HashMap::new(),
            target: None,
            result_url: None,
            result_skipped: None,
            result_unknown: None,
            history: None,
        }
    }

    async fn step(&mut self, name: &str, step: &Step<'_>) -> Outcome {
        match step {
            Step::Exchange(exchange) => self.exchange(name, exchange).await,
            Step::Upload { recorded, content } => self.upload(recorded, *content).await,
            Step::Terminal(recorded) => self.terminal(name, recorded).await,
            Step::Result(recorded) => self.result(recorded).await,
        }
    }

    async fn start_engine(&mut self) {
        if !self.engine {
            self.server.start_engine().await;
            self.engine = true;
        }
    }

    /// Remembers what a skipped case returned, so the cases that use it are skipped too.
    fn skip(&mut self, name: &str, recorded: &Value, reason: String) -> Outcome {
        let mut strings = Vec::new();
        collect_strings(recorded, &mut strings);
        for text in strings {
            if compare::gid_type(&text).is_some() || text.starts_with("tmp/") {
                self.skipped.insert(text, name.to_owned());
            }
        }
        Outcome::Skipped(reason)
    }

    fn uses_skipped(&self, query: &str, variables: &Value) -> Option<&str> {
        let mut strings = vec![query.to_owned()];
        collect_strings(variables, &mut strings);
        strings.iter().find_map(|text| {
            self.skipped
                .iter()
                .find(|(value, _)| text == *value || text.contains(value.as_str()))
                .map(|(_, case)| case.as_str())
        })
    }

    async fn exchange(&mut self, name: &str, exchange: &Value) -> Outcome {
        let query = exchange["query"].as_str().unwrap();
        let recorded = &exchange["response"];
        let variables = exchange.get("variables").cloned().unwrap_or(json!({}));
        let operation_name = exchange["operationName"].as_str();
        let operation = parse_operation(query, operation_name, &variables);
        if let Some(root) = operation
            .roots
            .iter()
            .chain(&operation.inner_roots)
            .find(|root| !self.roots.contains(root.as_str()))
        {
            let reason = if root == "bulkOperationRunQuery" {
                "bulk query exports (`bulkOperationRunQuery`) are not built yet".to_owned()
            } else {
                format!("`{root}` is not in Stevedore's schema")
            };
            return self.skip(name, recorded, reason);
        }
        if let Some(case) = self.uses_skipped(query, &variables) {
            let reason = format!("uses what the skipped {case} returned");
            return self.skip(name, recorded, reason);
        }
        if operation.kind == OperationType::Query {
            let mut shown = Vec::new();
            collect_strings(recorded, &mut shown);
            if let Some(case) = shown.iter().find_map(|text| self.skipped.get(text)) {
                let reason = format!("shows what the skipped {case} created");
                return self.skip(name, recorded, reason);
            }
            if operation.roots.iter().any(|root| root == "productsCount") {
                let reason =
                    "counts the recorded store's products, which the replay does not have".into();
                return self.skip(name, recorded, reason);
            }
            if let Some(id) = self.historical(recorded) {
                let reason = format!(
                    "shows {id}, an operation of the recorded store's history, which the replay does not have"
                );
                return self.skip(name, recorded, reason);
            }
        }
        let implied_fits = operation
            .inner_roots
            .iter()
            .all(|root| matches!(root.as_str(), "productCreate" | "productUpdate"));
        if operation
            .roots
            .iter()
            .any(|r| r == "bulkOperationRunMutation")
        {
            // The operation still runs (over a made-up line), but its result cannot be compared.
            self.result_unknown = (!implied_fits).then(|| {
                format!(
                    "its staged lines were not recorded, and a line can only be made up for productCreate or productUpdate, not {}",
                    operation.inner_roots.join(", ")
                )
            });
        }
        if operation
            .roots
            .iter()
            .any(|r| r == "bulkOperationRunMutation")
        {
            self.stage_implied_input(&operation, &variables, recorded)
                .await;
        }
        let variables = self.learnt.request(&variables);
        let query = self.learnt.apply(query);

        let recorded_status = first_status(recorded);
        let mut note = None;
        let (status, mut ours) = self.post(&query, operation_name, &variables).await;
        if operation.kind == OperationType::Query {
            // A read that expects an operation further on than ours: let the engine work.
            for _ in 0..3000 {
                let behind = matches!(
                    (rank(recorded_status), rank(first_status(&ours))),
                    (Some(theirs), Some(mine)) if mine < theirs
                );
                if !behind {
                    break;
                }
                self.start_engine().await;
                tokio::time::sleep(Duration::from_millis(10)).await;
                ours = self.post(&query, operation_name, &variables).await.1;
            }
        }
        if recorded.get("errors").is_none() {
            if let Some(missing) = missing_from_schema(&ours) {
                let reason = format!("needs {missing}, which Stevedore's schema does not have");
                return self.skip(name, recorded, reason);
            }
        }
        let mut comparison = Comparison::new(&mut self.learnt);
        if let (Some(theirs), Some(mine)) = (recorded_status, first_status(&ours)) {
            if rank(Some(mine)) > rank(Some(theirs)) {
                comparison.ignored.extend(PROGRESS_FIELDS);
                note = Some(format!("recorded {theirs}, ours already {mine}"));
            } else if matches!(theirs, "RUNNING" | "CANCELING") {
                // How many lines an operation in flight has done is a matter of speed.
                comparison.ignored.extend(IN_FLIGHT_COUNTS);
                note = Some(format!("{theirs}: line counts compared by shape"));
            }
        }
        if status != exchange["status"].as_u64().unwrap_or(200) {
            comparison.problems.push(format!(
                "HTTP status: recorded {}, ours {status}",
                exchange["status"]
            ));
        }
        comparison.compare(recorded, &ours, "response");
        if recorded.get("errors").is_none() {
            if let Some(error) = ours.pointer("/errors/0/message") {
                comparison.problems.push(format!("our error: {error}"));
            }
        }
        let (problems, history, unchecked) = (
            comparison.problems,
            comparison.history,
            comparison.unchecked_history,
        );
        if let Some(target) = ours
            .pointer("/data/stagedUploadsCreate/stagedTargets/0")
            .cloned()
        {
            let put = variables.pointer("/input/0/httpMethod") == Some(&json!("PUT"));
            self.target = Some((target, put));
        }
        if !problems.is_empty() {
            return Outcome::Failed(problems);
        }
        if unchecked && operation.kind == OperationType::Query {
            // The recorded store's history is not here. Ask a store that has some (a second
            // server, so this file's own state stays as the capture had it), and compare the
            // listing's elements with the recorded ones by shape.
            self.make_history().await;
            let history = self.history.as_ref().expect("made above");
            let (_, theirs) =
                post_to(history, &self.version, &query, operation_name, &variables).await;
            let mut comparison = Comparison::new(&mut self.learnt);
            comparison.compare(recorded, &theirs, "response");
            if !comparison.problems.is_empty() {
                return Outcome::Failed(comparison.problems);
            }
            if !comparison.unchecked_history {
                return Outcome::Passed(Some(
                    "lists the recorded store's earlier operations: compared by shape with a store of ours that has some"
                        .to_owned(),
                ));
            }
        }
        if unchecked {
            return Outcome::Skipped(
                "lists only the recorded store's earlier operations, and this filter matches none of ours"
                    .to_owned(),
            );
        }
        if history {
            note = Some(
                "lists the recorded store's earlier operations: compared by shape with ours"
                    .to_owned(),
            );
        }
        Outcome::Passed(note)
    }

    /// A server whose shop has two completed operations, for listings of a history the replay
    /// lacks.
    async fn make_history(&mut self) {
        if self.history.is_none() {
            let server = TestServer::start().await;
            for _ in 0..2 {
                server
                    .import(&support::product_lines(1), support::PRODUCT_CREATE)
                    .await;
            }
            self.history = Some(server);
        }
    }

    /// A run of a file the capture staged outside the recorded steps: stage one line for it.
    async fn stage_implied_input(
        &mut self,
        operation: &ParsedOperation,
        variables: &Value,
        recorded: &Value,
    ) {
        let refused_missing = recorded.to_string().contains("could not be found");
        let mut strings = Vec::new();
        collect_strings(variables, &mut strings);
        let Some(path) = strings
            .into_iter()
            .find(|text| text.starts_with("tmp/") && !self.learnt.values.contains_key(text))
        else {
            return;
        };
        if refused_missing {
            return;
        }
        let variable = if operation.inner_variables.iter().any(|v| v == "product") {
            "product"
        } else {
            "input"
        };
        let line = json!({ variable: { "title": self.title } }).to_string() + "\n";
        let key = self.server.upload(&line).await;
        self.learnt.values.insert(path, key);
    }

    /// A bulk operation a read shows outside a connection that no step of the replay created.
    fn historical(&self, recorded: &Value) -> Option<String> {
        match recorded {
            Value::Object(object) => {
                if object.contains_key("edges") || object.contains_key("nodes") {
                    return None;
                }
                if let Some(Value::String(id)) = object.get("id") {
                    if compare::gid_type(id) == Some("BulkOperation")
                        && !self.learnt.values.contains_key(id)
                    {
                        return Some(id.clone());
                    }
                }
                object.values().find_map(|v| self.historical(v))
            }
            Value::Array(items) => items.iter().find_map(|v| self.historical(v)),
            _ => None,
        }
    }

    async fn post(
        &self,
        query: &str,
        operation_name: Option<&str>,
        variables: &Value,
    ) -> (u64, Value) {
        post_to(
            &self.server,
            &self.version,
            query,
            operation_name,
            variables,
        )
        .await
    }

    async fn upload(&mut self, recorded: &Value, content: Option<&str>) -> Outcome {
        let Some((target, put)) = self.target.clone() else {
            return Outcome::Failed(vec!["no staged target to upload to".to_owned()]);
        };
        // A capture that recorded only the size gets a file of that size; one that recorded
        // neither gets a one-line stand-in.
        let body = match (content, recorded["sizeBytes"].as_u64()) {
            (Some(content), _) => content.as_bytes().to_vec(),
            (None, Some(size)) => sized_input(size as usize),
            (None, None) => sized_input(200),
        };
        let url = target["url"].as_str().unwrap();
        let response = if put {
            self.server.http.put(url).body(body).send().await.unwrap()
        } else {
            let fields = support::form_fields(&target);
            self.server.post_form(url, &fields, Some(&body)).await
        };
        let status = u64::from(response.status().as_u16());
        let text = response.text().await.unwrap();
        let mut problems = Vec::new();
        if status != recorded["status"].as_u64().unwrap() {
            problems.push(format!(
                "status: recorded {}, ours {status}: {text}",
                recorded["status"]
            ));
        }
        if let Some(theirs) = recorded["body"].as_str() {
            if xml_elements(theirs) != xml_elements(&text) {
                problems.push(format!("body: recorded {theirs:?}, ours {text:?}"));
            }
        }
        if problems.is_empty() {
            Outcome::Passed(None)
        } else {
            Outcome::Failed(problems)
        }
    }

    /// Polls our operation until it ends, then compares it with the recorded terminal state.
    async fn terminal(&mut self, name: &str, recorded: &Value) -> Outcome {
        let theirs_id = recorded["id"].as_str().unwrap_or_default();
        self.result_url = None;
        if let Some(case) = self.skipped.get(theirs_id) {
            let reason = format!("uses what the skipped {case} returned");
            self.result_skipped = Some(name.to_owned());
            return self.skip(name, recorded, reason);
        }
        self.result_skipped = None;
        let Some(id) = self.learnt.values.get(theirs_id).cloned() else {
            return Outcome::Failed(vec![format!("no operation of ours stands for {theirs_id}")]);
        };
        self.start_engine().await;
        let fields: Vec<&str> = recorded
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let query = format!(
            "query($id: ID!) {{ bulkOperation(id: $id) {{ {} }} }}",
            fields.join(" ")
        );
        let mut ours = Value::Null;
        for _ in 0..3000 {
            ours = self.post(&query, None, &json!({"id": id})).await.1;
            if rank(first_status(&ours)) == Some(3) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let ours = ours["data"]["bulkOperation"].clone();
        self.result_url = ours["url"].as_str().map(str::to_owned);
        let mut comparison = Comparison::new(&mut self.learnt);
        comparison.compare(recorded, &ours, "operation");
        if comparison.problems.is_empty() {
            Outcome::Passed(None)
        } else {
            Outcome::Failed(comparison.problems)
        }
    }

    async fn result(&mut self, recorded: &Value) -> Outcome {
        if let Some(case) = &self.result_skipped {
            return Outcome::Skipped(format!("the result of the skipped {case}"));
        }
        if let Some(reason) = &self.result_unknown {
            return Outcome::Skipped(reason.clone());
        }
        let Some(url) = self.result_url.clone() else {
            return Outcome::Failed(vec!["our operation has no result url".to_owned()]);
        };
        let response = self.server.get(&url).await;
        let status = u64::from(response.status().as_u16());
        let text = response.text().await.unwrap();
        let mut comparison = Comparison::new(&mut self.learnt);
        if status != recorded["status"].as_u64().unwrap() {
            comparison.problems.push(format!(
                "status: recorded {}, ours {status}",
                recorded["status"]
            ));
        }
        let lines = |body: &str| -> Vec<Value> {
            body.lines()
                .map(|line| serde_json::from_str(line).unwrap_or(Value::String(line.to_owned())))
                .collect()
        };
        let theirs = Value::Array(lines(recorded["body"].as_str().unwrap_or_default()));
        comparison.compare(&theirs, &Value::Array(lines(&text)), "lines");
        if !comparison.problems.is_empty() && std::env::var_os("CONFORMANCE_SHOW").is_some() {
            println!("ours  {text:.2000}");
        }
        if comparison.problems.is_empty() {
            Outcome::Passed(None)
        } else {
            Outcome::Failed(comparison.problems)
        }
    }
}

async fn post_to(
    server: &TestServer,
    version: &str,
    query: &str,
    operation_name: Option<&str>,
    variables: &Value,
) -> (u64, Value) {
    // Captures name some requests differently from the operation their document holds;
    // the recorded store answered them, so it cannot have been sent that name.
    let operation_name = operation_name.filter(|name| {
        async_graphql_parser::parse_query(query).is_ok_and(|document| {
            document
                .operations
                .iter()
                .any(|(op, _)| op.is_some_and(|op| op.as_str() == *name))
        })
    });
    loop {
        let response = server
            .http
            .post(format!(
                "{}/admin/api/{}/graphql.json",
                server.base_url, version
            ))
            .header("X-Shopify-Access-Token", &server.token)
            .json(&json!({"query": query, "operationName": operation_name, "variables": variables}))
            .send()
            .await
            .unwrap();
        let status = u64::from(response.status().as_u16());
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        match stevedore_client::throttle_delay(&body) {
            Some(delay) => tokio::time::sleep(delay).await,
            None => return (status, body),
        }
    }
}

/// The root fields of our Query and Mutation types.
async fn server_roots(server: &TestServer) -> HashSet<String> {
    let body = server
        .graphql(
            "{ __schema { queryType { fields(includeDeprecated: true) { name } } mutationType { fields(includeDeprecated: true) { name } } } }",
            json!({}),
        )
        .await;
    let mut roots = HashSet::new();
    for kind in ["queryType", "mutationType"] {
        for field in body["data"]["__schema"][kind]["fields"].as_array().unwrap() {
            roots.insert(field["name"].as_str().unwrap().to_owned());
        }
    }
    roots.insert("__typename".to_owned());
    roots
}

struct ParsedOperation {
    kind: OperationType,
    roots: Vec<String>,
    /// The roots and variables of the mutation a `bulkOperationRunMutation` carries.
    inner_roots: Vec<String>,
    inner_variables: Vec<String>,
}

impl Default for ParsedOperation {
    fn default() -> Self {
        Self {
            kind: OperationType::Query,
            roots: Vec::new(),
            inner_roots: Vec::new(),
            inner_variables: Vec::new(),
        }
    }
}

/// The selected operation's type and root fields; a document that does not parse has none
/// (the server's answer to it is what is compared).
fn parse_operation(query: &str, name: Option<&str>, variables: &Value) -> ParsedOperation {
    let Ok(document) = async_graphql_parser::parse_query(query) else {
        return ParsedOperation::default();
    };
    let operation = match &document.operations {
        DocumentOperations::Single(operation) => Some(operation),
        DocumentOperations::Multiple(operations) => name
            .and_then(|name| operations.get(name))
            .or_else(|| operations.values().next()),
    };
    let Some(operation) = operation else {
        return ParsedOperation::default();
    };
    let mut parsed = ParsedOperation {
        kind: operation.node.ty,
        ..Default::default()
    };
    for item in &operation.node.selection_set.node.items {
        let Selection::Field(field) = &item.node else {
            continue;
        };
        let root = field.node.name.node.to_string();
        if root == "bulkOperationRunMutation" {
            let inner = field
                .node
                .get_argument("mutation")
                .and_then(|value| match &value.node {
                    async_graphql_value::Value::String(text) => Some(text.clone()),
                    async_graphql_value::Value::Variable(variable) => {
                        variables[variable.as_str()].as_str().map(str::to_owned)
                    }
                    _ => None,
                });
            if let Some(inner) = inner {
                let parsed_inner = parse_operation(&inner, None, &json!({}));
                parsed.inner_roots = parsed_inner.roots;
                if let Ok(document) = async_graphql_parser::parse_query(&inner) {
                    for (_, operation) in document.operations.iter() {
                        parsed.inner_variables.extend(
                            operation
                                .node
                                .variable_definitions
                                .iter()
                                .map(|v| v.node.name.node.to_string()),
                        );
                    }
                }
            }
        }
        parsed.roots.push(root);
    }
    parsed
}

/// The part of the recorded schema a refusal of ours says Stevedore lacks: a field, an argument
/// or an input field. None when the refusal is about anything else.
fn missing_from_schema(ours: &Value) -> Option<String> {
    let errors = ours.get("errors")?.as_array()?;
    let mut missing = Vec::new();
    for error in errors {
        let extensions = &error["extensions"];
        match extensions["code"].as_str()? {
            "undefinedField" => missing.push(format!(
                "`{}.{}`",
                extensions["typeName"].as_str()?,
                extensions["fieldName"].as_str()?
            )),
            "argumentNotAccepted" => missing.push(format!(
                "the `{}` argument of `{}`",
                extensions["argumentName"].as_str()?,
                extensions["name"].as_str()?
            )),
            "INVALID_VARIABLE" => {
                for problem in extensions["problems"].as_array()? {
                    let explanation = problem["explanation"].as_str()?;
                    let on = explanation.strip_prefix("Field is not defined on ")?;
                    let field = problem["path"].as_array()?.last()?.as_str()?;
                    missing.push(format!("`{on}.{field}`"));
                }
            }
            _ => return None,
        }
    }
    (!missing.is_empty()).then(|| missing.join(", "))
}

/// The status of the first bulk operation in a response.
fn first_status(response: &Value) -> Option<&str> {
    match response {
        Value::Object(object) => {
            if let Some(Value::String(status)) = object.get("status") {
                if object.contains_key("id") || object.contains_key("type") {
                    return Some(status);
                }
            }
            object.values().find_map(first_status)
        }
        Value::Array(items) => items.iter().find_map(first_status),
        _ => None,
    }
}

/// How far along its life a status is.
fn rank(status: Option<&str>) -> Option<u8> {
    Some(match status? {
        "CREATED" => 0,
        "RUNNING" => 1,
        "CANCELING" => 2,
        "COMPLETED" | "FAILED" | "CANCELED" | "EXPIRED" => 3,
        _ => return None,
    })
}

fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(text) => out.push(text.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(object) => object.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

/// The element names of an XML answer, in order; for a non-XML body, whether it is empty.
fn xml_elements(body: &str) -> Vec<String> {
    if !body.trim_start().starts_with('<') {
        return vec![format!("empty: {}", body.is_empty())];
    }
    body.split('<')
        .filter_map(|tag| {
            let name = tag.split(['>', ' ', '/']).next()?;
            (!name.is_empty() && !name.starts_with('?')).then(|| name.to_owned())
        })
        .collect()
}

/// Product-create lines of exactly `size` bytes (about 200 each), for a capture that recorded
/// only the size of its file.
fn sized_input(size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size);
    let mut line = 0;
    while out.len() < size {
        let room = size - out.len();
        let length = if room < 400 { room } else { 200 };
        let mut text = format!("{{\"product\":{{\"title\":\"Sized {line}\",\"descriptionHtml\":\"");
        let closing = "\"}}\n";
        text.push_str(&"x".repeat(length.saturating_sub(text.len() + closing.len())));
        text.push_str(closing);
        out.extend_from_slice(text.as_bytes());
        line += 1;
    }
    out
}
