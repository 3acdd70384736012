//! The Admin schema is a contract with every client: a change to it must show up as a change
//! to the committed `schema.graphql`, reviewed like any other. Run with
//! `STEVEDORE_UPDATE_SCHEMA=1` to rewrite the committed copy after a deliberate change.

use std::sync::Arc;

#[test]
fn the_schema_matches_the_committed_sdl() {
    let schema = stevedore_admin::build_schema(Arc::new(stevedore_core::SystemClock));
    let sdl = schema.sdl();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    if std::env::var_os("STEVEDORE_UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &sdl).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != sdl {
        let first_difference = committed
            .lines()
            .zip(sdl.lines())
            .position(|(committed, current)| committed != current)
            .unwrap_or_else(|| committed.lines().count().min(sdl.lines().count()));
        panic!(
            "the schema differs from {} from line {}: `{}` (committed) vs `{}` (built); \
             rerun with STEVEDORE_UPDATE_SCHEMA=1 if the change is meant",
            path.display(),
            first_difference + 1,
            committed.lines().nth(first_difference).unwrap_or(""),
            sdl.lines().nth(first_difference).unwrap_or(""),
        );
    }
}
