//! Admin API versions (`2026-01`, `unstable`): parsed once at the HTTP edge, compared where
//! behaviour changed between versions.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ApiVersion {
    /// A dated release, e.g. 2026-01.
    Release { year: u16, month: u8 },
    /// `unstable` is newer than every release.
    Unstable,
}

impl ApiVersion {
    pub const fn release(year: u16, month: u8) -> Self {
        Self::Release { year, month }
    }

    /// The first version that admits five concurrent bulk operations of a type per shop.
    const FIVE_CONCURRENT: ApiVersion = ApiVersion::release(2026, 1);

    /// Non-terminal operations of one type a shop may have at once on this version.
    pub fn concurrent_operations_per_type(self) -> usize {
        if self >= Self::FIVE_CONCURRENT {
            5
        } else {
            1
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        if text == "unstable" {
            return Some(Self::Unstable);
        }
        let (year, month) = text.split_once('-')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        let year: u16 = year.parse().ok()?;
        let month: u8 = month.parse().ok()?;
        // Releases are quarterly: January, April, July, October.
        if !(2019..=2100).contains(&year) || !matches!(month, 1 | 4 | 7 | 10) {
            return None;
        }
        Some(Self::Release { year, month })
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Release { year, month } => write!(f, "{year:04}-{month:02}"),
            Self::Unstable => f.write_str("unstable"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_cap_changes_at_2026_01() {
        assert_eq!(
            ApiVersion::parse("2025-10")
                .unwrap()
                .concurrent_operations_per_type(),
            1
        );
        assert_eq!(
            ApiVersion::parse("2026-01")
                .unwrap()
                .concurrent_operations_per_type(),
            5
        );
        assert_eq!(
            ApiVersion::parse("unstable")
                .unwrap()
                .concurrent_operations_per_type(),
            5
        );
    }

    #[test]
    fn rejects_what_is_not_a_version() {
        for bad in ["2026-02", "26-01", "latest", "2026-1", ""] {
            assert_eq!(ApiVersion::parse(bad), None, "{bad}");
        }
        assert_eq!(ApiVersion::parse("2025-04").unwrap().to_string(), "2025-04");
    }
}
