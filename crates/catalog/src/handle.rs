//! Handles: URL-safe names derived from titles, unique per shop.

/// `"Sweet new snowboard 1!"` → `"sweet-new-snowboard-1"`.
pub fn parameterize(title: &str) -> String {
    let mut handle = String::with_capacity(title.len());
    let mut pending_dash = false;
    for character in title.chars().flat_map(char::to_lowercase) {
        if character.is_alphanumeric() {
            if pending_dash && !handle.is_empty() {
                handle.push('-');
            }
            pending_dash = false;
            handle.push(character);
        } else {
            pending_dash = true;
        }
    }
    handle
}

/// The first of `base`, `base-1`, `base-2`, ... not in `taken`.
pub fn first_free(base: &str, taken: &[String]) -> String {
    if !taken.iter().any(|handle| handle == base) {
        return base.to_owned();
    }
    let highest = taken
        .iter()
        .filter_map(|handle| {
            handle
                .strip_prefix(base)?
                .strip_prefix('-')?
                .parse::<u64>()
                .ok()
        })
        .max()
        .unwrap_or(0);
    format!("{base}-{}", highest + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameterizes_titles() {
        assert_eq!(
            parameterize("Sweet new snowboard 1"),
            "sweet-new-snowboard-1"
        );
        assert_eq!(parameterize("  Ski & Snow -- Wax!! "), "ski-snow-wax");
        assert_eq!(parameterize("Été"), "été");
    }

    #[test]
    fn suffixes_taken_handles() {
        assert_eq!(first_free("board", &[]), "board");
        assert_eq!(first_free("board", &["board".into()]), "board-1");
        assert_eq!(
            first_free(
                "board",
                &["board".into(), "board-1".into(), "board-7".into()]
            ),
            "board-8"
        );
    }
}
