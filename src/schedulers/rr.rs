//! Round robin (`net/netfilter/ipvs/ip_vs_rr.c`).
//!
//! A cursor remembers the last chosen server (initially the list head). Scan from the
//! entry after it to the end, then wrap and scan up to and including it; take the first
//! server with weight > 0 and no OVERLOAD. Weights other than 0 are ignored.

use super::{SchedCtx, Scheduler, available};
use crate::dest::{DestId, Dests};

#[derive(Clone, Debug, Default)]
pub struct Rr {
    /// The last chosen server; `None` is the list head.
    cursor: Option<DestId>,
}

impl Scheduler for Rr {
    fn name(&self) -> &'static str {
        "rr"
    }

    fn init_service(&mut self, _dests: &Dests) {
        self.cursor = None;
    }

    fn del_dest(&mut self, dests: &Dests, deleted: DestId, old_pos: usize) {
        // The cursor on the deleted server moves to the previous entry (or the head).
        if self.cursor == Some(deleted) {
            self.cursor = old_pos.checked_sub(1).map(|p| dests[p].id);
        }
    }

    fn schedule(&mut self, dests: &Dests, _ctx: &SchedCtx) -> Option<usize> {
        let cur = self.cursor.and_then(|id| dests.iter().position(|d| d.id == id));
        let start = cur.map_or(0, |c| c + 1);
        let wrap = cur.map_or(0, |c| c + 1);
        let pick = (start..dests.len()).chain(0..wrap).find(|&i| available(&dests[i]))?;
        self.cursor = Some(dests[pick].id);
        Some(pick)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedulers::testutil::{ctx, dests};

    fn picks(s: &mut Rr, d: &Dests, n: usize) -> Vec<u32> {
        (0..n).map(|_| d[s.schedule(d, &ctx()).unwrap()].id).collect()
    }

    #[test]
    fn newest_first_order() {
        // Spec c.1: with RS1..RS3 added in order the kernel serves RS3, RS2, RS1, RS3...
        let d = dests(&[1, 1, 1]);
        let mut s = Rr::default();
        assert_eq!(picks(&mut s, &d, 5), [2, 1, 0, 2, 1]);
    }

    #[test]
    fn skips_quiescent_and_ignores_weights() {
        // Weight 0 is never picked; weight 5 counts the same as 1.
        let d = dests(&[5, 0, 1]);
        let mut s = Rr::default();
        assert_eq!(picks(&mut s, &d, 4), [2, 0, 2, 0]);
    }

    #[test]
    fn none_when_nothing_available() {
        // All servers quiescent: no pick (the client gets ICMP port unreachable).
        let d = dests(&[0, 0]);
        assert_eq!(Rr::default().schedule(&d, &ctx()), None);
    }

    #[test]
    fn deleting_the_cursor_moves_it_back() {
        // RS3 picked; deleting it puts the cursor at the head, so RS2 comes next.
        let mut d = dests(&[1, 1, 1]);
        let mut s = Rr::default();
        assert_eq!(picks(&mut s, &d, 1), [2]);
        let gone = d.remove(0);
        s.del_dest(&d, gone.id, 0);
        assert_eq!(picks(&mut s, &d, 3), [1, 0, 1]);
    }
}
