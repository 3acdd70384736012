//! The window a connection field is asked for (`first` or `last`), checked as the Admin API
//! checks it.

/// Most items a page may hold.
pub const MAX_PAGE_SIZE: i32 = 250;

/// `(from_end, count)`: the first `count` items, or the last ones when `from_end`. Refused with
/// the Admin API's messages when neither or both are given or the count is out of range.
pub fn window(first: Option<i32>, last: Option<i32>) -> Result<(bool, i64), &'static str> {
    let (from_end, count) = match (first, last) {
        (Some(first), None) => (false, first),
        (None, Some(last)) => (true, last),
        (None, None) => return Err("you must provide one of first or last"),
        (Some(_), Some(_)) => return Err("providing both first and last is not supported"),
    };
    if !(0..=MAX_PAGE_SIZE).contains(&count) {
        return Err("The page size must be between 0 and 250.");
    }
    Ok((from_end, i64::from(count)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_window_within_the_page_size() {
        assert_eq!(window(Some(5), None), Ok((false, 5)));
        assert_eq!(window(None, Some(250)), Ok((true, 250)));
        assert_eq!(
            window(None, None),
            Err("you must provide one of first or last")
        );
        assert_eq!(
            window(Some(1), Some(1)),
            Err("providing both first and last is not supported")
        );
        assert!(window(Some(251), None).is_err());
        assert!(window(None, Some(-1)).is_err());
    }
}
