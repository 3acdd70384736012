//! The direct `productCreate` path against the schema: the same lines, run once with the
//! direct path and once without, must give the same result lines byte for byte and leave the
//! same products.

use super::*;
use chrono::TimeZone;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::json;
use stevedore_core::{ManualClock, OperationId, Scopes, ShopId};
use stevedore_store::chunks::ChunkClaim;

/// A fresh store with one shop, and an executor over it.
struct Setup {
    _dir: tempfile::TempDir,
    executor: EmbeddedExecutor,
    shop: ShopId,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let start = chrono::Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    let clock: std::sync::Arc<dyn stevedore_core::Clock> =
        std::sync::Arc::new(ManualClock::new(start));
    let store = Store::open_sqlite(&dir.path().join("stevedore.db"), clock.clone(), 2)
        .await
        .unwrap();
    stevedore_catalog::migrate(&store).await.unwrap();
    let shop = store
        .create_shop_token("bench.myshopify.com", "token", &[], "secret", false)
        .await
        .unwrap()
        .id;
    Setup {
        _dir: dir,
        executor: EmbeddedExecutor::new(clock, store),
        shop,
    }
}

/// A row of the products table.
#[derive(Debug, PartialEq, sqlx::FromRow)]
struct ProductRecord {
    id: i64,
    title: String,
    handle: String,
    description_html: String,
    product_type: String,
    vendor: String,
    tags: String,
    status: String,
    template_suffix: Option<String>,
    gift_card: i64,
    seo_title: Option<String>,
    seo_description: Option<String>,
    created_at: i64,
    updated_at: i64,
}

/// The products table, in id order.
type Products = Vec<ProductRecord>;

/// Whether lines were answered by the direct path, counted.
#[derive(Debug, Default, PartialEq, Eq)]
struct Paths {
    direct: usize,
}

/// Runs `lines` as one chunk would (without savepoints, products recorded and flushed), and
/// returns the result lines and the products the chunk wrote. The chunk is rolled back.
async fn run(
    setup: &Setup,
    prepared: &PreparedMutation,
    scopes: &Scopes,
    lines: &[String],
) -> (String, Products, Paths) {
    let executor = &setup.executor;
    let claim = ChunkClaim {
        operation_id: OperationId(1),
        chunk_index: 0,
        shop_id: setup.shop,
        start_offset: 0,
        end_offset: 0,
        first_line: 1,
        oversized: false,
        fence: 0,
        attempts: 0,
    };
    let lines: Vec<Line<'_>> = lines
        .iter()
        .enumerate()
        .map(|(index, text)| Line {
            number: index as u64 + 1,
            text: text.as_bytes(),
        })
        .collect();
    let work = Chunk {
        prepared,
        claim: &claim,
        scopes,
        lines: &lines,
    };
    let transaction = ChunkTransaction::new(
        executor.store.clone(),
        ChunkWrites::Deferred,
        executor.reserved_ids.clone(),
    );
    let mut out = Vec::new();
    let mut paths = Paths::default();
    for &line in &lines {
        transaction.begin_line();
        // Read just before running, so the first line's validation counts for the next.
        let input = executor
            .read_line(executor.direct_path(work), work, line)
            .unwrap();
        paths.direct += usize::from(matches!(input, LineInput::Direct(_)));
        let ran = executor
            .run_line(work, &transaction, line, input, &mut out)
            .await
            .unwrap();
        assert!(!transaction.deferral_failed());
        if ran.undo {
            assert!(
                !transaction.line_touched(),
                "no generated line fails after writing"
            );
            transaction.drop_line();
        }
    }
    let mut tx = transaction.finish().await.unwrap().unwrap();
    let products: Products = sqlx::query_as(
        "SELECT id, title, handle, description_html, product_type, vendor, tags, status,
                template_suffix, gift_card, seo_title, seo_description, created_at, updated_at
         FROM products ORDER BY id",
    )
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    (String::from_utf8(out).unwrap(), products, paths)
}

/// The same lines through the schema alone and with the direct path.
async fn both_paths(
    document: &str,
    scopes: &Scopes,
    lines: &[String],
) -> ((String, Products), (String, Products), Paths) {
    let (schema_only, direct) = (setup().await, setup().await);
    let mut prepared = schema_only.executor.prepare(document).unwrap();
    prepared.direct = None;
    let (expected, expected_products, _) = run(&schema_only, &prepared, scopes, lines).await;
    let prepared = direct.executor.prepare(document).unwrap();
    let (answered, products, paths) = run(&direct, &prepared, scopes, lines).await;
    ((expected, expected_products), (answered, products), paths)
}

/// Runs `lines` both ways and asserts the same result lines and products; returns them, with
/// how the direct side read its lines.
fn answered_alike(document: &str, scopes: &Scopes, lines: &[String]) -> (String, Products, Paths) {
    let ((expected, expected_products), (answered, products), paths) =
        block_on(both_paths(document, scopes, lines));
    assert_eq!(answered, expected);
    assert_eq!(products, expected_products);
    (answered, products, paths)
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

const IMPORT: &str = "mutation call($input: ProductInput!) { productCreate(input: $input) { product { id } userErrors { field message } } }";

fn writer() -> Scopes {
    Scopes::new(["write_products"])
}

#[test]
fn the_usual_import_line_is_answered_directly_as_the_schema_answers_it() {
    let lines: Vec<String> = (0..3)
        .map(|n| {
            json!({"input": {"title": format!("Board {n}"), "productType": "Snowboard",
                "vendor": "Stevedore", "descriptionHtml": "<p>Waxed</p>", "tags": ["winter", "bench"]}})
            .to_string()
        })
        .collect();
    let (answered, _, paths) = answered_alike(IMPORT, &writer(), &lines);
    // The first line validates the document through the schema; the rest go directly.
    assert_eq!(paths, Paths { direct: 2 });
    let last = answered.lines().last().unwrap();
    assert!(
        last.starts_with(
            r#"{"data":{"productCreate":{"product":{"id":"gid:\/\/shopify\/Product\/"#
        ),
        "{last}"
    );
    assert!(
        last.ends_with(r#"},"userErrors":[]}},"__lineNumber":3}"#),
        "{last}"
    );
}

#[test]
fn lines_the_direct_path_declines_are_answered_by_the_schema() {
    let lines: Vec<String> = [
        json!({"input": {"title": "Board"}}),
        // a user error
        json!({"input": {"title": "  "}}),
        // the same handle again: written at once, so the database settles its suffix
        json!({"input": {"title": "Board"}}),
        // a value the schema coerces (a single tag for a list)
        json!({"input": {"title": "Tagged", "tags": "one, two"}}),
        // an unknown field
        json!({"input": {"title": "Odd", "colour": "red"}}),
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    let (answered, _, paths) = answered_alike(IMPORT, &writer(), &lines);
    // Lines 2 and 3 are read directly and declined; 4 and 5 are not read directly.
    assert_eq!(paths, Paths { direct: 2 });
    assert!(answered.contains("Title can't be blank"), "{answered}");
}

/// Whether a taken title handle can get its number as the chunk writes depends on whether the
/// operation's answers may show the handle, for every document, not only the direct path's:
/// neither document here has a direct plan (both select `variants`).
#[test]
fn taken_handles_are_numbered_at_the_flush_only_when_no_answer_shows_them() {
    let without_handle = "mutation call($input: ProductInput!) { productCreate(input: $input) { product { id seo { title } } userErrors { field message } } }";
    let with_handle = "mutation call($input: ProductInput!) { productCreate(input: $input) { product { id handle seo { title } } userErrors { field message } } }";
    block_on(async {
        for (document, written) in [
            (without_handle, vec!["board", "board-1"]),
            // The promised handle is wrong: the flush writes nothing, and the executor runs
            // the chunk again line by line.
            (with_handle, vec!["board"]),
        ] {
            let setup = setup().await;
            sqlx::query(
                "INSERT INTO products (shop_id, title, handle, created_at, updated_at)
                 VALUES ($1, 'Board', 'board', 0, 0)",
            )
            .bind(setup.shop.0)
            .execute(setup.executor.store.pool())
            .await
            .unwrap();
            let prepared = setup.executor.prepare(document).unwrap();
            assert!(prepared.direct.is_none());
            let line = json!({"input": {"title": "Board"}}).to_string();
            let (_, products, _) = run(&setup, &prepared, &writer(), &[line]).await;
            let handles: Vec<&str> = products.iter().map(|p| p.handle.as_str()).collect();
            assert_eq!(handles, written, "{document}");
        }
    });
}

#[test]
fn a_token_without_write_products_gets_the_schemas_access_error() {
    let lines = vec![json!({"input": {"title": "Board"}}).to_string(); 2];
    let (answered, products, paths) =
        answered_alike(IMPORT, &Scopes::new(["read_products"]), &lines);
    assert!(products.is_empty());
    assert_eq!(paths, Paths { direct: 0 });
    assert!(answered.contains("ACCESS_DENIED"), "{answered}");
}

/// Product fields the direct path answers (the documents sometimes add `seo { title }`, which it
/// does not).
const PRODUCT_FIELDS: &[&str] = &[
    "__typename",
    "id",
    "legacyResourceId",
    "title",
    "handle",
    "descriptionHtml",
    "productType",
    "vendor",
    "tags",
    "status",
    "templateSuffix",
    "isGiftCard",
    "createdAt",
    "updatedAt",
];

fn document() -> impl Strategy<Value = String> {
    let product = proptest::sample::subsequence(PRODUCT_FIELDS, 0..=PRODUCT_FIELDS.len())
        .prop_shuffle()
        .prop_flat_map(|fields| {
            let count = fields.len();
            (
                Just(fields),
                proptest::collection::vec(proptest::bool::weighted(0.3), count),
                proptest::bool::weighted(0.1),
            )
        })
        .prop_map(|(fields, aliased, seo)| {
            let mut selected: Vec<String> = fields
                .iter()
                .zip(aliased)
                .enumerate()
                .map(|(index, (field, aliased))| match aliased {
                    true => format!("a{index}: {field}"),
                    false => (*field).to_owned(),
                })
                .collect();
            if seo {
                selected.push("seo { title }".into());
            }
            selected.join(" ")
        });
    (
        product,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(product, user_errors, typename, product_first, argument_form)| {
            let mut payload = Vec::new();
            if !product.is_empty() {
                payload.push(format!("product {{ {product} }}"));
            }
            if user_errors || payload.is_empty() {
                payload.push("userErrors { field message }".to_owned());
            }
            if !product_first {
                payload.reverse();
            }
            if typename {
                payload.insert(1.min(payload.len()), "__typename".to_owned());
            }
            let (declared, argument) = match argument_form {
                true => ("ProductInput!", "input"),
                false => ("ProductCreateInput!", "product"),
            };
            format!(
                "mutation call($input: {declared}) {{ made: productCreate({argument}: $input) {{ {} }} }}",
                payload.join(" ")
            )
        })
}

fn text() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        4 => "[A-Za-z0-9 ]{1,16}".prop_map(serde_json::Value::from),
        1 => "\\PC{0,8}".prop_map(serde_json::Value::from),
        1 => Just(json!("a/b \"quoted\" <p>&amp;</p> \u{2028} \\ é 🏂")),
        1 => Just(json!("  ")),
        1 => Just(json!("x".repeat(256))),
        1 => Just(serde_json::Value::Null),
        1 => Just(json!(7)),
    ]
}

fn input() -> impl Strategy<Value = serde_json::Value> {
    let tags = prop_oneof![
        3 => proptest::collection::vec("[a-z ,]{0,6}", 0..4).prop_map(serde_json::Value::from),
        1 => Just(json!("one, two")),
        1 => Just(serde_json::Value::Null),
        1 => Just(json!([1])),
    ];
    let status = prop_oneof![
        Just(json!("ACTIVE")),
        Just(json!("DRAFT")),
        Just(json!("ARCHIVED")),
        Just(json!("active")),
        Just(serde_json::Value::Null),
    ];
    let gift_card = prop_oneof![Just(json!(true)), Just(json!(false)), Just(json!("true"))];
    let seo = prop_oneof![
        Just(json!({})),
        (text(), text())
            .prop_map(|(title, description)| json!({"title": title, "description": description})),
        Just(json!({"keywords": "x"})),
    ];
    let extra = prop_oneof![
        Just(("id", json!("gid://shopify/Product/1"))),
        Just(("colour", json!("red"))),
    ];
    (
        prop_oneof![4 => text(), 1 => "[a-z]{1,3}".prop_map(serde_json::Value::from)],
        proptest::option::weighted(0.3, text()),
        proptest::option::weighted(0.5, text()),
        proptest::option::weighted(0.5, text()),
        proptest::option::weighted(0.5, text()),
        proptest::option::weighted(0.5, tags),
        proptest::option::weighted(0.2, status),
        proptest::option::weighted(0.2, text()),
        proptest::option::weighted(0.2, gift_card),
        proptest::option::weighted(0.2, seo),
        proptest::option::weighted(0.1, extra),
    )
        .prop_map(
            |(title, handle, description, kind, vendor, tags, status, suffix, gift, seo, extra)| {
                let mut input = serde_json::Map::new();
                input.insert("title".into(), title);
                let optional = [
                    ("handle", handle),
                    ("descriptionHtml", description),
                    ("productType", kind),
                    ("vendor", vendor),
                    ("tags", tags),
                    ("status", status),
                    ("templateSuffix", suffix),
                    ("giftCard", gift),
                    ("seo", seo),
                ];
                for (name, value) in optional {
                    if let Some(value) = value {
                        input.insert(name.into(), value);
                    }
                }
                if let Some((name, value)) = extra {
                    input.insert(name.into(), value);
                }
                serde_json::Value::Object(input)
            },
        )
}

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => input().prop_map(|input| json!({"input": input}).to_string()),
        1 => input().prop_map(|input| json!({"unused": [1, {"x": null}], "input": input}).to_string()),
        1 => input().prop_map(|input| json!({"other": input}).to_string()),
        1 => Just(r#"{"input":{"title":"Twice"},"input":{"title":"Again"}}"#.to_owned()),
        1 => Just(r#"{"input":{"title":"Trailing"}} x"#.to_owned()),
        1 => Just("[1, 2]".to_owned()),
    ]
}

/// Runs the property on a thread with room: generating these values and executing a document
/// take more stack in a debug build than a test thread has.
#[test]
fn the_direct_path_answers_as_the_schema_does() {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(|| {
            let mut runner = TestRunner::new(ProptestConfig {
                cases: 48,
                ..ProptestConfig::default()
            });
            let cases = (
                document(),
                proptest::collection::vec(line(), 1..12),
                proptest::bool::weighted(0.9),
            );
            runner.run(&cases, |(document, lines, may_write)| {
                let scopes = match may_write {
                    true => writer(),
                    false => Scopes::new(["read_products"]),
                };
                // The first line validates the document through the schema on both sides.
                let mut all = vec![json!({"input": {"title": "First"}}).to_string()];
                all.extend(lines);
                let ((expected, expected_products), (answered, products), _) =
                    block_on(both_paths(&document, &scopes, &all));
                prop_assert_eq!(answered, expected, "{}", document);
                prop_assert_eq!(products, expected_products);
                Ok(())
            })
        })
        .unwrap()
        .join()
        .unwrap()
        .unwrap();
}
