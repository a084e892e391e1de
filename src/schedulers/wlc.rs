//! Weighted least-connection (`net/netfilter/ipvs/ip_vs_wlc.c`), ipvsadm's default.
//!
//! The candidate is the first server in list order with weight > 0 and no OVERLOAD; each
//! later non-OVERLOAD server replaces it when `overhead(cand)·w(d) > overhead(d)·w(cand)`,
//! with overhead = activeconns·256 + inactconns. Strict, so ties keep the earlier server.

use super::{SchedCtx, Scheduler, available};
use crate::dest::Dests;

#[derive(Clone, Debug, Default)]
pub struct Wlc;

impl Scheduler for Wlc {
    fn name(&self) -> &'static str {
        "wlc"
    }

    fn schedule(&mut self, dests: &Dests, ctx: &SchedCtx) -> Option<usize> {
        let first = dests.iter().position(available)?;
        let mut least = first;
        let mut loh = dests[first].overhead(ctx.overhead);
        for (i, d) in dests.iter().enumerate().skip(first + 1) {
            if d.overloaded {
                continue;
            }
            let doh = d.overhead(ctx.overhead);
            if u128::from(loh) * u128::from(d.weight) > u128::from(doh) * u128::from(dests[least].weight) {
                least = i;
                loh = doh;
            }
        }
        Some(least)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedulers::testutil::{ctx, dests};

    #[test]
    fn idle_servers_tie_to_the_newest() {
        // Spec c.4: weights 3 and 1, all idle: the weight-1 server added last wins.
        let d = dests(&[3, 1]);
        assert_eq!(d[Wlc.schedule(&d, &ctx()).unwrap()].id, 1);
    }

    #[test]
    fn follows_weights_under_load() {
        // A: weight 3 with 2 active (512/3 ≈ 170); B: weight 1 with 1 active (256/1).
        // A is less loaded per weight, so A gets the connection.
        let mut d = dests(&[3, 1]);
        d[1].activeconns = 2; // A (id 0) is last in list order
        d[0].activeconns = 1;
        assert_eq!(d[Wlc.schedule(&d, &ctx()).unwrap()].id, 0);
    }

    #[test]
    fn inactive_counts_one_256th() {
        // One active connection outweighs 255 inactive ones.
        let mut d = dests(&[1, 1]);
        d[0].activeconns = 1; // newest
        d[1].inactconns = 255;
        assert_eq!(d[Wlc.schedule(&d, &ctx()).unwrap()].id, 0 /* the older one */);
    }
}
