//! `keepalived.conf` (keepalived 2.2.7, Debian bookworm) parsed into a typed
//! [`KeepalivedConf`]: the virtual servers with their real servers and health checkers, and
//! the VRRP instances. Every value keepalived defaults is resolved here, so the runtime
//! (`engine::keepalived`) reads numbers, never absent options. docs/keepalived.md lists each
//! keyword, its default and the keepalived source it comes from.
//!
//! Reading follows keepalived's `lib/parser.c`: a line is split into words; `!` or `#` at the
//! start of a word begins a comment that runs to the end of the line; `"..."` quotes a word
//! (no escapes); `{` and `}` are words of their own, so a block's `{` may end the keyword's
//! line or start the next one. A keyword's values are the other words on its line.
//!
//! Where keepalived logs "Unknown keyword" and carries on, lvsim stops with a [`ConfError`]:
//! the byte range of the offending word, what was expected there (the keywords of the
//! block), what was found and, when one is close, the keyword meant.

use std::fmt;
use std::net::Ipv4Addr;
use std::ops::Range;

use super::ipvsadm::{Fwd, MAX_TIMEOUT, MAX_WEIGHT, Proto, Sched};
use super::lex::{closest, ipv4_hint, quote};

// ───────────────────────────── defaults ─────────────────────────────

/// `delay_loop` when left out: `KEEPALIVED_DEFAULT_DELAY` (60 s, `check/check_data.c`
/// `alloc_vs`).
pub const DEFAULT_DELAY_LOOP: Micros = Micros::secs(60);
/// A checker's `connect_timeout` when neither it nor its virtual server sets one: the
/// virtual server's `connection_to`, 5 s (`check/check_data.c` `alloc_vs`).
pub const DEFAULT_CONNECT_TIMEOUT: Micros = Micros::secs(5);
/// `retry` when left out: `default_retry = 1` (`check/check_api.c` `queue_checker`).
pub const DEFAULT_RETRY: u32 = 1;
/// `delay_before_retry` of TCP_CHECK and MISC_CHECK when left out: 1 s
/// (`check/check_api.c` `queue_checker`).
pub const DEFAULT_DELAY_BEFORE_RETRY: Micros = Micros::secs(1);
/// `delay_before_retry` of HTTP_GET when left out: 3 s (`check/check_http.c`
/// `http_get_handler`).
pub const DEFAULT_HTTP_DELAY_BEFORE_RETRY: Micros = Micros::secs(3);
/// A real server's `weight` when left out: the virtual server's, 1 (`check/check_data.c`).
pub const DEFAULT_WEIGHT: u32 = 1;
/// `quorum` when left out (`check/check_data.c` `alloc_vs`).
pub const DEFAULT_QUORUM: u32 = 1;
/// `lb_algo` when left out: `IPVS_DEF_SCHED`, wlc (`check/check_data.c`).
pub const DEFAULT_SCHED: Sched = Sched::Wlc;
/// `lb_kind` when left out: NAT ("no forwarding method set, setting default NAT",
/// `check/check_data.c`).
pub const DEFAULT_FWD: Fwd = Fwd::Nat;
/// `persistence_timeout` without a value: `IPVS_SVC_PERSISTENT_TIMEOUT`, 360 s.
pub const DEFAULT_PERSISTENCE: u32 = super::ipvsadm::DEFAULT_PERSISTENT_TIMEOUT;
/// `advert_int` when left out: 1 s (`vrrp/vrrp_data.c` `alloc_vrrp`, `VRRP_ADVER_DFL`).
pub const DEFAULT_ADVERT_INT: Micros = Micros::secs(1);
/// `priority` of a `state BACKUP` instance when left out: `VRRP_PRIO_DFL` (`vrrp/vrrp.c`).
pub const DEFAULT_PRIORITY: u8 = 100;
/// `priority` of a `state MASTER` instance when left out: `VRRP_PRIO_OWNER` (`vrrp/vrrp.c`).
pub const OWNER_PRIORITY: u8 = 255;

// ───────────────────────────── the configuration ─────────────────────────────

/// A duration in microseconds: keepalived reads its timers as decimal seconds with six
/// digits (`TIMER_HZ`), so `delay_loop 1.5` is 1,500,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Micros(pub u64);

impl Micros {
    #[must_use]
    pub const fn secs(s: u64) -> Self {
        Self(s * 1_000_000)
    }
}

impl fmt::Display for Micros {
    /// `3 s`, `1.5 s`, `0.25 s`: seconds as keepalived.conf writes them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (s, us) = (self.0 / 1_000_000, self.0 % 1_000_000);
        if us == 0 {
            write!(f, "{s} s")
        } else {
            let frac = format!("{us:06}");
            write!(f, "{s}.{} s", frac.trim_end_matches('0'))
        }
    }
}

/// Where a block or keyword starts in the configuration text (byte offset), so the runtime
/// and `lvsim check` can point at it.
pub type At = usize;

/// A whole `keepalived.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeepalivedConf {
    /// `global_defs { router_id NAME }` (other global keywords are accepted and ignored).
    pub router_id: Option<String>,
    pub virtual_servers: Vec<VirtualServer>,
    pub vrrp_instances: Vec<VrrpInstance>,
}

/// What a `virtual_server` line names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VsAddr {
    /// `virtual_server 10.0.0.100 80`
    Ip { addr: Ipv4Addr, port: u16 },
    /// `virtual_server fwmark 1`
    Fwmark(u32),
}

/// `virtual_server IP PORT { ... }` or `virtual_server fwmark N { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VirtualServer {
    pub at: At,
    pub addr: VsAddr,
    /// `delay_loop SECONDS`: the interval between two runs of each checker.
    pub delay_loop: Micros,
    /// `lb_algo` (or `lvs_sched`).
    pub sched: Sched,
    /// `lb_kind NAT|DR|TUN` (or `lvs_method`).
    pub fwd: Fwd,
    /// `persistence_timeout [SECONDS]`; `None` without the keyword or with 0.
    pub persistence: Option<u32>,
    /// `persistence_granularity NETMASK` (ipvsadm's `-M`); 255.255.255.255 when left out.
    pub granularity: Ipv4Addr,
    /// `protocol TCP|UDP`; TCP when left out.
    pub proto: Proto,
    /// `sorry_server IP PORT`: added with weight 1 when no real server is left up.
    pub sorry_server: Option<(Ipv4Addr, u16)>,
    /// `quorum N`: the sum of the weights of live real servers below which the sorry server
    /// is used.
    pub quorum: u32,
    pub real_servers: Vec<RealServer>,
}

/// `real_server IP PORT { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealServer {
    pub at: At,
    pub addr: Ipv4Addr,
    pub port: u16,
    /// `weight N`, 0..=65535.
    pub weight: u32,
    /// `inhibit_on_failure`: a failed server stays with weight 0 instead of being removed.
    pub inhibit_on_failure: bool,
    /// The server is up while every one of its checkers is.
    pub checkers: Vec<Checker>,
}

/// A `TCP_CHECK`, `HTTP_GET` or `MISC_CHECK` block with its resolved timers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checker {
    pub at: At,
    pub kind: CheckKind,
    /// `connect_port N`; the real server's port when left out.
    pub port: u16,
    /// `delay_loop SECONDS` of the checker, else of its real server, else of its virtual
    /// server.
    pub delay_loop: Micros,
    /// `connect_timeout SECONDS`; for MISC_CHECK, `misc_timeout` (default `delay_loop`).
    pub connect_timeout: Micros,
    /// `retry N` (or the old `nb_get_retry`): failures after the first before the server is
    /// declared down.
    pub retry: u32,
    /// `delay_before_retry SECONDS`: the wait before a retry.
    pub delay_before_retry: Micros,
}

/// The kind of a checker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckKind {
    /// `TCP_CHECK`: a TCP connect; up on SYN-ACK.
    Tcp,
    /// `HTTP_GET { url { path P [status_code N] [digest D] } ... }`.
    Http { urls: Vec<Url> },
    /// `MISC_CHECK { misc_path "/bin/true" }`: lvsim runs no script; the path names the outcome.
    Misc { path: String, outcome: MiscOutcome },
}

impl CheckKind {
    /// As keepalived.conf names the block: `TCP_CHECK`, `HTTP_GET`, `MISC_CHECK`.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Self::Tcp => "TCP_CHECK",
            Self::Http { .. } => "HTTP_GET",
            Self::Misc { .. } => "MISC_CHECK",
        }
    }
}

/// What a `MISC_CHECK`'s script does in lvsim, named by its `misc_path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MiscOutcome {
    /// `/bin/true`, `/usr/bin/true`: exit status 0, the check succeeds.
    Success,
    /// `/bin/false`, `/usr/bin/false`: exit status 1, the check fails.
    Failure,
}

/// The paths a `misc_path` may name, with their outcome.
pub const MISC_PATHS: [(&str, MiscOutcome); 4] = [
    ("/bin/true", MiscOutcome::Success),
    ("/usr/bin/true", MiscOutcome::Success),
    ("/bin/false", MiscOutcome::Failure),
    ("/usr/bin/false", MiscOutcome::Failure),
];

/// `url { path /index.html status_code 200 digest HEX }` of an `HTTP_GET`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub path: String,
    /// `status_code N`; `None`: any 2xx is a success (`check/check_http.c`).
    pub status_code: Option<u16>,
    /// `digest HEX`: the MD5 of the body. lvsim's servers send no content, so it is kept
    /// but not compared (docs/keepalived.md).
    pub digest: Option<String>,
}

/// `state MASTER|BACKUP` of a VRRP instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VrrpState {
    Master,
    Backup,
}

/// One address of `virtual_ipaddress { 10.0.0.100/32 dev eth0 }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vip {
    pub addr: Ipv4Addr,
    /// 32 when left out.
    pub prefix: u8,
    /// `dev X`; the instance's `interface` when left out.
    pub dev: Option<String>,
}

/// `vrrp_instance NAME { ... }`. Parsed here; the VRRP runtime is built on it separately.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VrrpInstance {
    pub at: At,
    pub name: String,
    /// `state MASTER|BACKUP`; BACKUP when left out and the priority is not 255.
    pub state: VrrpState,
    /// `interface DEV` (required).
    pub interface: String,
    /// `virtual_router_id N`, 1..=255 (required).
    pub virtual_router_id: u8,
    /// `priority N`, 1..=255; 255 for `state MASTER` and 100 otherwise when left out.
    pub priority: u8,
    /// `advert_int SECONDS`, 1 s when left out.
    pub advert_int: Micros,
    /// `preempt` (the default) or `nopreempt`.
    pub preempt: bool,
    pub virtual_ipaddress: Vec<Vip>,
    /// `lvs_sync_daemon_interface DEV` (deprecated in 2.2.7 but accepted).
    pub lvs_sync_daemon_interface: Option<String>,
}

// ───────────────────────────── errors ─────────────────────────────

/// What went wrong, for tests and front ends that match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfErrorKind {
    /// A word that is no keyword of the block it is in.
    UnknownKeyword,
    /// A keyword without the value it needs.
    MissingValue,
    /// A value out of range or of the wrong form.
    BadValue,
    /// More values than the keyword takes.
    ExtraValue,
    /// A block keyword not followed by `{`.
    MissingOpenBrace,
    /// The text ends inside a block.
    UnclosedBlock,
    /// A `}` with no block open, or `{` where a keyword was expected.
    StrayBrace,
    /// A block that lacks something it must have (a `real_server` without a port, a
    /// `vrrp_instance` without `interface`, a `MISC_CHECK` without `misc_path`).
    Incomplete,
}

/// An error in a keepalived.conf: the byte range in the text, what was expected there, the
/// word found (quoted) or `end of file`, and a hint when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfError {
    pub kind: ConfErrorKind,
    pub span: Range<usize>,
    pub expected: String,
    pub found: String,
    pub hint: Option<String>,
}

impl ConfError {
    fn new(kind: ConfErrorKind, span: Range<usize>, expected: impl Into<String>, found: String) -> Self {
        Self { kind, span, expected: expected.into(), found, hint: None }
    }

    fn hint(mut self, hint: Option<String>) -> Self {
        self.hint = hint;
        self
    }

    /// 1-based line and column (in characters) of the start of the span in `text`.
    #[must_use]
    pub fn line_col(&self, text: &str) -> (usize, usize) {
        let start = self.span.start.min(text.len());
        let before = text.get(..start).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }
}

impl fmt::Display for ConfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {}, found {}", self.expected, self.found)?;
        if let Some(h) = &self.hint {
            write!(f, " (hint: {h})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfError {}

/// `found` when the text ends where something was needed.
pub const END_OF_FILE: &str = "end of file";

// ───────────────────────────── lexing ─────────────────────────────

#[derive(Debug, Clone)]
struct Word {
    text: String,
    span: Range<usize>,
    line: usize,
    /// `{` or `}` (never quoted).
    brace: Option<char>,
}

fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    for (line, (start, content)) in line_starts(text).enumerate() {
        let b = content.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c.is_ascii_whitespace() {
                i += 1;
            } else if c == b'!' || c == b'#' {
                break;
            } else if c == b'{' || c == b'}' {
                out.push(Word {
                    text: (c as char).to_string(),
                    span: start + i..start + i + 1,
                    line,
                    brace: Some(c as char),
                });
                i += 1;
            } else if c == b'"' {
                let end = content[i + 1..].find('"').map_or(b.len(), |j| i + 1 + j);
                let inner = &content[i + 1..end];
                out.push(Word {
                    text: inner.to_owned(),
                    span: start + i..start + (end + 1).min(b.len()),
                    line,
                    brace: None,
                });
                i = end + 1;
            } else {
                let j = content[i..]
                    .find(|ch: char| ch.is_ascii_whitespace() || ch == '{' || ch == '}')
                    .map_or(b.len(), |j| i + j);
                out.push(Word { text: content[i..j].to_owned(), span: start + i..start + j, line, brace: None });
                i = j;
            }
        }
    }
    out
}

fn line_starts(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split('\n').map(move |l| {
        let start = offset;
        offset += l.len() + 1;
        (start, l.strip_suffix('\r').unwrap_or(l))
    })
}

// ───────────────────────────── the parser ─────────────────────────────

/// A keyword and the values on its line.
struct Stmt {
    kw: Word,
    args: Vec<Word>,
}

impl Stmt {
    fn name(&self) -> &str {
        &self.kw.text
    }

    /// The `i`-th value (0 is the first after the keyword).
    fn arg(&self, i: usize, expected: &str) -> Result<&Word, ConfError> {
        self.args.get(i).ok_or_else(|| {
            let at = self.args.last().map_or(self.kw.span.end, |w| w.span.end);
            ConfError::new(ConfErrorKind::MissingValue, at..at, expected, "end of line".to_owned())
                .hint(Some(format!("`{}` takes {expected}", self.kw.text)))
        })
    }

    /// No more than `n` values.
    fn at_most(&self, n: usize) -> Result<(), ConfError> {
        match self.args.get(n) {
            Some(w) => Err(ConfError::new(ConfErrorKind::ExtraValue, w.span.clone(), "end of line", quote(&w.text))
                .hint(Some(if n == 1 {
                    format!("`{}` takes 1 value", self.kw.text)
                } else {
                    format!("`{}` takes {n} values", self.kw.text)
                }))),
            None => Ok(()),
        }
    }

    fn u32_in(&self, i: usize, lo: u32, hi: u32) -> Result<u32, ConfError> {
        let expected = format!("a whole number from {lo} to {hi}");
        let w = self.arg(i, &expected)?;
        w.text.parse::<u32>().ok().filter(|n| (lo..=hi).contains(n)).ok_or_else(|| bad(w, &expected, None))
    }

    /// Decimal seconds with up to six digits after the point, as keepalived's
    /// `read_decimal_unsigned_strvec` reads them; at least `min`.
    fn seconds(&self, i: usize, min: Micros) -> Result<Micros, ConfError> {
        let expected =
            if min.0 == 0 { "a number of seconds like 3 or 1.5" } else { "a number of seconds ≥ 1 like 3 or 1.5" };
        let w = self.arg(i, expected)?;
        parse_seconds(&w.text).filter(|m| *m >= min).ok_or_else(|| bad(w, expected, None))
    }

    fn ip(&self, i: usize) -> Result<Ipv4Addr, ConfError> {
        let expected = "an IPv4 address like 10.0.0.1";
        let w = self.arg(i, expected)?;
        w.text.parse().map_err(|_| bad(w, expected, ipv4_hint(&w.text)))
    }

    fn port(&self, i: usize) -> Result<u16, ConfError> {
        let expected = "a port from 1 to 65535";
        let w = self.arg(i, expected)?;
        w.text.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(|| bad(w, expected, None))
    }
}

fn bad(w: &Word, expected: &str, hint: Option<String>) -> ConfError {
    ConfError::new(ConfErrorKind::BadValue, w.span.clone(), expected, quote(&w.text)).hint(hint)
}

fn parse_seconds(text: &str) -> Option<Micros> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if int.is_empty() && frac.is_empty()
        || frac.len() > 6
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let s: u64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let us: u64 = if frac.is_empty() { 0 } else { format!("{frac:0<6}").parse().ok()? };
    s.checked_mul(1_000_000)?.checked_add(us).map(Micros)
}

struct Parser {
    words: Vec<Word>,
    pos: usize,
    len: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Word> {
        self.words.get(self.pos)
    }

    /// The next statement of the block: `Ok(None)` at its `}` (consumed) or, at top level, at
    /// the end of the text.
    fn stmt(&mut self, open: Option<&Word>) -> Result<Option<Stmt>, ConfError> {
        let Some(kw) = self.words.get(self.pos).cloned() else {
            return match open {
                None => Ok(None),
                Some(o) => {
                    Err(ConfError::new(ConfErrorKind::UnclosedBlock, self.len..self.len, "`}`", END_OF_FILE.to_owned())
                        .hint(Some(format!("the block opened on line {} is never closed", o.line + 1))))
                }
            };
        };
        self.pos += 1;
        match kw.brace {
            Some('}') if open.is_some() => return Ok(None),
            Some(b) => {
                return Err(ConfError::new(
                    ConfErrorKind::StrayBrace,
                    kw.span.clone(),
                    "a keyword",
                    quote(&b.to_string()),
                )
                .hint(Some(if b == '}' {
                    "this `}` closes no block".into()
                } else {
                    "a block opens after its keyword, like `real_server 10.0.0.11 80 {`".into()
                })));
            }
            _ => {}
        }
        let mut args = Vec::new();
        while let Some(w) = self.words.get(self.pos) {
            if w.line != kw.line || w.brace.is_some() {
                break;
            }
            args.push(w.clone());
            self.pos += 1;
        }
        Ok(Some(Stmt { kw, args }))
    }

    /// The `{` after a block keyword, on its line or the next.
    fn open(&mut self, st: &Stmt) -> Result<Word, ConfError> {
        match self.peek() {
            Some(w) if w.brace == Some('{') => {
                let w = w.clone();
                self.pos += 1;
                Ok(w)
            }
            other => {
                let (span, found) =
                    other.map_or((self.len..self.len, END_OF_FILE.to_owned()), |w| (w.span.clone(), quote(&w.text)));
                Err(ConfError::new(
                    ConfErrorKind::MissingOpenBrace,
                    span,
                    format!("`{{` opening the {} block", st.name()),
                    found,
                ))
            }
        }
    }

    /// Skips a block whose content lvsim ignores (nested blocks included).
    fn skip_block(&mut self, open: &Word) -> Result<(), ConfError> {
        let mut depth = 1;
        while let Some(w) = self.words.get(self.pos) {
            self.pos += 1;
            match w.brace {
                Some('{') => depth += 1,
                Some('}') => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
        }
        Err(ConfError::new(ConfErrorKind::UnclosedBlock, self.len..self.len, "`}`", END_OF_FILE.to_owned())
            .hint(Some(format!("the block opened on line {} is never closed", open.line + 1))))
    }
}

fn unknown(st: &Stmt, block: &str, known: &[&str]) -> ConfError {
    let hint = closest(st.name(), known.iter().copied())
        .map(|c| format!("did you mean {c}?"))
        .or_else(|| Some(format!("lvsim reads these keywords in {block}: see docs/keepalived.md")));
    ConfError::new(
        ConfErrorKind::UnknownKeyword,
        st.kw.span.clone(),
        format!("a keyword of {block}: {}", known.join(", ")),
        quote(st.name()),
    )
    .hint(hint)
}

const TOP: [&str; 5] = ["global_defs", "virtual_server", "vrrp_instance", "vrrp_script", "vrrp_sync_group"];
/// global_defs keywords lvsim accepts and ignores (notification, scripts, VRRP tuning).
const GLOBAL_IGNORED: [&str; 15] = [
    "notification_email",
    "notification_email_from",
    "smtp_server",
    "smtp_connect_timeout",
    "smtp_alert",
    "enable_script_security",
    "script_user",
    "vrrp_skip_check_adv_addr",
    "vrrp_strict",
    "vrrp_garp_interval",
    "vrrp_gna_interval",
    "vrrp_mcast_group4",
    "lvs_id",
    "max_auto_priority",
    "lvs_sync_daemon",
];
const VS_KEYS: [&str; 17] = [
    "delay_loop",
    "connect_timeout",
    "retry",
    "delay_before_retry",
    "inhibit_on_failure",
    "lb_algo",
    "lvs_sched",
    "lb_kind",
    "lvs_method",
    "persistence_timeout",
    "persistence_granularity",
    "protocol",
    "sorry_server",
    "quorum",
    "real_server",
    "alpha",
    "omega",
];
const RS_KEYS: [&str; 9] = [
    "weight",
    "inhibit_on_failure",
    "delay_loop",
    "connect_timeout",
    "retry",
    "delay_before_retry",
    "TCP_CHECK",
    "HTTP_GET",
    "MISC_CHECK",
];
const CHECK_KEYS: [&str; 6] =
    ["connect_port", "connect_timeout", "delay_loop", "retry", "nb_get_retry", "delay_before_retry"];
const VRRP_KEYS: [&str; 17] = [
    "state",
    "interface",
    "virtual_router_id",
    "priority",
    "advert_int",
    "preempt",
    "nopreempt",
    "virtual_ipaddress",
    "lvs_sync_daemon_interface",
    "authentication",
    "track_interface",
    "track_script",
    "garp_master_delay",
    "notify_master",
    "notify_backup",
    "notify_fault",
    "smtp_alert",
];

/// Parses a whole keepalived.conf.
///
/// # Errors
/// The first [`ConfError`], located in `text`. Never panics, whatever the input.
pub fn parse(text: &str) -> Result<KeepalivedConf, ConfError> {
    let mut p = Parser { words: words(text), pos: 0, len: text.len() };
    let mut conf = KeepalivedConf::default();
    while let Some(st) = p.stmt(None)? {
        match st.name() {
            "global_defs" => {
                st.at_most(0)?;
                let open = p.open(&st)?;
                while let Some(g) = p.stmt(Some(&open))? {
                    match g.name() {
                        "router_id" => {
                            g.at_most(1)?;
                            conf.router_id = Some(g.arg(0, "a name")?.text.clone());
                        }
                        n if GLOBAL_IGNORED.contains(&n) => {
                            if p.peek().is_some_and(|w| w.brace == Some('{')) {
                                let o = p.open(&g)?;
                                p.skip_block(&o)?;
                            }
                        }
                        _ => {
                            let mut known = vec!["router_id"];
                            known.extend(GLOBAL_IGNORED);
                            return Err(unknown(&g, "global_defs", &known));
                        }
                    }
                }
            }
            "virtual_server" => conf.virtual_servers.push(virtual_server(&mut p, &st)?),
            "vrrp_instance" => conf.vrrp_instances.push(vrrp_instance(&mut p, &st)?),
            // Scripts and sync groups only matter to VRRP tracking, which lvsim does not model.
            "vrrp_script" | "vrrp_sync_group" => {
                let open = p.open(&st)?;
                p.skip_block(&open)?;
            }
            _ => return Err(unknown(&st, "the top level", &TOP)),
        }
    }
    Ok(conf)
}

fn virtual_server(p: &mut Parser, st: &Stmt) -> Result<VirtualServer, ConfError> {
    let addr = if st.arg(0, "an IPv4 address or fwmark")?.text == "fwmark" {
        st.at_most(2)?;
        VsAddr::Fwmark(st.u32_in(1, 1, u32::MAX)?)
    } else {
        st.at_most(2)?;
        VsAddr::Ip { addr: st.ip(0)?, port: st.port(1)? }
    };
    let mut vs = VirtualServer {
        at: st.kw.span.start,
        addr,
        delay_loop: DEFAULT_DELAY_LOOP,
        sched: DEFAULT_SCHED,
        fwd: DEFAULT_FWD,
        persistence: None,
        granularity: Ipv4Addr::BROADCAST,
        proto: Proto::Tcp,
        sorry_server: None,
        quorum: DEFAULT_QUORUM,
        real_servers: Vec::new(),
    };
    // Checkers are resolved once the block is read: their defaults depend on the virtual
    // server's and the real server's values, wherever those were written in the block.
    let mut pending: Vec<(Option<bool>, Timers, Vec<PendingChecker>)> = Vec::new();
    let (mut vs_timers, mut vs_inhibit) = (Timers::default(), None);
    let open = p.open(st)?;
    while let Some(s) = p.stmt(Some(&open))? {
        match s.name() {
            "delay_loop" => {
                s.at_most(1)?;
                vs.delay_loop = s.seconds(0, Micros(1))?;
            }
            "connect_timeout" | "retry" | "delay_before_retry" => vs_timers.set(&s)?,
            "inhibit_on_failure" => vs_inhibit = Some(on_off(&s)?),
            "lb_algo" | "lvs_sched" => {
                s.at_most(1)?;
                let names: Vec<&str> = Sched::ALL.iter().map(|x| x.name()).collect();
                let expected = format!("a scheduler: {}", names.join(", "));
                let w = s.arg(0, &expected)?;
                vs.sched = w.text.parse().map_err(|_| {
                    bad(w, &expected, closest(&w.text, names.iter().copied()).map(|c| format!("did you mean {c}?")))
                })?;
            }
            "lb_kind" | "lvs_method" => {
                s.at_most(1)?;
                let expected = "NAT, DR or TUN";
                let w = s.arg(0, expected)?;
                vs.fwd = match w.text.as_str() {
                    "NAT" => Fwd::Nat,
                    "DR" => Fwd::Dr,
                    "TUN" => Fwd::Tun,
                    other => {
                        return Err(bad(
                            w,
                            expected,
                            closest(other, ["NAT", "DR", "TUN"]).map(|c| format!("did you mean {c}?")),
                        ));
                    }
                };
            }
            "persistence_timeout" => {
                s.at_most(1)?;
                vs.persistence = if s.args.is_empty() {
                    Some(DEFAULT_PERSISTENCE)
                } else {
                    Some(s.u32_in(0, 0, MAX_TIMEOUT)?).filter(|t| *t != 0)
                };
            }
            "persistence_granularity" => {
                s.at_most(1)?;
                let expected = "a netmask like 255.255.255.0";
                let w = s.arg(0, expected)?;
                vs.granularity = w
                    .text
                    .parse::<Ipv4Addr>()
                    .ok()
                    .filter(|m| u32::from(*m).leading_ones() + u32::from(*m).trailing_zeros() == 32)
                    .ok_or_else(|| {
                        bad(w, expected, Some("a netmask's ones come first: 255.255.255.0, not 0.255.255.255".into()))
                    })?;
            }
            "protocol" => {
                s.at_most(1)?;
                let w = s.arg(0, "TCP or UDP")?;
                vs.proto = match w.text.as_str() {
                    "TCP" => Proto::Tcp,
                    "UDP" => Proto::Udp,
                    "SCTP" => return Err(bad(w, "TCP or UDP", Some("lvsim does not model SCTP".into()))),
                    other => {
                        return Err(bad(
                            w,
                            "TCP or UDP",
                            closest(other, ["TCP", "UDP"]).map(|c| format!("did you mean {c}?")),
                        ));
                    }
                };
            }
            "sorry_server" => {
                s.at_most(2)?;
                vs.sorry_server = Some((s.ip(0)?, s.port(1)?));
            }
            "quorum" => {
                s.at_most(1)?;
                vs.quorum = s.u32_in(0, 1, u32::MAX)?;
            }
            "real_server" => {
                s.at_most(2)?;
                let (rs, inhibit, timers, checkers) = real_server(p, &s)?;
                vs.real_servers.push(rs);
                pending.push((inhibit, timers, checkers));
            }
            // keepalived's alpha/omega flags: the initial state of servers; not modelled.
            "alpha" | "omega" => s.at_most(0)?,
            _ => return Err(unknown(&s, "virtual_server", &VS_KEYS)),
        }
    }
    for (rs, (inhibit, timers, checkers)) in vs.real_servers.iter_mut().zip(pending) {
        rs.inhibit_on_failure = inhibit.or(vs_inhibit).unwrap_or(false);
        let up = timers.or(vs_timers).or(Timers { delay_loop: Some(vs.delay_loop), ..Timers::default() });
        rs.checkers = checkers.into_iter().map(|c| c.resolve(rs.port, up)).collect();
    }
    Ok(vs)
}

/// The timer keywords a checker takes from its real server, and the real server from its
/// virtual server, when it leaves them out (`check/check_data.c`).
#[derive(Clone, Copy, Default)]
struct Timers {
    delay_loop: Option<Micros>,
    connect_timeout: Option<Micros>,
    retry: Option<u32>,
    delay_before_retry: Option<Micros>,
}

impl Timers {
    /// Reads `delay_loop`, `connect_timeout`, `retry` (`nb_get_retry`) or
    /// `delay_before_retry`.
    fn set(&mut self, s: &Stmt) -> Result<(), ConfError> {
        s.at_most(1)?;
        match s.name() {
            "delay_loop" => self.delay_loop = Some(s.seconds(0, Micros(1))?),
            "connect_timeout" => self.connect_timeout = Some(s.seconds(0, Micros(1))?),
            "retry" | "nb_get_retry" => self.retry = Some(s.u32_in(0, 0, u32::MAX)?),
            _ => self.delay_before_retry = Some(s.seconds(0, Micros(0))?),
        }
        Ok(())
    }

    /// Each value of `self`, else of `outer`.
    fn or(self, outer: Self) -> Self {
        Self {
            delay_loop: self.delay_loop.or(outer.delay_loop),
            connect_timeout: self.connect_timeout.or(outer.connect_timeout),
            retry: self.retry.or(outer.retry),
            delay_before_retry: self.delay_before_retry.or(outer.delay_before_retry),
        }
    }
}

/// `inhibit_on_failure [on|off]`: keepalived 2.x takes an optional value
/// (`check/check_parser.c`).
fn on_off(s: &Stmt) -> Result<bool, ConfError> {
    s.at_most(1)?;
    match s.args.first().map(|w| w.text.as_str()) {
        None | Some("on" | "true" | "yes") => Ok(true),
        Some("off" | "false" | "no") => Ok(false),
        Some(_) => Err(bad(&s.args[0], "nothing, or on/off", None)),
    }
}

/// A checker as written: `None` for what was left out.
struct PendingChecker {
    at: At,
    kind: CheckKind,
    port: Option<u16>,
    timers: Timers,
    misc_timeout: Option<Micros>,
}

impl PendingChecker {
    /// keepalived's defaults (`check/check_data.c` `validate_check_config`): each value
    /// from the checker, else `up` (its real server's, else its virtual server's, which
    /// always has a `delay_loop`), else the checker's own default.
    fn resolve(self, rs_port: u16, up: Timers) -> Checker {
        let t = self.timers.or(up);
        let delay_loop = t.delay_loop.unwrap_or(DEFAULT_DELAY_LOOP);
        let dbr = match self.kind {
            CheckKind::Http { .. } => DEFAULT_HTTP_DELAY_BEFORE_RETRY,
            _ => DEFAULT_DELAY_BEFORE_RETRY,
        };
        let timeout = match self.kind {
            // misc_timeout defaults to delay_loop (`check/check_misc.c`).
            CheckKind::Misc { .. } => self.misc_timeout.unwrap_or(delay_loop),
            _ => t.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
        };
        Checker {
            at: self.at,
            port: self.port.unwrap_or(rs_port),
            delay_loop,
            connect_timeout: timeout,
            retry: t.retry.unwrap_or(DEFAULT_RETRY),
            delay_before_retry: t.delay_before_retry.unwrap_or(dbr),
            kind: self.kind,
        }
    }
}

type RealServerParts = (RealServer, Option<bool>, Timers, Vec<PendingChecker>);

fn real_server(p: &mut Parser, st: &Stmt) -> Result<RealServerParts, ConfError> {
    let mut rs = RealServer {
        at: st.kw.span.start,
        addr: st.ip(0)?,
        port: st.port(1)?,
        weight: DEFAULT_WEIGHT,
        inhibit_on_failure: false,
        checkers: Vec::new(),
    };
    let mut checkers = Vec::new();
    let (mut timers, mut inhibit) = (Timers::default(), None);
    let open = p.open(st)?;
    while let Some(s) = p.stmt(Some(&open))? {
        match s.name() {
            "weight" => {
                s.at_most(1)?;
                rs.weight = s.u32_in(0, 0, MAX_WEIGHT)?;
            }
            "inhibit_on_failure" => inhibit = Some(on_off(&s)?),
            "delay_loop" | "connect_timeout" | "retry" | "delay_before_retry" => timers.set(&s)?,
            "TCP_CHECK" | "HTTP_GET" | "MISC_CHECK" => {
                s.at_most(0)?;
                checkers.push(checker(p, &s)?);
            }
            "SSL_GET" | "SMTP_CHECK" | "DNS_CHECK" | "UDP_CHECK" | "PING_CHECK" | "FILE_CHECK" | "BFD_CHECK" => {
                return Err(ConfError::new(
                    ConfErrorKind::UnknownKeyword,
                    s.kw.span.clone(),
                    "a checker lvsim models: TCP_CHECK, HTTP_GET or MISC_CHECK",
                    quote(s.name()),
                )
                .hint(Some(format!("{} is a keepalived checker lvsim does not model", s.name()))));
            }
            _ => return Err(unknown(&s, "real_server", &RS_KEYS)),
        }
    }
    Ok((rs, inhibit, timers, checkers))
}

fn checker(p: &mut Parser, st: &Stmt) -> Result<PendingChecker, ConfError> {
    let mut c = PendingChecker {
        at: st.kw.span.start,
        kind: match st.name() {
            "TCP_CHECK" => CheckKind::Tcp,
            "HTTP_GET" => CheckKind::Http { urls: Vec::new() },
            _ => CheckKind::Misc { path: String::new(), outcome: MiscOutcome::Success },
        },
        port: None,
        timers: Timers::default(),
        misc_timeout: None,
    };
    let open = p.open(st)?;
    let mut misc_path = false;
    while let Some(s) = p.stmt(Some(&open))? {
        match (s.name(), &mut c.kind) {
            ("connect_port", CheckKind::Tcp | CheckKind::Http { .. }) => {
                s.at_most(1)?;
                c.port = Some(s.port(0)?);
            }
            ("misc_timeout", CheckKind::Misc { .. }) => {
                s.at_most(1)?;
                c.misc_timeout = Some(s.seconds(0, Micros(1))?);
            }
            ("connect_timeout", CheckKind::Tcp | CheckKind::Http { .. })
            | ("delay_loop" | "retry" | "nb_get_retry" | "delay_before_retry", _) => c.timers.set(&s)?,
            ("url", CheckKind::Http { urls }) => {
                s.at_most(0)?;
                urls.push(url(p, &s)?);
            }
            ("misc_path", CheckKind::Misc { path, outcome }) => {
                s.at_most(1)?;
                let expected = "/bin/true (the check succeeds) or /bin/false (it fails)";
                let w = s.arg(0, expected)?;
                *outcome = MISC_PATHS.iter().find(|(p, _)| *p == w.text).map(|(_, o)| *o).ok_or_else(|| {
                    bad(w, expected, Some("lvsim runs no scripts: a MISC_CHECK's outcome is named by its path, /bin/true or /usr/bin/true succeed, /bin/false or /usr/bin/false fail".into()))
                })?;
                path.clone_from(&w.text);
                misc_path = true;
            }
            _ => {
                let mut known = CHECK_KEYS.to_vec();
                match c.kind {
                    CheckKind::Tcp => {}
                    CheckKind::Http { .. } => known.push("url"),
                    CheckKind::Misc { .. } => {
                        known.retain(|k| !k.starts_with("connect"));
                        known.extend(["misc_path", "misc_timeout"]);
                    }
                }
                return Err(unknown(&s, st.name(), &known));
            }
        }
    }
    let missing = match &c.kind {
        CheckKind::Misc { .. } if !misc_path => Some("`misc_path`"),
        CheckKind::Http { urls } if urls.is_empty() => Some("a `url { path ... }` block"),
        _ => None,
    };
    if let Some(what) = missing {
        return Err(ConfError::new(
            ConfErrorKind::Incomplete,
            st.kw.span.clone(),
            format!("{} with {what}", st.name()),
            quote(st.name()),
        )
        .hint(Some(format!("keepalived ignores a {} without {what}", st.name()))));
    }
    Ok(c)
}

fn url(p: &mut Parser, st: &Stmt) -> Result<Url, ConfError> {
    let mut u = Url { path: String::new(), status_code: None, digest: None };
    let open = p.open(st)?;
    while let Some(s) = p.stmt(Some(&open))? {
        match s.name() {
            "path" => {
                s.at_most(1)?;
                let w = s.arg(0, "a path like /index.html")?;
                if !w.text.starts_with('/') {
                    return Err(bad(w, "a path like /index.html", Some("the path of the URL starts with /".into())));
                }
                u.path.clone_from(&w.text);
            }
            "status_code" => {
                s.at_most(1)?;
                u.status_code = Some(u16::try_from(s.u32_in(0, 100, 599)?).unwrap_or(200));
            }
            "digest" => {
                s.at_most(1)?;
                let w = s.arg(0, "32 hexadecimal digits (an MD5 sum)")?;
                if w.text.len() != 32 || !w.text.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(bad(
                        w,
                        "32 hexadecimal digits (an MD5 sum)",
                        Some("`genhash` prints the digest of a page".into()),
                    ));
                }
                u.digest = Some(w.text.clone());
            }
            _ => return Err(unknown(&s, "url", &["path", "status_code", "digest"])),
        }
    }
    if u.path.is_empty() {
        return Err(ConfError::new(ConfErrorKind::Incomplete, st.kw.span.clone(), "url with a `path`", quote("url"))
            .hint(Some("write `path /` inside the url block".into())));
    }
    Ok(u)
}

fn vrrp_instance(p: &mut Parser, st: &Stmt) -> Result<VrrpInstance, ConfError> {
    st.at_most(1)?;
    let name = st.arg(0, "an instance name like VI_1")?.text.clone();
    let mut state = None;
    let mut interface = None;
    let mut vrid = None;
    let mut priority = None;
    let mut v = VrrpInstance {
        at: st.kw.span.start,
        name,
        state: VrrpState::Backup,
        interface: String::new(),
        virtual_router_id: 0,
        priority: DEFAULT_PRIORITY,
        advert_int: DEFAULT_ADVERT_INT,
        preempt: true,
        virtual_ipaddress: Vec::new(),
        lvs_sync_daemon_interface: None,
    };
    let open = p.open(st)?;
    while let Some(s) = p.stmt(Some(&open))? {
        match s.name() {
            "state" => {
                s.at_most(1)?;
                let w = s.arg(0, "MASTER or BACKUP")?;
                state = Some(match w.text.as_str() {
                    "MASTER" => VrrpState::Master,
                    "BACKUP" => VrrpState::Backup,
                    other => {
                        return Err(bad(
                            w,
                            "MASTER or BACKUP",
                            closest(other, ["MASTER", "BACKUP"]).map(|c| format!("did you mean {c}?")),
                        ));
                    }
                });
            }
            "interface" => {
                s.at_most(1)?;
                interface = Some(s.arg(0, "an interface like eth0")?.text.clone());
            }
            "virtual_router_id" => {
                s.at_most(1)?;
                vrid = Some(u8::try_from(s.u32_in(0, 1, 255)?).unwrap_or(1));
            }
            "priority" => {
                s.at_most(1)?;
                priority = Some(u8::try_from(s.u32_in(0, 1, 255)?).unwrap_or(1));
            }
            "advert_int" => {
                s.at_most(1)?;
                v.advert_int = s.seconds(0, Micros(1))?;
            }
            "preempt" => {
                s.at_most(0)?;
                v.preempt = true;
            }
            "nopreempt" => {
                s.at_most(0)?;
                v.preempt = false;
            }
            "lvs_sync_daemon_interface" => {
                s.at_most(1)?;
                v.lvs_sync_daemon_interface = Some(s.arg(0, "an interface like eth1")?.text.clone());
            }
            "virtual_ipaddress" => {
                s.at_most(0)?;
                let open = p.open(&s)?;
                while let Some(a) = p.stmt(Some(&open))? {
                    v.virtual_ipaddress.push(vip(&a)?);
                }
            }
            "authentication" | "track_interface" | "track_script" => {
                s.at_most(0)?;
                let o = p.open(&s)?;
                p.skip_block(&o)?;
            }
            "garp_master_delay" | "notify_master" | "notify_backup" | "notify_fault" | "smtp_alert" => {}
            _ => return Err(unknown(&s, "vrrp_instance", &VRRP_KEYS)),
        }
    }
    let incomplete = |what: &str| {
        ConfError::new(
            ConfErrorKind::Incomplete,
            st.kw.span.clone(),
            format!("vrrp_instance with {what}"),
            quote("vrrp_instance"),
        )
        .hint(Some(format!("keepalived refuses an instance without {what}")))
    };
    v.interface = interface.ok_or_else(|| incomplete("`interface`"))?;
    v.virtual_router_id = vrid.ok_or_else(|| incomplete("`virtual_router_id`"))?;
    // `vrrp/vrrp.c` `vrrp_complete_instance`: without a priority, MASTER is the address owner
    // (255) and BACKUP gets 100; without a state, priority 255 means MASTER.
    v.priority = priority.unwrap_or(if state == Some(VrrpState::Master) { OWNER_PRIORITY } else { DEFAULT_PRIORITY });
    v.state = state.unwrap_or(if v.priority == OWNER_PRIORITY { VrrpState::Master } else { VrrpState::Backup });
    Ok(v)
}

/// `10.0.0.100/24 dev eth0`, `10.0.0.100`.
fn vip(a: &Stmt) -> Result<Vip, ConfError> {
    let expected = "an address like 10.0.0.100/32";
    let (ip, prefix) = a.kw.text.split_once('/').map_or((a.kw.text.as_str(), None), |(i, p)| (i, Some(p)));
    let addr: Ipv4Addr = ip.parse().map_err(|_| bad(&a.kw, expected, ipv4_hint(ip)))?;
    let prefix = match prefix {
        None => 32,
        Some(p) => p
            .parse::<u8>()
            .ok()
            .filter(|n| *n <= 32)
            .ok_or_else(|| bad(&a.kw, expected, Some("the prefix length is 0 to 32".into())))?,
    };
    let mut dev = None;
    let mut i = 0;
    while let Some(w) = a.args.get(i) {
        match w.text.as_str() {
            "dev" => {
                dev = Some(a.arg(i + 1, "an interface like eth0")?.text.clone());
                i += 2;
            }
            _ => {
                return Err(ConfError::new(
                    ConfErrorKind::UnknownKeyword,
                    w.span.clone(),
                    "`dev DEV` or end of line",
                    quote(&w.text),
                )
                .hint(Some("lvsim reads a virtual address's `dev` only (label, scope, brd are not modelled)".into())));
            }
        }
    }
    Ok(Vip { addr, prefix, dev })
}

#[cfg(test)]
mod tests;
