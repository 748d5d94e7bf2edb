//! Retry delays for work that failed (Moodle unreachable, mail server refusing): exponential
//! back-off with a cap, so a failing dependency is retried soon at first and then rarely.

/// Seconds to wait after the `attempt`-th failure (1-based): `base · 2^(attempt-1)`, at most
/// `cap`.
pub fn delay(attempt: i64, base: i64, cap: i64) -> i64 {
    let exp = u32::try_from((attempt - 1).clamp(0, 30)).unwrap_or(30);
    base.saturating_mul(1i64 << exp).min(cap)
}

#[cfg(test)]
mod tests {
    #[test]
    fn delays_double_and_stop_at_the_cap() {
        assert_eq!(super::delay(1, 30, 3600), 30);
        assert_eq!(super::delay(2, 30, 3600), 60);
        assert_eq!(super::delay(5, 30, 3600), 480);
        assert_eq!(super::delay(50, 30, 3600), 3600);
    }
}
