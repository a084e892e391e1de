//! The human-readable trace: one line per step.
//!
//! ```text
//!     time(s)    host      iface  stage        what                                       | why
//! 0.000021440  director  eth0   INPUT        TCP 203.0.113.10:40001 > 10.0.0.100:80 ...  | ipvs: new conn ...
//! ```

use super::{Names, Step};
use crate::lang::Lang;
use std::fmt::Write as _;

/// Formats one step as a line (no newline), its reason in `lang`.
pub fn line(step: &Step, names: &Names, lang: Lang) -> String {
    let mut s = String::with_capacity(160);
    let what = match &step.subject {
        Some(sub) => names.summary(&sub.frame),
        None => String::new(),
    };
    let _ = write!(
        s,
        "{:>12}  {:<9} {:<6} {:<11}  {:<56} | {}",
        step.time.to_string(),
        names.host(step.host),
        names.iface(step.host, step.iface),
        step.stage.name(),
        what,
        step.reason(names, lang)
    );
    s
}

/// The header line matching [`line`].
pub fn header() -> String {
    header_in(crate::lang::Lang::En)
}

/// [`header`] in `lang`: the column names the TUI uses, padded by terminal columns.
pub fn header_in(lang: crate::lang::Lang) -> String {
    use crate::lang::{pad_end, pad_start};
    let [time, host, iface, stage, frame, why] = match lang {
        crate::lang::Lang::En => ["time(s)", "host", "iface", "stage", "frame", "why"],
        crate::lang::Lang::Zh => ["时间(秒)", "主机", "接口", "阶段", "帧", "原因"],
    };
    format!(
        "{}  {} {} {}  {} | {why}",
        pad_start(time, 12),
        pad_end(host, 9),
        pad_end(iface, 6),
        pad_end(stage, 11),
        pad_end(frame, 56)
    )
}
