//! Least-connection (`net/netfilter/ipvs/ip_vs_lc.c`).
//!
//! Scan in list order, skipping servers with weight 0 or OVERLOAD; keep the one with the
//! smallest overhead (activeconns·256 + inactconns). Strict `<`, so the first in list
//! order wins ties. Weights other than 0 are ignored.

use super::{SchedCtx, Scheduler, available};
use crate::dest::Dests;

#[derive(Clone, Debug, Default)]
pub struct Lc;

impl Scheduler for Lc {
    fn name(&self) -> &'static str {
        "lc"
    }

    fn schedule(&mut self, dests: &Dests, ctx: &SchedCtx) -> Option<usize> {
        let mut least: Option<(usize, u64)> = None;
        for (i, d) in dests.iter().enumerate() {
            if !available(d) {
                continue;
            }
            let doh = d.overhead(ctx.overhead);
            if least.is_none_or(|(_, loh)| doh < loh) {
                least = Some((i, doh));
            }
        }
        least.map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedulers::testutil::{ctx, dests};

    #[test]
    fn idle_tie_goes_to_the_newest() {
        // All idle: strict `<` keeps the first in list order, the server added last.
        let d = dests(&[1, 5, 2]);
        assert_eq!(d[Lc.schedule(&d, &ctx()).unwrap()].id, 2);
    }

    #[test]
    fn weights_are_ignored() {
        // A (weight 100) has 1 active, B (weight 1) has none: B wins although A is 100x heavier.
        let mut d = dests(&[100, 1]);
        d[1].activeconns = 1; // A
        assert_eq!(d[Lc.schedule(&d, &ctx()).unwrap()].id, 1);
    }

    #[test]
    fn inactive_counts_one_256th() {
        // Newest has 1 active (256), older 255 inactive (255): the older one is lighter.
        let mut d = dests(&[1, 1]);
        d[0].activeconns = 1;
        d[1].inactconns = 255;
        assert_eq!(d[Lc.schedule(&d, &ctx()).unwrap()].id, 0);
        // At 256 inactive the overheads tie and the newest (first in list) wins again.
        d[1].inactconns = 256;
        assert_eq!(d[Lc.schedule(&d, &ctx()).unwrap()].id, 1);
    }

    #[test]
    fn skips_weight_zero_and_overload() {
        // The idle newest is quiescent, the next is OVERLOAD: the busy oldest is the only choice.
        let mut d = dests(&[1, 1, 0]);
        d[1].overloaded = true;
        d[2].activeconns = 9;
        assert_eq!(d[Lc.schedule(&d, &ctx()).unwrap()].id, 0);
        d[2].overloaded = true;
        assert_eq!(Lc.schedule(&d, &ctx()), None);
    }
}
