//! Words for counts on screen: "1 producer", "2 producers".

/// `n` and the noun that goes with it: `plural(1, "chunk", "chunks")` is
/// "1 chunk", `plural(3, "retry", "retries")` is "3 retries".
pub fn plural(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::plural;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(plural(1u32, "producer", "producers"), "1 producer");
        assert_eq!(plural(0u32, "producer", "producers"), "0 producers");
        assert_eq!(plural(2u64, "retry", "retries"), "2 retries");
    }
}
