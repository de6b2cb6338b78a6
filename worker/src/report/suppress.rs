//! Small-number suppression (public edition): a count from 1 to
//! [`SUPPRESS_AT_OR_BELOW`] is withheld, zero and larger counts are shown.

use api::reports::model::{Edition, Figure, SUPPRESS_AT_OR_BELOW};

/// Whether the public edition withholds this count.
pub(crate) fn suppressed(count: i64) -> bool {
    (1..=SUPPRESS_AT_OR_BELOW).contains(&count)
}

fn shown(count: i64, edition: Edition) -> (Option<i64>, bool) {
    if edition == Edition::Public && suppressed(count) {
        (None, true)
    } else {
        (Some(count), false)
    }
}

/// A figure (`[previous, this]` counts) as the edition shows it.
pub(crate) fn figure(counts: [i64; 2], edition: Edition) -> Figure {
    let (count, count_suppressed) = shown(counts[1], edition);
    let (previous_count, previous_count_suppressed) = shown(counts[0], edition);
    Figure {
        count,
        previous_count,
        count_suppressed,
        previous_count_suppressed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_withholds_one_to_four_only() {
        for n in 0..10 {
            let f = figure([n, n], Edition::Public);
            let hidden = (1..=4).contains(&n);
            assert_eq!(f.count.is_none(), hidden);
            assert_eq!(f.count_suppressed, hidden);
            assert_eq!(f.previous_count_suppressed, hidden);
            let f = figure([n, n], Edition::Internal);
            assert_eq!(f.count, Some(n));
            assert!(!f.count_suppressed && !f.previous_count_suppressed);
        }
    }
}
