//! Fairness of a spread of connections over servers: Jain's index, max/mean, and how far
//! each server's share is from its weight share.

/// Jain's fairness index `(Σx)² / (n·Σx²)`: 1 when all equal, 1/n when one takes all.
/// `None` for no servers or no load.
pub fn jain(xs: &[f64]) -> Option<f64> {
    let n = xs.len() as f64;
    let sum: f64 = xs.iter().sum();
    let sq: f64 = xs.iter().map(|x| x * x).sum();
    (n > 0.0 && sq > 0.0).then(|| sum * sum / (n * sq))
}

/// Jain's index of the load per unit of weight (`x_i / w_i`), servers with weight 0
/// left out: 1 when every server gets exactly its weight share.
pub fn weighted_jain(counts: &[u64], weights: &[u32]) -> Option<f64> {
    let xs: Vec<f64> =
        counts.iter().zip(weights).filter(|(_, w)| **w > 0).map(|(c, w)| *c as f64 / f64::from(*w)).collect();
    jain(&xs)
}

/// Largest count over the mean count (1 = perfectly even).
pub fn max_over_mean(counts: &[u64]) -> Option<f64> {
    let n = counts.len() as f64;
    let sum: u64 = counts.iter().sum();
    let max = counts.iter().max()?;
    (sum > 0).then(|| *max as f64 / (sum as f64 / n))
}

/// Each server's share of the connections minus its share of the total weight.
pub fn share_errors(counts: &[u64], weights: &[u32]) -> Vec<f64> {
    let total: u64 = counts.iter().sum();
    let wtotal: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    counts
        .iter()
        .zip(weights)
        .map(|(c, w)| {
            let share = if total == 0 { 0.0 } else { *c as f64 / total as f64 };
            let wshare = if wtotal == 0 { 0.0 } else { f64::from(*w) / wtotal as f64 };
            share - wshare
        })
        .collect()
}

/// The largest absolute share error: the weight-share error of the spread.
pub fn weight_share_error(counts: &[u64], weights: &[u32]) -> f64 {
    share_errors(counts, weights).iter().fold(0.0, |m, e| m.max(e.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jain_bounds() {
        // Equal loads give 1; one server taking everything among 4 gives 1/4.
        assert_eq!(jain(&[5.0, 5.0, 5.0]), Some(1.0));
        assert_eq!(jain(&[8.0, 0.0, 0.0, 0.0]), Some(0.25));
        assert_eq!(jain(&[]), None);
    }

    #[test]
    fn weights() {
        // 3:1 weights served 30:10 is perfectly fair per weight, with no share error.
        assert_eq!(weighted_jain(&[30, 10], &[3, 1]), Some(1.0));
        assert!(weight_share_error(&[30, 10], &[3, 1]).abs() < 1e-12);
        // Served 20:20 instead, each is 25 points off its weight share.
        assert!((weight_share_error(&[20, 20], &[3, 1]) - 0.25).abs() < 1e-12);
        assert_eq!(max_over_mean(&[30, 10]), Some(1.5));
    }
}
