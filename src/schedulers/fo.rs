//! Weighted failover (`net/netfilter/ipvs/ip_vs_fo.c`).
//!
//! The server with the highest weight among those without OVERLOAD; strict `>`, so the
//! first in list order among equals; weight 0 never. Connection counts are ignored.

use super::{SchedCtx, Scheduler};
use crate::dest::Dests;

#[derive(Clone, Debug, Default)]
pub struct Fo;

impl Scheduler for Fo {
    fn name(&self) -> &'static str {
        "fo"
    }

    fn schedule(&mut self, dests: &Dests, _ctx: &SchedCtx) -> Option<usize> {
        let mut high: Option<usize> = None;
        let mut hw = 0;
        for (i, d) in dests.iter().enumerate() {
            if !d.overloaded && d.weight > hw {
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

    #[test]
    fn highest_weight_always() {
        // A w5 gets every connection while available, however loaded it is.
        let mut d = dests(&[5, 3, 3]);
        d[2].activeconns = 1000; // A
        assert_eq!(d[Fo.schedule(&d, &ctx()).unwrap()].id, 0);
    }

    #[test]
    fn equals_go_to_the_newest_and_overload_fails_over() {
        // A w5 OVERLOAD: B and C (w3) tie, C is first in list order; C OVERLOAD too → B.
        let mut d = dests(&[5, 3, 3]);
        d[2].overloaded = true;
        assert_eq!(d[Fo.schedule(&d, &ctx()).unwrap()].id, 2);
        d[0].overloaded = true;
        assert_eq!(d[Fo.schedule(&d, &ctx()).unwrap()].id, 1);
    }

    #[test]
    fn weight_zero_never() {
        // Only quiescent servers left: none.
        let d = dests(&[0, 0]);
        assert_eq!(Fo.schedule(&d, &ctx()), None);
    }
}
