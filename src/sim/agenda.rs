//! The agenda: the one global event queue, ordered by `(time, insertion seq)`.
//!
//! Heap entries are 24 bytes (`time`, `seq`, slot); the events themselves sit in a slab so
//! sifting never moves a frame. Events more than [`HORIZON`] ahead (connection, neighbour
//! and retransmission timers) wait in a second heap, so the busy one stays shallow; the
//! earlier of the two tops is always taken, so the order is exactly `(time, seq)`. Ties at the same instant pop in the order they were
//! scheduled, which makes a run deterministic. Scheduling into the past is an error.

use super::time::{SimDuration, SimTime};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Scheduling an event before the current time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("event scheduled at {at} but the clock is already at {now}")]
pub struct InThePast {
    pub at: SimTime,
    pub now: SimTime,
}

/// Events further ahead than this go to the second ("far") heap.
pub const HORIZON: SimDuration = SimDuration::from_millis(100);

type Entry = Reverse<(SimTime, u64, u32)>;

pub struct Agenda<E> {
    heap: BinaryHeap<Entry>,
    far: BinaryHeap<Entry>,
    slab: Vec<Option<E>>,
    free: Vec<u32>,
    seq: u64,
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
            heap: BinaryHeap::new(),
            far: BinaryHeap::new(),
            slab: Vec::new(),
            free: Vec::new(),
            seq: 0,
            now: SimTime::ZERO,
        }
    }

    /// The time of the last popped event.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Events waiting.
    pub fn len(&self) -> usize {
        self.heap.len() + self.far.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty() && self.far.is_empty()
    }

    /// The heap whose top comes first (ties cannot happen: `seq` is unique).
    fn first(&mut self) -> Option<&mut BinaryHeap<Entry>> {
        match (self.heap.peek(), self.far.peek()) {
            (Some(a), Some(b)) => Some(if a > b { &mut self.heap } else { &mut self.far }),
            (Some(_), None) => Some(&mut self.heap),
            (None, Some(_)) => Some(&mut self.far),
            (None, None) => None,
        }
    }

    /// Time of the next event, if any.
    pub fn peek_time(&self) -> Option<SimTime> {
        match (self.heap.peek(), self.far.peek()) {
            (Some(a), Some(b)) => Some(a.max(b).0.0),
            (Some(a), None) | (None, Some(a)) => Some(a.0.0),
            (None, None) => None,
        }
    }

    pub fn schedule(&mut self, at: SimTime, event: E) -> Result<(), InThePast> {
        if at < self.now {
            return Err(InThePast { at, now: self.now });
        }
        let slot = if let Some(s) = self.free.pop() {
            self.slab[s as usize] = Some(event);
            s
        } else {
            self.slab.push(Some(event));
            (self.slab.len() - 1) as u32
        };
        let e = Reverse((at, self.seq, slot));
        if at > self.now + HORIZON {
            self.far.push(e)
        } else {
            self.heap.push(e)
        }
        self.seq += 1;
        Ok(())
    }

    /// Removes and returns the earliest event, advancing the clock to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let Reverse((at, _, slot)) = self.first()?.pop().expect("non-empty heap");
        self.now = at;
        let ev = self.slab[slot as usize].take().expect("agenda slot holds an event");
        self.free.push(slot);
        Some((at, ev))
    }

    /// Iterates over waiting events in no particular order (for accounting only).
    pub fn iter(&self) -> impl Iterator<Item = &E> {
        self.slab.iter().filter_map(Option::as_ref)
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
            // Steps of 5 ms: ties happen, and many events land beyond HORIZON in the far heap.
            // Whatever the interleaving of schedules, peeks and pops, events come out in
            // (time, insertion) order: the order a stable sort by time gives.
            let mut a = Agenda::new();
            let mut model: Vec<(u64, u64)> = Vec::new(); // (time, id), kept sorted stably
            let mut id = 0u64;
            for (dt, pop, peek) in ops {
                let at = a.now().0 + dt * 5_000_000;
                a.schedule(SimTime(at), id).unwrap();
                let pos = model.partition_point(|(t, _)| *t <= at);
                model.insert(pos, (at, id));
                id += 1;
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
        // A peek settles on the earliest key; an event scheduled afterwards for an earlier
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
    fn reuses_slots() {
        // The slab does not grow when events are popped as fast as they are pushed:
        // memory stays flat in run length.
        let mut a = Agenda::new();
        for i in 0..1000 {
            a.schedule(SimTime(i), i).unwrap();
            a.pop();
        }
        assert_eq!(a.slab.len(), 1);
    }
}
