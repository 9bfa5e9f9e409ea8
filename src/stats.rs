//! Small measuring helpers shared by benches, headless reports and lessons:
//! a median, milliseconds as a rounded float, the machine's load.

use std::time::Duration;

/// The median of `samples` (times, rates...); the default for none.
pub fn median<T: Copy + Default + PartialOrd>(mut samples: Vec<T>) -> T {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

/// A duration in milliseconds, rounded to the microsecond.
pub fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// The machine's load average when a figure was taken: figures from a busy
/// machine are not comparable, so every bench prints it beside them.
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_takes_the_middle_of_sorted_samples() {
        assert_eq!(median(vec![5, 1, 9, 3, 7]), 5);
        assert_eq!(median(vec![4, 2]), 4);
        assert_eq!(median(Vec::<u32>::new()), 0);
    }

    #[test]
    fn ms_rounds_to_the_microsecond() {
        assert!((ms(Duration::from_nanos(1_234_567)) - 1.235).abs() < 1e-9);
    }
}
