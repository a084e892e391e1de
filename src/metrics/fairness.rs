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

/// Each count's share of the total (0 for all when the total is 0).
pub fn shares(counts: &[u64]) -> Vec<f64> {
    let total: u64 = counts.iter().sum();
    counts.iter().map(|c| if total == 0 { 0.0 } else { *c as f64 / total as f64 }).collect()
}

/// Each weight's share of the total weight (0 for all when the total is 0).
pub fn weight_shares(weights: &[u32]) -> Vec<f64> {
    let wtotal: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    weights.iter().map(|w| if wtotal == 0 { 0.0 } else { f64::from(*w) / wtotal as f64 }).collect()
}

/// How connections spread over servers of given weights: every figure of this module at
/// once, unrounded (what `lvsim batch`'s summary and `lvsim sched --compare` print).
#[derive(Clone, Debug, PartialEq)]
pub struct Spread {
    /// Each server's share of the connections.
    pub share: Vec<f64>,
    /// Each server's share of the total weight.
    pub weight_share: Vec<f64>,
    pub jain: Option<f64>,
    pub weighted_jain: Option<f64>,
    pub max_over_mean: Option<f64>,
    /// The largest |share − weight share|.
    pub weight_share_error: f64,
}

impl Spread {
    pub fn of(counts: &[u64], weights: &[u32]) -> Spread {
        let share = shares(counts);
        let weight_share = weight_shares(weights);
        let weight_share_error = share.iter().zip(&weight_share).fold(0.0, |m: f64, (s, w)| m.max((s - w).abs()));
        let loads: Vec<f64> = counts.iter().map(|c| *c as f64).collect();
        Spread {
            jain: jain(&loads),
            weighted_jain: weighted_jain(counts, weights),
            max_over_mean: max_over_mean(counts),
            weight_share_error,
            share,
            weight_share,
        }
    }
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
        let fair = Spread::of(&[30, 10], &[3, 1]);
        assert_eq!((fair.share, fair.weight_share), (vec![0.75, 0.25], vec![0.75, 0.25]));
        assert!(fair.weight_share_error.abs() < 1e-12);
        // Served 20:20 instead, each is 25 points off its weight share (3/4 − 1/2).
        let even = Spread::of(&[20, 20], &[3, 1]);
        assert!((even.weight_share_error - 0.25).abs() < 1e-12);
        assert_eq!(max_over_mean(&[30, 10]), Some(1.5));
        // No load and no weight: every share 0, not NaN.
        let none = Spread::of(&[0, 0], &[0, 0]);
        assert_eq!((none.share, none.weight_share, none.jain), (vec![0.0, 0.0], vec![0.0, 0.0], None));
    }
}
