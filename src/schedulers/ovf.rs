//! Weighted overflow (`net/netfilter/ipvs/ip_vs_ovf.c`).
//!
//! The highest weight among servers with no OVERLOAD, weight > 0 and `activeconns ≤
//! weight`; first in list order among equals. A server therefore receives weight + 1
//! active connections before traffic overflows to the next.

use super::{SchedCtx, Scheduler, available};
use crate::dest::Dests;

#[derive(Clone, Debug, Default)]
pub struct Ovf;

impl Scheduler for Ovf {
    fn name(&self) -> &'static str {
        "ovf"
    }

    fn schedule(&mut self, dests: &Dests, _ctx: &SchedCtx) -> Option<usize> {
        let mut high: Option<usize> = None;
        let mut hw = 0;
        for (i, d) in dests.iter().enumerate() {
            if !available(d) || d.activeconns > d.weight {
                continue;
            }
            if high.is_none() || d.weight > hw {
                high = Some(i);
                hw = d.weight;
            }
        }
        high
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedulers::testutil::{ctx, dests};

    fn fill(d: &mut Dests, n: usize) -> Vec<Option<u32>> {
        (0..n)
            .map(|_| {
                let i = Ovf.schedule(d, &ctx())?;
                d[i].activeconns += 1;
                Some(d[i].id)
            })
            .collect()
    }

    #[test]
    fn weight_plus_one_then_overflow() {
        // A w2, B w1: A takes 3 (active 0, 1, 2 are all ≤ 2), then B takes 2, then none.
        let mut d = dests(&[2, 1]);
        let s = |x| Some(x);
        assert_eq!(fill(&mut d, 6), [s(0), s(0), s(0), s(1), s(1), None]);
    }

    #[test]
    fn equals_go_to_the_newest() {
        // Same weight: the first in list order (added last) fills first.
        let mut d = dests(&[1, 1]);
        assert_eq!(fill(&mut d, 3), [Some(1), Some(1), Some(0)]);
    }

    #[test]
    fn inactive_ignored_and_unavailable_skipped() {
        // Inactive entries do not count towards the limit; quiescent and OVERLOAD are skipped.
        let mut d = dests(&[1, 3, 0]);
        d[1].overloaded = true; // B
        d[2].inactconns = 99; // A
        assert_eq!(fill(&mut d, 3), [Some(0), Some(0), None]);
    }
}
