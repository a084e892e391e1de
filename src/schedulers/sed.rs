//! Shortest expected delay (`net/netfilter/ipvs/ip_vs_sed.c`).
//!
//! As wlc with overhead = activeconns + 1 (inactive entries ignored): the candidate is the
//! first server with weight > 0 and no OVERLOAD; a later non-OVERLOAD server replaces it
//! when `(a_cand+1)·w(d) > (a_d+1)·w(cand)`. Strict, so ties keep the earlier server.

use super::{SchedCtx, Scheduler, available};
use crate::dest::{Dest, Dests};

#[derive(Clone, Debug, Default)]
pub struct Sed;

/// `ip_vs_sed_dest_overhead`: the connections the server would have with this one.
pub(crate) fn sed_overhead(d: &Dest) -> u64 {
    u64::from(d.activeconns) + 1
}

/// `a/wa > b/wb` without division (64-bit products in the kernel; wider here).
pub(crate) fn heavier(a: u64, wa: u32, b: u64, wb: u32) -> bool {
    u128::from(a) * u128::from(wb) > u128::from(b) * u128::from(wa)
}

impl Scheduler for Sed {
    fn name(&self) -> &'static str {
        "sed"
    }

    fn schedule(&mut self, dests: &Dests, _ctx: &SchedCtx) -> Option<usize> {
        let first = dests.iter().position(available)?;
        let mut least = first;
        let mut loh = sed_overhead(&dests[first]);
        for (i, d) in dests.iter().enumerate().skip(first + 1) {
            if d.overloaded {
                continue;
            }
            let doh = sed_overhead(d);
            if heavier(loh, dests[least].weight, doh, d.weight) {
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

    /// Runs `n` connections that stay active, returning the ids picked.
    fn fill(d: &mut Dests, n: usize) -> Vec<u32> {
        (0..n)
            .map(|_| {
                let i = Sed.schedule(d, &ctx()).unwrap();
                d[i].activeconns += 1;
                d[i].id
            })
            .collect()
    }

    #[test]
    fn idle_servers_go_by_weight() {
        // Unlike wlc, idle servers are not all equal: 1/3 < 1/1, so A (weight 3, oldest) first.
        let mut d = dests(&[3, 1]);
        assert_eq!(fill(&mut d, 1), [0]);
    }

    #[test]
    fn sequence_worked_by_hand() {
        // A w3, B w1 (list B, A). Expected delays (a+1)/w, ties to B (first in list):
        // A 1/3 → A; A 2/3 vs B 1 → A; A 3/3 = B 1/1 tie → B; A 1 vs B 2 → A; A 4/3 vs 2 → A;
        // A 5/3 vs 2 → A; A 2 = B 2 tie → B.
        let mut d = dests(&[3, 1]);
        assert_eq!(fill(&mut d, 7), [0, 0, 1, 0, 0, 0, 1]);
    }

    #[test]
    fn inactive_entries_are_ignored() {
        // A thousand inactive entries on the newest change nothing: it still wins the idle tie.
        let mut d = dests(&[1, 1]);
        d[0].inactconns = 1000;
        assert_eq!(fill(&mut d, 1), [1]);
    }

    #[test]
    fn skips_weight_zero_and_overload() {
        // Newest quiescent, next OVERLOAD, so the oldest; all unavailable gives none.
        let mut d = dests(&[1, 5, 0]);
        d[1].overloaded = true;
        assert_eq!(fill(&mut d, 2), [0, 0]);
        d[2].overloaded = true;
        assert_eq!(Sed.schedule(&d, &ctx()), None);
    }
}
