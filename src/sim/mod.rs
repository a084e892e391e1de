//! The discrete-event core: virtual time, the agenda, seeded random streams.
//! It knows nothing about frames; [`crate::engine`] drives it.

pub mod agenda;
pub mod rng;
pub mod slots;
pub mod time;

pub use agenda::{Agenda, InThePast};
pub use time::{SimDuration, SimTime};
