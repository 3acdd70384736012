//! When to try a failed delivery again: exponential backoff with jitter, a fixed number of
//! retries. Data, not code, so tests can use a fast schedule.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; after the last one the delivery is given up.
    pub retries: u32,
    /// Delay before the first retry; each later one doubles it.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Each delay is scaled by a random factor in [1 - jitter, 1 + jitter].
    pub jitter: f64,
}

impl RetryPolicy {
    /// Shopify's schedule: 8 retries over about 4 hours (1, 2, 4, … 128 minutes).
    pub fn shopify() -> Self {
        Self {
            retries: 8,
            base_delay: Duration::from_secs(60),
            max_delay: Duration::from_secs(4 * 3600),
            jitter: 0.2,
        }
    }

    /// The delay before retry number `retries_used + 1`, or None when no retry is left.
    /// `random` is uniform in [0, 1).
    pub fn delay(&self, retries_used: u32, random: f64) -> Option<Duration> {
        if retries_used >= self.retries {
            return None;
        }
        let exponential = self.base_delay.as_secs_f64() * 2f64.powi(retries_used.min(62) as i32);
        let capped = exponential.min(self.max_delay.as_secs_f64());
        let factor = 1.0 - self.jitter + 2.0 * self.jitter * random.clamp(0.0, 1.0);
        Some(Duration::from_secs_f64(capped * factor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_shopify_schedule_spans_about_four_hours() {
        let policy = RetryPolicy::shopify();
        let middle: f64 = (0..8)
            .map(|n| policy.delay(n, 0.5).unwrap().as_secs_f64())
            .sum();
        assert_eq!(middle, 255.0 * 60.0);
        assert_eq!(policy.delay(8, 0.5), None);
    }

    proptest! {
        #[test]
        fn delays_stay_within_their_jittered_bounds(retries_used in 0u32..20, random in 0.0f64..1.0) {
            let policy = RetryPolicy::shopify();
            match policy.delay(retries_used, random) {
                None => prop_assert!(retries_used >= policy.retries),
                Some(delay) => {
                    let nominal = (60.0 * 2f64.powi(retries_used as i32)).min(14400.0);
                    prop_assert!(delay.as_secs_f64() >= nominal * 0.8 - 1e-6);
                    prop_assert!(delay.as_secs_f64() <= nominal * 1.2 + 1e-6);
                }
            }
        }
    }
}
