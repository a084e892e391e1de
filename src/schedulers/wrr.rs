//! Weighted round robin (`net/netfilter/ipvs/ip_vs_wrr.c`).
//!
//! A cursor `cl` and a current weight `cw` step through the list: each pass from the head
//! takes, in list order, the servers with weight ≥ cw and no OVERLOAD; at the end of the
//! list cw drops by `di` (gcd of the weights) and wraps from 1 back to `mw` (max weight).

use super::{SchedCtx, Scheduler};
use crate::dest::{DestId, Dests};

/// `struct ip_vs_wrr_mark`.
#[derive(Clone, Debug, Default)]
pub struct Wrr {
    /// The last chosen server; `None` is the list head.
    cl: Option<DestId>,
    /// Max weight − (di − 1): ≡ 1 mod di, 0 when no weight is positive.
    mw: i64,
    /// Gcd of the positive weights, 1 if none.
    di: i64,
    /// The current weight: mw, mw − di, ..., 1.
    cw: i64,
}

/// `ip_vs_wrr_gcd_weight`: gcd of the positive weights, 1 if there are none.
fn gcd_weight(dests: &Dests) -> i64 {
    let g = dests.iter().map(|d| i64::from(d.weight)).filter(|&w| w > 0).fold(0, gcd);
    if g > 0 { g } else { 1 }
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// `ip_vs_wrr_max_weight` (over every server, OVERLOAD or not).
fn max_weight(dests: &Dests) -> i64 {
    dests.iter().map(|d| i64::from(d.weight)).max().unwrap_or(0)
}

impl Wrr {
    /// The state as (cursor, mw, di, cw), for tests and traces.
    pub fn mark(&self) -> (Option<DestId>, i64, i64, i64) {
        (self.cl, self.mw, self.di, self.cw)
    }

    /// `ip_vs_wrr_dest_changed`: after any add, edit or delete.
    fn dest_changed(&mut self, dests: &Dests) {
        self.cl = None;
        self.di = gcd_weight(dests);
        self.mw = max_weight(dests) - (self.di - 1);
        if self.cw > self.mw || self.cw == 0 {
            self.cw = self.mw;
        } else if self.di > 1 {
            self.cw = (self.cw / self.di) * self.di + 1;
        }
    }
}

impl Scheduler for Wrr {
    fn name(&self) -> &'static str {
        "wrr"
    }

    fn changed(&mut self, dests: &Dests) {
        self.dest_changed(dests);
    }

    fn init_service(&mut self, dests: &Dests) {
        self.cl = None;
        self.di = gcd_weight(dests);
        self.mw = max_weight(dests) - (self.di - 1);
        self.cw = self.mw;
    }

    fn schedule(&mut self, dests: &Dests, _ctx: &SchedCtx) -> Option<usize> {
        self.pick(dests, true)
    }
}

impl Wrr {
    /// `ip_vs_wrr_schedule`; with `skip`, levels nobody reaches are jumped over
    /// ([`Wrr::skip_empty_levels`]), without it the kernel's loop is walked pass by pass.
    fn pick(&mut self, dests: &Dests, skip: bool) -> Option<usize> {
        if self.mw == 0 {
            return None;
        }
        // Positions: `None` is the list head. A cursor no longer in the list cannot happen
        // (every list change resets it); treat it as the head.
        let last = self.cl.and_then(|id| dests.iter().position(|d| d.id == id));
        let mut pos = last;
        let mut stop: Option<usize> = None;
        let mut last_pass = false;
        let mut restarted = false;
        loop {
            let from = pos.map_or(0, |p| p + 1);
            for (i, d) in dests.iter().enumerate().skip(from) {
                if !d.overloaded && i64::from(d.weight) >= self.cw {
                    self.cl = Some(d.id);
                    return Some(i);
                }
                if stop == Some(i) {
                    self.cl = Some(d.id);
                    return None;
                }
            }
            self.cw -= self.di;
            if self.cw <= 0 {
                self.cw = self.mw;
                if last_pass || last.is_none() {
                    self.cl = None;
                    return None;
                }
                restarted = true;
            }
            last_pass = self.cw <= self.di;
            if last_pass && restarted && last.is_some() {
                stop = last;
            }
            pos = None;
            if skip {
                self.skip_empty_levels(dests, &mut last_pass, &mut stop, restarted, last);
            }
        }
    }

    /// Jumps `cw` over the levels at which a full pass would take nobody, straight to the
    /// highest level some non-OVERLOAD server reaches (at least 1). The kernel walks them
    /// one pass per level, which with a weight of 2^31 behind an upper threshold is
    /// billions of passes for one pick; the jump gives the same pick, cursor and `cw`.
    /// Only levels above `di` are skipped, so the last-pass and `stop` logic sees the
    /// same levels as the kernel's loop.
    fn skip_empty_levels(
        &mut self,
        dests: &Dests,
        last_pass: &mut bool,
        stop: &mut Option<usize>,
        restarted: bool,
        last: Option<usize>,
    ) {
        if self.cw <= self.di {
            return;
        }
        let reach = dests.iter().filter(|d| !d.overloaded).map(|d| i64::from(d.weight)).max().unwrap_or(0).max(1);
        if self.cw <= reach {
            return;
        }
        // cw ≡ 1 (mod di) always, so the levels are cw, cw − di, ..., and the first one
        // at or below `reach` is still ≥ 1.
        let target = self.cw - (self.cw - reach + self.di - 1) / self.di * self.di;
        if target >= 1 {
            self.cw = target;
            *last_pass = self.cw <= self.di;
            if *last_pass && restarted && last.is_some() {
                *stop = last;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedulers::testutil::{ctx, dests};
    use proptest::prelude::*;

    /// `ip_vs_wrr_schedule` exactly as the kernel walks it (one pass per level), the
    /// reference that the level skipping must agree with.
    fn kernel_schedule(s: &mut Wrr, dests: &Dests) -> Option<usize> {
        s.pick(dests, false)
    }

    proptest! {
        #[test]
        fn skipping_levels_picks_as_the_kernel_loop(
            weights in proptest::collection::vec(0u32..300, 1..6),
            overload in proptest::collection::vec(proptest::collection::vec(any::<bool>(), 6), 1..12),
            scale in 1u32..40,
        ) {
            // Weights scaled by a common factor exercise di > 1; the OVERLOAD flags change
            // between picks as an upper threshold would. Both sides start from the same state.
            let mut d = dests(&weights.iter().map(|w| w * scale).collect::<Vec<_>>());
            let mut fast = Wrr::default();
            fast.init_service(&d);
            let mut slow = fast.clone();
            for flags in &overload {
                for (x, &o) in d.iter_mut().zip(flags) {
                    x.overloaded = o;
                }
                for _ in 0..3 {
                    prop_assert_eq!(fast.schedule(&d, &ctx()), kernel_schedule(&mut slow, &d));
                    prop_assert_eq!(fast.mark(), slow.mark());
                }
            }
        }
    }

    #[test]
    fn a_huge_weight_behind_its_threshold_is_one_step() {
        // A has weight 2^31 − 1 and is OVERLOAD, B has 1: the kernel's loop would walk
        // 2^31 levels to reach cw = 1 (issue 16 measured 4.4 s a pick). B is picked and cw
        // is 1, as the loop would leave it.
        let mut d = dests(&[i32::MAX as u32, 1]);
        let mut s = Wrr::default();
        s.init_service(&d);
        // The list is in reverse order of adding: d[1] is A.
        d[1].overloaded = true;
        assert_eq!(picks(&mut s, &d, 3), [B, B, B]);
        assert_eq!(s.mark(), (B, i64::from(i32::MAX), 1, 1));
    }

    /// `n` picks as ids ("-" for none).
    fn picks(s: &mut Wrr, d: &Dests, n: usize) -> Vec<Option<u32>> {
        (0..n).map(|_| s.schedule(d, &ctx()).map(|i| d[i].id)).collect()
    }

    const A: Option<u32> = Some(0);
    const B: Option<u32> = Some(1);
    const C: Option<u32> = Some(2);

    /// Builds the service with `-A` then one `-a` per weight (the usual way).
    fn incremental(weights: &[u32]) -> (Wrr, Dests) {
        let all = dests(weights);
        let mut s = Wrr::default();
        s.init_service(&Dests::default());
        let mut d = Dests::default();
        for x in all.into_iter().rev() {
            let id = x.id;
            d.insert(0, x);
            s.add_dest(&d, id);
        }
        (s, d)
    }

    #[test]
    fn bulk_init_4_3_2() {
        // Spec c.2: A4 B3 C2 (list C, B, A) bound at once: cw = 4 takes A; cw = 3 takes B, A;
        // cw = 2 takes C, B, A; cw = 1 the same; then round two.
        let d = dests(&[4, 3, 2]);
        let mut s = Wrr::default();
        s.init_service(&d);
        assert_eq!(s.mark(), (None, 4, 1, 4));
        let round = [A, B, A, C, B, A, C, B, A];
        assert_eq!(picks(&mut s, &d, 18), [round, round].concat());
    }

    #[test]
    fn incremental_4_3_2_starts_with_one_each() {
        // Spec c.2: the first add sets mw = 4 − 3 = 1 and cw = 1; later adds keep cw = 1, so
        // round one is C B A; the next call wraps to cw = 4 and the bulk rounds follow.
        let (mut s, d) = incremental(&[4, 3, 2]);
        assert_eq!(s.mark(), (None, 4, 1, 1));
        let round = [A, B, A, C, B, A, C, B, A];
        assert_eq!(picks(&mut s, &d, 21), [&[C, B, A][..], &round, &round].concat());
    }

    #[test]
    fn gcd_levels_4_2() {
        // Spec c.2: weights 4, 2 → di = 2, mw = 3: cw = 3 takes A only, cw = 1 takes B, A.
        let d = dests(&[4, 2]);
        let mut s = Wrr::default();
        s.init_service(&d);
        assert_eq!(s.mark(), (None, 3, 2, 3));
        assert_eq!(picks(&mut s, &d, 1), [A]);
        assert_eq!(s.mark().3, 3);
        assert_eq!(picks(&mut s, &d, 2), [B, A]);
        assert_eq!(s.mark().3, 1);
        assert_eq!(picks(&mut s, &d, 3), [A, B, A]);
    }

    #[test]
    fn all_weights_zero_gives_none() {
        // mw = 0: none at once, state untouched; quiescing everything by -e does the same.
        let d = dests(&[0, 0]);
        let mut s = Wrr::default();
        s.init_service(&d);
        assert_eq!(picks(&mut s, &d, 2), [None, None]);
        let (mut s, mut d) = incremental(&[2, 1]);
        assert_eq!(picks(&mut s, &d, 1), [B]);
        d[0].weight = 0;
        s.upd_dest(&d, 1);
        d[1].weight = 0;
        s.upd_dest(&d, 0);
        assert_eq!(s.mark(), (None, 0, 1, 0));
        assert_eq!(picks(&mut s, &d, 1), [None]);
    }

    #[test]
    fn dest_changed_rounds_cw_to_the_new_gcd() {
        // A6 B5 bulk (di 1, mw 6): A at cw 6, B and A at cw 5, B at cw 4. Editing B to 4 makes
        // di 2, mw 5 and cw = (4/2)·2 + 1 = 5, cursor at the head: then A at cw 5, B A at
        // cw 3, B A at cw 1, and the wrap to cw 5 gives A.
        let mut d = dests(&[6, 5]);
        let mut s = Wrr::default();
        s.init_service(&d);
        assert_eq!(picks(&mut s, &d, 4), [A, B, A, B]);
        assert_eq!(s.mark(), (B, 6, 1, 4));
        d[0].weight = 4;
        s.upd_dest(&d, 1);
        assert_eq!(s.mark(), (None, 5, 2, 5));
        assert_eq!(picks(&mut s, &d, 6), [A, B, A, B, A, A]);
    }

    #[test]
    fn cw_above_new_max_resets() {
        // A4 B1 bulk: cw 4. Deleting A leaves mw 1 < cw, so cw = mw = 1.
        let mut d = dests(&[4, 1]);
        let mut s = Wrr::default();
        s.init_service(&d);
        let gone = d.remove(1);
        s.del_dest(&d, gone.id, 1);
        assert_eq!(s.mark(), (None, 1, 1, 1));
        assert_eq!(picks(&mut s, &d, 2), [B, B]);
    }

    #[test]
    fn overloaded_start_server_gives_up_after_wrap() {
        // A1 B1 (list B, A), cw 1. B is picked, then both become OVERLOAD: the call starts at
        // B, finds nothing to the end, wraps (cw = mw = 1, restarted, last pass, stop = B)
        // and gives up at B itself: none, the cursor stays on B.
        let mut d = dests(&[1, 1]);
        let mut s = Wrr::default();
        s.init_service(&d);
        assert_eq!(picks(&mut s, &d, 1), [B]);
        d[0].overloaded = true;
        d[1].overloaded = true;
        assert_eq!(picks(&mut s, &d, 1), [None]);
        assert_eq!(s.mark(), (B, 1, 1, 1));
        // Clearing A's flag: the next call from B finds A at once.
        d[1].overloaded = false;
        assert_eq!(picks(&mut s, &d, 2), [A, A]);
    }

    #[test]
    fn call_from_the_head_tries_each_level_once() {
        // All OVERLOAD, bulk init A3 B2 (cw 3, cursor head): levels 3, 2, 1 fail, cw wraps
        // to 3 and the call gives up with the cursor at the head.
        let mut d = dests(&[3, 2]);
        d[0].overloaded = true;
        d[1].overloaded = true;
        let mut s = Wrr::default();
        s.init_service(&d);
        assert_eq!(picks(&mut s, &d, 1), [None]);
        assert_eq!(s.mark(), (None, 3, 1, 3));
    }
}
