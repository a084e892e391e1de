//! Virtual time: integer nanoseconds. `std::time` never appears in the model.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// An instant of virtual time, in nanoseconds since the start of the run.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct SimTime(pub u64);

/// A span of virtual time, in nanoseconds.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct SimDuration(pub u64);

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);

    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Time since `earlier`, zero if `earlier` is later.
    pub const fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);

    pub const fn from_nanos(n: u64) -> Self {
        SimDuration(n)
    }
    pub const fn from_micros(n: u64) -> Self {
        SimDuration(n * 1_000)
    }
    pub const fn from_millis(n: u64) -> Self {
        SimDuration(n * 1_000_000)
    }
    pub const fn from_secs(n: u64) -> Self {
        SimDuration(n * 1_000_000_000)
    }
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// Parses `"2s"`, `"100ms"`, `"50us"`, `"10ns"`, `"1.5s"`, `"2m"`, `"1h"`.
    pub fn parse(s: &str) -> Result<SimDuration, String> {
        let s = s.trim();
        let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let scale: u64 = match unit.trim() {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" | "min" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => {
                return Err(format!("a duration like \"100ms\" (units ns, us, ms, s, m, h), found \"{s}\""));
            }
        };
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        if int.is_empty() && frac.is_empty() {
            return Err(format!("a number before the unit, found \"{s}\""));
        }
        let int: u64 =
            if int.is_empty() { 0 } else { int.parse().map_err(|_| format!("a number, found \"{num}\""))? };
        let too_long = || format!("a duration that fits in 584 years (2^64 ns), found \"{s}\"");
        let mut ns = int.checked_mul(scale).ok_or_else(too_long)?;
        let mut place = scale;
        for c in frac.chars() {
            let d = c.to_digit(10).ok_or_else(|| format!("a number, found \"{num}\""))? as u64;
            place /= 10;
            ns = ns.checked_add(d * place).ok_or_else(too_long)?;
        }
        Ok(SimDuration(ns))
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        self.0 = self.0.saturating_add(d.0);
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

impl Sub for SimTime {
    type Output = SimDuration;
    fn sub(self, rhs: SimTime) -> SimDuration {
        self.since(rhs)
    }
}

/// Seconds with nine decimals: `1.000120000`.
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = format!("{}.{:09}", self.0 / 1_000_000_000, self.0 % 1_000_000_000);
        f.pad(&s)
    }
}

/// The shortest exact unit: `100ms`, `1.5s`, `20us`.
impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        let s = if n == 0 {
            "0s".to_string()
        } else if n.is_multiple_of(1_000_000_000) {
            format!("{}s", n / 1_000_000_000)
        } else if n >= 1_000_000_000 {
            format!("{}s", n as f64 / 1e9)
        } else if n.is_multiple_of(1_000_000) {
            format!("{}ms", n / 1_000_000)
        } else if n.is_multiple_of(1_000) {
            format!("{}us", n / 1_000)
        } else {
            format!("{n}ns")
        };
        f.pad(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_fractions() {
        // Each unit scales exactly; fractions are exact decimal, not float-rounded.
        assert_eq!(SimDuration::parse("2s"), Ok(SimDuration::from_secs(2)));
        assert_eq!(SimDuration::parse("100ms"), Ok(SimDuration::from_millis(100)));
        assert_eq!(SimDuration::parse("50us"), Ok(SimDuration::from_micros(50)));
        assert_eq!(SimDuration::parse("1.5s"), Ok(SimDuration::from_millis(1500)));
        assert_eq!(SimDuration::parse("0.001ms"), Ok(SimDuration::from_nanos(1000)));
        assert!(SimDuration::parse("10 parsecs").is_err());
        assert!(SimDuration::parse("s").is_err());
    }

    #[test]
    fn overflowing_durations_are_refused_not_wrapped() {
        // u64::MAX ns is 18446744073.709551615 s: the integer part alone fits, so only the
        // fraction pushes "18446744073.9s" over; it used to wrap to 0.19 s.
        assert_eq!(SimDuration::parse("18446744073.709551615s"), Ok(SimDuration(u64::MAX)));
        assert!(SimDuration::parse("18446744073.709551616s").is_err());
        assert!(SimDuration::parse("18446744073.9s").is_err());
        assert!(SimDuration::parse("18446744074s").is_err());
        assert!(SimDuration::parse("99999999999999999999ns").is_err());
    }

    #[test]
    fn displays_round_trip() {
        // Display output parses back to the same value, so scenarios can be re-emitted.
        for ns in [0, 1, 1_000, 20_000, 1_000_000, 1_500_000_000, 3_000_000_000] {
            let d = SimDuration(ns);
            assert_eq!(SimDuration::parse(&d.to_string()), Ok(d));
        }
        assert_eq!(SimTime(1_000_120_000).to_string(), "1.000120000");
    }
}
