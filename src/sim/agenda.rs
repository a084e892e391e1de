//! The agenda: the one global event queue, ordered by `(time, insertion seq)`.
//!
//! Ties at the same instant pop in the order they were scheduled, which makes a run
//! deterministic. Scheduling into the past is an error.
//!
//! Most events fall a few microseconds ahead (a frame on a link), so the agenda is a timing
//! wheel, as the kernel's timers are: [`SLOTS`] buckets of [`SLOT_NS`] each cover the next
//! ~4 ms, a bitmap finds the next non-empty bucket, and each bucket's list is kept sorted
//! by `(time, seq)`, so its head is the next event. Events further ahead (connection,
//! neighbour and retransmission timers) wait in a binary heap and move into the wheel when
//! it reaches them. Events live in one node array, reused as they are popped, and each
//! bucket is a linked list through it: memory is the peak number of waiting events, not a
//! function of run length.

use super::time::SimTime;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Scheduling an event before the current time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("event scheduled at {at} but the clock is already at {now}")]
pub struct InThePast {
    pub at: SimTime,
    pub now: SimTime,
}

/// Width of one wheel bucket, in nanoseconds (a power of two).
pub const SLOT_NS: u64 = 1024;
/// Buckets in the wheel (a power of two): the wheel covers `SLOTS × SLOT_NS` ≈ 4.2 ms.
pub const SLOTS: usize = 4096;
const WORDS: usize = SLOTS / 64;

const NIL: u32 = u32::MAX;

/// An event and its time; nodes of one bucket form a singly linked list through `next`,
/// and free nodes another one.
///
/// No insertion number is kept: a node filed by [`Agenda::schedule`] was scheduled after
/// every node already waiting, so among equal times it goes last; the far heap keeps
/// its own, and a node it hands back ([`Agenda::refill`]) finds in its bucket only nodes
/// handed back before it in the same refill, which come first in `(time, seq)` order
/// (its tick was beyond the window until that refill, so nothing was scheduled there).
/// So "after every node of time ≤ mine" is the `(time, seq)` order.
#[derive(Clone)]
struct Node<E> {
    time: u64,
    next: u32,
    ev: Option<E>,
}

#[derive(Clone)]
pub struct Agenda<E> {
    /// All waiting events; a node's index is stable until it is popped, then reused.
    nodes: Vec<Node<E>>,
    /// The first free node (the last one popped), or `NIL`; its `next` is the next free.
    free: u32,
    /// First node of each bucket's list, or `NIL`.
    heads: Box<[u32; SLOTS]>,
    /// Bit `i` set when bucket `i` is not empty.
    occupied: [u64; WORDS],
    /// The tick (`time / SLOT_NS`) of the current bucket; every wheel entry lies in
    /// `[cursor, cursor + SLOTS)` ticks, every far entry at or beyond its end.
    cursor: u64,
    /// Nodes further ahead than the wheel's window, smallest `(time, seq)` on top.
    far: BinaryHeap<Reverse<(u64, u64, u32)>>,
    /// The tick of the far heap's top (`u64::MAX` when it is empty): one compare tells
    /// whether a move of the cursor brings far nodes into the window.
    far_tick: u64,
    /// Nodes filed in the far heap so far: its insertion order among equal times.
    far_seq: u64,
    now: SimTime,
}

impl<E> Default for Agenda<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Agenda<E> {
    pub fn new() -> Self {
        Agenda {
            nodes: Vec::new(),
            free: NIL,
            heads: Box::new([NIL; SLOTS]),
            occupied: [0; WORDS],
            cursor: 0,
            far: BinaryHeap::new(),
            far_tick: u64::MAX,
            far_seq: 0,
            now: SimTime::ZERO,
        }
    }

    /// The time of the last popped event.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events waiting (counted: for tests and accounting, not the event loop).
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    pub fn is_empty(&self) -> bool {
        self.peek_time().is_none()
    }

    /// Links node `n`, due at `time`, into its bucket after every node due at or before
    /// `time` (the `(time, seq)` order, see [`Node`]): the list's head is the bucket's
    /// earliest event. Most buckets hold one event or none, so the walk is short.
    #[expect(clippy::inline_always, reason = "measured: a call per schedule cost more than the walk")]
    #[inline(always)]
    fn file(&mut self, n: u32, time: u64) {
        let b = ((time / SLOT_NS) as usize) & (SLOTS - 1);
        let (mut prev, mut cur) = (NIL, self.heads[b]);
        while cur != NIL {
            let c = &self.nodes[cur as usize];
            if c.time > time {
                break;
            }
            (prev, cur) = (cur, c.next);
        }
        self.nodes[n as usize].next = cur;
        if prev == NIL {
            self.heads[b] = n;
        } else {
            self.nodes[prev as usize].next = n;
        }
        self.occupied[b / 64] |= 1 << (b % 64);
    }

    /// Puts `event` on the agenda at `at`. Inlined into its callers with only the common
    /// case (a free node, a time inside the wheel's window) in line.
    #[expect(clippy::inline_always, reason = "measured: the call and its register saves cost more than the body")]
    #[inline(always)]
    pub fn schedule(&mut self, at: SimTime, event: E) -> Result<(), InThePast> {
        if at < self.now {
            return Err(InThePast { at, now: self.now });
        }
        let n = self.free;
        if n == NIL {
            self.add_node(at, event);
            return Ok(());
        }
        let node = &mut self.nodes[n as usize];
        self.free = node.next;
        node.time = at.0;
        node.ev = Some(event);
        if at.0 / SLOT_NS < self.cursor + SLOTS as u64 {
            self.file(n, at.0);
        } else {
            self.file_far(n, at.0);
        }
        Ok(())
    }

    /// [`Agenda::schedule`] when no node is free: a new one.
    #[cold]
    #[inline(never)]
    fn add_node(&mut self, at: SimTime, event: E) {
        self.nodes.push(Node { time: at.0, next: NIL, ev: Some(event) });
        let n = (self.nodes.len() - 1) as u32;
        if at.0 / SLOT_NS < self.cursor + SLOTS as u64 {
            self.file(n, at.0);
        } else {
            self.file_far(n, at.0);
        }
    }

    /// Node `n`, just scheduled, waits beyond the wheel's window.
    #[cold]
    #[inline(never)]
    fn file_far(&mut self, n: u32, time: u64) {
        self.far.push(Reverse((time, self.far_seq, n)));
        self.far_seq += 1;
        self.far_tick = self.far_tick.min(time / SLOT_NS);
    }

    /// The first non-empty bucket at or after the cursor, in the wheel's order.
    #[inline]
    fn first_bucket(&self) -> Option<usize> {
        let start = (self.cursor as usize) & (SLOTS - 1);
        let (w0, bit0) = (start / 64, start % 64);
        // The first word from the starting bit, then the others, wrapping round once.
        let first = self.occupied[w0] & (u64::MAX << bit0);
        if first != 0 {
            return Some(w0 * 64 + first.trailing_zeros() as usize);
        }
        (1..=WORDS).find_map(|k| {
            let w = (w0 + k) % WORDS;
            let word = if w == w0 { self.occupied[w] & !(u64::MAX << bit0) } else { self.occupied[w] };
            (word != 0).then(|| w * 64 + word.trailing_zeros() as usize)
        })
    }

    /// Brings far events that the wheel's window now covers into the wheel.
    #[inline(never)]
    fn refill(&mut self) {
        let end = self.cursor + SLOTS as u64;
        while let Some(&Reverse((time, _, n))) = self.far.peek() {
            if time / SLOT_NS >= end {
                break;
            }
            self.far.pop();
            self.file(n, time);
        }
        self.far_tick = self.far.peek().map_or(u64::MAX, |top| top.0.0 / SLOT_NS);
    }

    /// Time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        // Far entries all lie beyond the wheel's window, so the wheel wins when it has any.
        match self.first_bucket() {
            Some(b) => Some(SimTime(self.nodes[self.heads[b & (SLOTS - 1)] as usize].time)),
            None => self.far.peek().map(|e| SimTime(e.0.0)),
        }
    }

    /// Removes and returns the earliest event, advancing the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_until(SimTime::MAX)
    }

    /// Like [`Agenda::pop`], but only if the earliest event is not later than `limit`.
    pub fn pop_until(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        let b = if let Some(b) = self.first_bucket() {
            b & (SLOTS - 1)
        } else {
            let t = self.far.peek()?.0.0;
            if t > limit.0 {
                return None;
            }
            self.cursor = t / SLOT_NS;
            self.refill();
            self.first_bucket()? & (SLOTS - 1)
        };
        let n = self.heads[b];
        let node = &mut self.nodes[n as usize];
        let time = node.time;
        if time > limit.0 {
            return None;
        }
        let next = node.next;
        let ev = node.ev.take().expect("waiting node holds an event");
        node.next = self.free;
        self.free = n;
        self.heads[b] = next;
        if next == NIL {
            self.occupied[b / 64] &= !(1 << (b % 64));
        }
        let tick = time / SLOT_NS;
        if tick != self.cursor {
            // Refilled nodes lie beyond the old window, so none lands in bucket `b`.
            self.cursor = tick;
            if self.far_tick < tick + SLOTS as u64 {
                self.refill();
            }
        }
        self.now = SimTime(time);
        Some((self.now, ev))
    }

    /// Waiting events, mutably, in no particular order: a machine that goes down takes its
    /// own events back (`engine/fault.rs`).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut E> {
        self.nodes.iter_mut().filter_map(|n| n.ev.as_mut())
    }

    /// Iterates over waiting events in no particular order (for accounting only).
    pub fn iter(&self) -> impl Iterator<Item = &E> {
        self.nodes.iter().filter_map(|n| n.ev.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_by_time_then_insertion_order() {
        // Two events at t=5 must come out in the order they went in: this is what makes
        // simultaneous frames deterministic.
        let mut a = Agenda::new();
        a.schedule(SimTime(5), "b").unwrap();
        a.schedule(SimTime(1), "a").unwrap();
        a.schedule(SimTime(5), "c").unwrap();
        let order: Vec<_> = std::iter::from_fn(|| a.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["a", "b", "c"]);
        assert_eq!(a.now(), SimTime(5));
    }

    #[test]
    fn refuses_the_past() {
        // After the clock reached 10, scheduling at 9 is a bug in the caller, reported as such.
        let mut a = Agenda::new();
        a.schedule(SimTime(10), 0).unwrap();
        a.pop();
        assert_eq!(a.schedule(SimTime(9), 1), Err(InThePast { at: SimTime(9), now: SimTime(10) }));
        assert!(a.schedule(SimTime(10), 1).is_ok());
    }

    proptest::proptest! {
        #[test]
        fn same_order_as_a_sorted_list(ops in proptest::collection::vec((0u64..50, proptest::bool::ANY, proptest::bool::ANY), 1..300)) {
            // Whatever the interleaving of schedules, peeks and pops, events come out in
            // (time, insertion) order: the order a stable sort by time gives.
            let mut a = Agenda::new();
            let mut model: Vec<(u64, u64)> = Vec::new(); // (time, id), kept sorted stably
            for (id, (dt, pop, peek)) in (0u64..).zip(ops) {
                // Small steps tie and share buckets; large ones land in the far heap.
                let at = a.now().0 + if dt % 3 == 0 { dt * 400_000 } else { dt * 100 };
                a.schedule(SimTime(at), id).unwrap();
                let pos = model.partition_point(|(t, _)| *t <= at);
                model.insert(pos, (at, id));
                if peek {
                    proptest::prop_assert_eq!(a.peek_time(), model.first().map(|m| SimTime(m.0)));
                }
                if pop {
                    let got = a.pop().map(|(t, e)| (t.0, e));
                    proptest::prop_assert_eq!(got, Some(model.remove(0)));
                }
            }
            while let Some((t, e)) = a.pop() {
                proptest::prop_assert_eq!((t.0, e), model.remove(0));
            }
            proptest::prop_assert!(model.is_empty());
        }
    }

    #[test]
    fn schedule_after_peek_before_the_peeked_event() {
        // Peeking must not move anything: an event scheduled afterwards for an earlier
        // time must still come out first.
        let mut a = Agenda::new();
        a.schedule(SimTime(10), "late").unwrap();
        assert_eq!(a.peek_time(), Some(SimTime(10)));
        a.schedule(SimTime(5), "early").unwrap();
        assert_eq!(a.pop().map(|e| e.1), Some("early"));
        assert_eq!(a.pop().map(|e| e.1), Some("late"));
        assert!(a.pop().is_none());
    }

    #[test]
    fn memory_is_the_peak_of_waiting_events() {
        // Nodes are reused: a million events through a queue that never holds more than
        // three keeps three nodes, whatever buckets they pass through.
        let mut a = Agenda::new();
        for i in 0..1_000_000u64 {
            a.schedule(SimTime(i * 777), i).unwrap();
            if i >= 2 {
                a.pop();
            }
        }
        assert_eq!(a.nodes.len(), 3);
    }

    #[test]
    fn far_events_come_back_in_order() {
        // Events beyond the wheel's window (seconds ahead) wait in the far heap; they must
        // still interleave exactly with events scheduled later into the wheel.
        let mut a = Agenda::new();
        a.schedule(SimTime(10_000_000_000), "far").unwrap();
        a.schedule(SimTime(10_000_000_000), "far-tie").unwrap();
        a.schedule(SimTime(5), "near").unwrap();
        assert_eq!(a.pop().map(|e| e.1), Some("near"));
        a.schedule(SimTime(9_999_999_999), "just-before").unwrap();
        let rest: Vec<_> = std::iter::from_fn(|| a.pop().map(|e| e.1)).collect();
        assert_eq!(rest, ["just-before", "far", "far-tie"]);
        assert!(a.is_empty());
    }
}
