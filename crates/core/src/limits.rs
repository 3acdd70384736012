//! Limits of the bulk-operations protocol, as the hosted API enforces them.

use chrono::TimeDelta;

/// Largest staged JSONL file a bulk mutation accepts (100 MB).
pub const MAX_STAGED_FILE_BYTES: u64 = 104_857_600;
/// Longest input line a bulk mutation runs (8 MiB). The hosted API documents no such limit;
/// a longer line is answered with an error line instead of being read into memory.
pub const MAX_LINE_BYTES: u64 = 8 * 1024 * 1024;
/// Largest bulk mutation or query document.
pub const MAX_DOCUMENT_BYTES: usize = 65_535;
/// Most items a list input may hold, at any depth of an argument (`MAX_INPUT_SIZE_EXCEEDED`).
pub const MAX_INPUT_ARRAY_SIZE: usize = 250;

/// The lists that may hold more than [`MAX_INPUT_ARRAY_SIZE`] items, by the input type (or root
/// field, for an argument) and field carrying them: a product's variants come by the thousand.
const LARGER_LISTS: &[(&str, &str, usize)] = &[("ProductSetInput", "variants", 2048)];

/// The most items the list in field `field` of input type (or root field) `owner` may hold.
pub fn list_limit(owner: &str, field: &str) -> usize {
    LARGER_LISTS
        .iter()
        .find(|(o, f, _)| *o == owner && *f == field)
        .map_or(MAX_INPUT_ARRAY_SIZE, |(_, _, limit)| *limit)
}
/// `clientIdentifier` length bounds, in characters.
pub const CLIENT_IDENTIFIER_MIN_CHARS: usize = 10;
pub const CLIENT_IDENTIFIER_MAX_CHARS: usize = 255;

/// How long a staged-upload POST policy stays valid.
pub fn upload_policy_ttl() -> TimeDelta {
    TimeDelta::hours(24)
}

/// How long a result URL stays valid after completion.
pub fn result_url_ttl() -> TimeDelta {
    TimeDelta::days(7)
}

/// How long a bulk mutation may run before it fails with `TIMEOUT`.
pub fn mutation_run_limit() -> TimeDelta {
    TimeDelta::hours(24)
}
