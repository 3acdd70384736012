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

/// A version as `publicApiVersions` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicVersion {
    pub version: ApiVersion,
    pub display_name: String,
    pub supported: bool,
}

impl ApiVersion {
    /// The versions the Admin API advertises on `today`: the four quarterly releases of the
    /// last twelve months (each release is supported for a year), the next one as a release
    /// candidate, and `unstable`; the last two are not `supported`.
    pub fn public_versions(today: chrono::NaiveDate) -> Vec<PublicVersion> {
        use chrono::Datelike;
        let quarter_month = |month: u32| (((month - 1) / 3) * 3 + 1) as u8;
        let (mut year, mut month) = (today.year() as u16, quarter_month(today.month()));
        let mut releases = Vec::new();
        for _ in 0..4 {
            releases.push(Self::release(year, month));
            (year, month) = if month == 1 {
                (year - 1, 10)
            } else {
                (year, month - 3)
            };
        }
        releases.reverse();
        let latest = *releases.last().unwrap_or(&Self::Unstable);
        let candidate = match latest {
            Self::Release { year, month: 10 } => Self::release(year + 1, 1),
            Self::Release { year, month } => Self::release(year, month + 3),
            Self::Unstable => Self::Unstable,
        };
        let mut versions: Vec<PublicVersion> = releases
            .into_iter()
            .map(|version| PublicVersion {
                version,
                display_name: version.to_string(),
                supported: true,
            })
            .collect();
        versions.push(PublicVersion {
            version: candidate,
            display_name: format!("{candidate} (Release candidate)"),
            supported: false,
        });
        versions.push(PublicVersion {
            version: Self::Unstable,
            display_name: "unstable".to_owned(),
            supported: false,
        });
        versions
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
    fn the_last_four_releases_are_supported_and_the_next_is_a_candidate() {
        let listed =
            ApiVersion::public_versions(chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        let names: Vec<(&str, bool)> = listed
            .iter()
            .map(|version| (version.display_name.as_str(), version.supported))
            .collect();
        assert_eq!(
            names,
            [
                ("2026-01", true),
                ("2026-04", true),
                ("2026-07", true),
                ("2026-10", true),
                ("2027-01 (Release candidate)", false),
                ("unstable", false)
            ]
        );
        let january =
            ApiVersion::public_versions(chrono::NaiveDate::from_ymd_opt(2027, 1, 15).unwrap());
        assert_eq!(january[0].version.to_string(), "2026-04");
        assert_eq!(january[4].version.to_string(), "2027-04");
    }

    #[test]
    fn rejects_what_is_not_a_version() {
        for bad in ["2026-02", "26-01", "latest", "2026-1", ""] {
            assert_eq!(ApiVersion::parse(bad), None, "{bad}");
        }
        assert_eq!(ApiVersion::parse("2025-04").unwrap().to_string(), "2025-04");
    }
}
