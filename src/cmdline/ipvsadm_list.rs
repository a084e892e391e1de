//! `ipvsadm` listing command lines (`-L`, `-l`, `-S` and their options) parsed into a
//! typed [`ListCmd`]; `ipvs::listing` prints what ipvsadm would for one. The rules and
//! messages are ipvsadm's (`generic_opt_check`, `commands_v_options`).

use std::fmt;
use std::net::Ipv4Addr;

use super::ipvsadm::{Proto, ServiceAddr};

/// A listing: `ipvsadm -L [options]` or `ipvsadm -S [-n]`. `ipvsadm` alone is the default
/// value, the full listing, the same as `ipvsadm -L`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListCmd {
    /// `-S` (rules, as `ipvsadm-save` prints them) instead of `-L`.
    pub save: bool,
    /// The options, sorted and each once; the service is in `svc`.
    pub opts: Vec<Opt>,
    /// `-t`/`-u VIP[:PORT]`: list this service only (no port reads as 0, as ipvsadm does).
    pub svc: Option<ServiceAddr>,
}

impl ListCmd {
    #[must_use]
    pub fn has(&self, o: Opt) -> bool {
        self.opts.contains(&o)
    }
}

impl fmt::Display for ListCmd {
    /// `ipvsadm -L -n --stats -t 10.0.0.100:80`: [`parse_list`] reads the words back to
    /// the same value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.save { "ipvsadm -S" } else { "ipvsadm -L" })?;
        for o in &self.opts {
            write!(f, " --{}", o.long())?;
        }
        if let Some(s) = self.svc {
            write!(f, " {} {}:{}", s.proto.flag(), s.addr, s.port)?;
        }
        Ok(())
    }
}

/// What [`list`] accepts, for error messages.
const LISTING_OPTIONS: &str = "-L|-l|--list, -S|--save, -n|--numeric, -c|--connection, -t|--tcp-service VIP[:PORT], \
     -u|--udp-service VIP[:PORT], --stats, --rate, --thresholds, --persistent-conn, --tun-info, --timeout, \
     --daemon, --exact|-X, --nosort, --sort";

/// A listing command line lvsim cannot answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    /// Not an option ipvsadm has (or not one a listing can take).
    #[error("unknown option {found:?}: expected one of {LISTING_OPTIONS}")]
    UnknownOption { found: String },
    /// The first option must be the command, as ipvsadm requires.
    #[error("expected the command first (-L, -l, --list, -S or --save), found {found:?}")]
    NoCommand { found: String },
    /// A configuration command, or a feature lvsim does not model.
    #[error("{found:?}: {why}")]
    NotListing { found: String, why: &'static str },
    /// An option that takes a value came last.
    #[error("{option} needs a value: expected {expected}, found the end of the arguments")]
    MissingValue { option: String, expected: &'static str },
    /// `-t`/`-u` with something that is not `ADDR[:PORT]`.
    #[error("illegal virtual server address[:port] specified: expected a numeric IPv4 ADDR[:PORT], found {found:?}")]
    BadService { found: String },
    /// `-f` with something that is not a mark from 1 to 4294967295 (ipvsadm 1.31's words,
    /// checked in the kernel guest: `ipvsadm -Ln -f x` and `-f 0` exit 2 with them).
    #[error("invalid fwmark value `{found}' specified")]
    BadFwmark { found: String },
    /// ipvsadm's own refusal, in its words (`multiple commands specified`, option conflicts).
    #[error("{0}")]
    Ipvsadm(String),
    /// `-L -t VIP:PORT` for a service that does not exist (ipvsadm's message).
    #[error("No such service")]
    NoSuchService,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Command {
    List,
    Save,
}

impl Command {
    const fn name(self) -> &'static str {
        match self {
            Command::List => "list",
            Command::Save => "save",
        }
    }
}

/// The listing options, in the order of ipvsadm's `optnames` (which decides which of two
/// conflicting options an error names first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Opt {
    Numeric,
    Connection,
    Service,
    Timeout,
    Daemon,
    Stats,
    Rate,
    Thresholds,
    PersistentConn,
    NoSort,
    Exact,
    TunInfo,
}

impl Opt {
    /// Every option, in `optnames` order.
    pub const ALL: [Self; 12] = [
        Self::Numeric,
        Self::Connection,
        Self::Service,
        Self::Timeout,
        Self::Daemon,
        Self::Stats,
        Self::Rate,
        Self::Thresholds,
        Self::PersistentConn,
        Self::NoSort,
        Self::Exact,
        Self::TunInfo,
    ];

    /// The long option that sets it (`--numeric`); `Service` is written `-t`/`-u`.
    #[must_use]
    pub const fn long(self) -> &'static str {
        match self {
            Opt::Service => "tcp-service",
            other => other.name(),
        }
    }

    const fn name(self) -> &'static str {
        match self {
            Opt::Numeric => "numeric",
            Opt::Connection => "connection",
            Opt::Service => "service-address",
            Opt::Timeout => "timeout",
            Opt::Daemon => "daemon",
            Opt::Stats => "stats",
            Opt::Rate => "rate",
            Opt::Thresholds => "thresholds",
            Opt::PersistentConn => "persistent-conn",
            Opt::NoSort => "nosort",
            Opt::Exact => "exact",
            Opt::TunInfo => "tun-info",
        }
    }

    /// `commands_v_options` for LIST: `-c`, a service, `--timeout` and `--daemon` are
    /// exclusive ('1'); the rest optional.
    const fn exclusive_in_list(self) -> bool {
        matches!(self, Opt::Connection | Opt::Service | Opt::Timeout | Opt::Daemon)
    }
}

/// One parsed argument.
enum Item {
    Cmd(Command),
    Opt(Opt),
    /// `--sort`: accepted and ignored, as ipvsadm does.
    Nothing,
}

/// How a service option names its service: `-t`/`-u VIP[:PORT]` or `-f MARK`.
#[derive(Clone, Copy)]
enum SvcOpt {
    Proto(Proto),
    Fwmark,
}

/// A short option: the item, and how it names a service when it takes one.
fn short(c: char) -> Result<(Item, Option<SvcOpt>), ListError> {
    Ok(match c {
        'L' | 'l' => (Item::Cmd(Command::List), None),
        'S' => (Item::Cmd(Command::Save), None),
        'n' => (Item::Opt(Opt::Numeric), None),
        'c' => (Item::Opt(Opt::Connection), None),
        'X' => (Item::Opt(Opt::Exact), None),
        't' => (Item::Opt(Opt::Service), Some(SvcOpt::Proto(Proto::Tcp))),
        'u' => (Item::Opt(Opt::Service), Some(SvcOpt::Proto(Proto::Udp))),
        'f' => (Item::Opt(Opt::Service), Some(SvcOpt::Fwmark)),
        _ => return Err(unknown_or_unsupported(&format!("-{c}"))),
    })
}

fn long(name: &str) -> Result<(Item, Option<SvcOpt>), ListError> {
    Ok(match name {
        "list" => (Item::Cmd(Command::List), None),
        "save" => (Item::Cmd(Command::Save), None),
        "numeric" => (Item::Opt(Opt::Numeric), None),
        "connection" => (Item::Opt(Opt::Connection), None),
        "tcp-service" => (Item::Opt(Opt::Service), Some(SvcOpt::Proto(Proto::Tcp))),
        "udp-service" => (Item::Opt(Opt::Service), Some(SvcOpt::Proto(Proto::Udp))),
        "fwmark-service" => (Item::Opt(Opt::Service), Some(SvcOpt::Fwmark)),
        "stats" => (Item::Opt(Opt::Stats), None),
        "rate" => (Item::Opt(Opt::Rate), None),
        "thresholds" => (Item::Opt(Opt::Thresholds), None),
        "persistent-conn" => (Item::Opt(Opt::PersistentConn), None),
        "tun-info" => (Item::Opt(Opt::TunInfo), None),
        "timeout" => (Item::Opt(Opt::Timeout), None),
        "daemon" => (Item::Opt(Opt::Daemon), None),
        "exact" => (Item::Opt(Opt::Exact), None),
        "nosort" => (Item::Opt(Opt::NoSort), None),
        "sort" => (Item::Nothing, None),
        _ => return Err(unknown_or_unsupported(&format!("--{name}"))),
    })
}

/// Options ipvsadm has that a listing here cannot take, with the reason.
fn unknown_or_unsupported(found: &str) -> ListError {
    let why = match found {
        "-A" | "-E" | "-D" | "-C" | "-a" | "-e" | "-d" | "-R" | "-Z" | "--add-service" | "--edit-service"
        | "--delete-service" | "--clear" | "--add-server" | "--edit-server" | "--delete-server" | "--restore"
        | "--zero" | "--set" => {
            "configures IPVS; here ipvsadm only lists (put configuration in the scenario's `run:` commands)"
        }
        "-f" | "--fwmark-service" => {
            "lvsim lists one service by -t or -u; fwmark services show in the full listing (-Ln)"
        }
        "-6" | "--ipv6" | "--sctp-service" => "lvsim models TCP and UDP services on IPv4 only (-t, -u)",
        "--start-daemon" | "--stop-daemon" => "lvsim has no connection sync daemon",
        "-h" | "--help" | "-v" | "--version" => "not a listing",
        _ => return ListError::UnknownOption { found: found.to_string() },
    };
    ListError::NotListing { found: found.to_string(), why }
}

/// `ADDR[:PORT]` as `parse_service` reads it: no port means port 0.
fn parse_service(proto: Proto, text: &str) -> Result<ServiceAddr, ListError> {
    let bad = || ListError::BadService { found: text.to_string() };
    let (addr, port) = match text.rsplit_once(':') {
        Some((a, p)) => (a, p.parse::<u16>().map_err(|_| bad())?),
        None => (text, 0),
    };
    let addr = addr.parse::<Ipv4Addr>().map_err(|_| bad())?;
    Ok(ServiceAddr::new(proto, addr, port))
}

/// Parses the words of an `ipvsadm` listing command line (argv, not a line to lex).
///
/// Accepts `-L`/`-l`/`--list` or `-S`/`--save` first (an optional leading word `ipvsadm`
/// is skipped), then `-n`/`--numeric`, `-c`/`--connection`, `-t`/`-u` (or
/// `--tcp-service`/`--udp-service`) `VIP[:PORT]`, `--stats`, `--rate`, `--thresholds`,
/// `--persistent-conn`, `--tun-info`, `--timeout`, `--daemon`, `--exact`/`-X`, `--nosort`,
/// `--sort`; short options bundle (`-Lnc`, `-Ln`, `-Lnt10.0.0.100:80`), long ones take
/// `--opt=value` or `--opt value`. No arguments at all is `ipvsadm` alone: the full
/// listing. ipvsadm's rules apply: one command, each option once, `-c`, a service,
/// `--timeout` and `--daemon` exclude each other, and `-S` takes only `-n`.
///
/// Without `-n` lvsim still prints addresses and ports as numbers: there is no DNS or
/// services database to turn them into names.
pub fn parse_list(args: &[String]) -> Result<ListCmd, ListError> {
    let args = match args.first() {
        Some(a) if a == "ipvsadm" => &args[1..],
        _ => args,
    };
    if args.is_empty() {
        return Ok(ListCmd::default());
    }
    let mut cmd: Option<Command> = None;
    let mut opts: Vec<Opt> = Vec::new();
    let mut svc: Option<ServiceAddr> = None;
    let mut i = 0;
    let mut first = true;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        // (item, the service protocol if it takes a value, the value if attached, label)
        let mut parsed: Vec<(Item, Option<SvcOpt>, Option<String>, String)> = Vec::new();
        if let Some(body) = arg.strip_prefix("--") {
            if body.is_empty() {
                return Err(ListError::Ipvsadm(format!("unexpected argument {arg}")));
            }
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let (item, takes) = long(name)?;
            if takes.is_none() && value.is_some() {
                return Err(ListError::Ipvsadm(format!("--{name}: option does not take an argument")));
            }
            parsed.push((item, takes, value, format!("--{name}")));
        } else if let Some(body) = arg.strip_prefix('-').filter(|b| !b.is_empty()) {
            for (pos, c) in body.char_indices() {
                let (item, takes) = short(c)?;
                if takes.is_some() {
                    let rest = &body[pos + c.len_utf8()..];
                    let value = (!rest.is_empty()).then(|| rest.to_string());
                    parsed.push((item, takes, value, format!("-{c}")));
                    break;
                }
                parsed.push((item, None, None, format!("-{c}")));
            }
        } else {
            if first {
                return Err(ListError::NoCommand { found: arg.clone() });
            }
            return Err(ListError::Ipvsadm(format!("unexpected argument {arg}")));
        }
        for (item, takes, value, label) in parsed {
            if first && !matches!(item, Item::Cmd(_)) {
                return Err(ListError::NoCommand { found: label });
            }
            first = false;
            match item {
                Item::Cmd(c) => {
                    if cmd.is_some() {
                        return Err(ListError::Ipvsadm("multiple commands specified".into()));
                    }
                    cmd = Some(c);
                }
                Item::Opt(o) => {
                    if opts.contains(&o) {
                        return Err(ListError::Ipvsadm(format!("multiple '{}' options specified", o.name())));
                    }
                    opts.push(o);
                    if let Some(proto) = takes {
                        let text = if let Some(v) = value {
                            v
                        } else {
                            let v = args.get(i).ok_or_else(|| ListError::MissingValue {
                                option: label.clone(),
                                expected: "a virtual service VIP[:PORT]",
                            })?;
                            i += 1;
                            v.clone()
                        };
                        svc = Some(match proto {
                            SvcOpt::Proto(p) => parse_service(p, &text)?,
                            // parse_fwmark: 1 to 4294967295.
                            SvcOpt::Fwmark => match text.parse::<u32>() {
                                Ok(m) if m > 0 => ServiceAddr::fwmark(m),
                                _ => return Err(ListError::BadFwmark { found: text }),
                            },
                        });
                    }
                }
                Item::Nothing => {}
            }
        }
    }
    let cmd = cmd.expect("the first item is a command");
    check_options(cmd, &opts)?;
    let has = |o: Opt| opts.contains(&o);
    if cmd == Command::List
        && (has(Opt::Connection) || has(Opt::Timeout) || has(Opt::Daemon))
        && (has(Opt::Stats) || has(Opt::PersistentConn) || has(Opt::Rate) || has(Opt::Thresholds))
    {
        return Err(ListError::Ipvsadm("options conflicts in the list command".into()));
    }
    opts.retain(|o| *o != Opt::Service);
    opts.sort_unstable();
    Ok(ListCmd { save: cmd == Command::Save, opts, svc })
}

/// `generic_opt_check` for the list and save commands, with ipvsadm's messages.
fn check_options(cmd: Command, opts: &[Opt]) -> Result<(), ListError> {
    let mut sorted = opts.to_vec();
    sorted.sort_unstable();
    let mut exclusive: Option<Opt> = None;
    for o in sorted {
        let illegal = cmd == Command::Save && o != Opt::Numeric;
        if illegal {
            return Err(ListError::Ipvsadm(format!("Illegal '{}' option with the '{}' command", o.name(), cmd.name())));
        }
        if cmd == Command::List && o.exclusive_in_list() {
            if let Some(first) = exclusive {
                return Err(ListError::Ipvsadm(format!(
                    "The option '{}' conflicts with the '{}' option in the '{}' command",
                    o.name(),
                    first.name(),
                    cmd.name()
                )));
            }
            exclusive = Some(o);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn words(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_owned).collect()
    }

    /// ipvsadm's rules for a listing, written from `commands_v_options` and
    /// `list_all`'s conflict check, independently of the parser: `-S` takes only `-n`;
    /// `-c`, a service, `--timeout` and `--daemon` exclude each other, and the first three
    /// of them exclude `--stats`, `--rate`, `--thresholds` and `--persistent-conn`.
    fn valid(c: &ListCmd) -> bool {
        let exclusive = [Opt::Connection, Opt::Timeout, Opt::Daemon].iter().filter(|o| c.has(**o)).count()
            + usize::from(c.svc.is_some());
        let detail = [Opt::Stats, Opt::Rate, Opt::Thresholds, Opt::PersistentConn].iter().any(|o| c.has(*o));
        let listing = [Opt::Connection, Opt::Timeout, Opt::Daemon].iter().any(|o| c.has(*o));
        if c.save {
            c.svc.is_none() && c.opts.iter().all(|o| *o == Opt::Numeric)
        } else {
            exclusive <= 1 && !(listing && detail)
        }
    }

    fn list_cmd() -> impl Strategy<Value = ListCmd> {
        let opts = prop::sample::subsequence(
            Opt::ALL.iter().copied().filter(|o| *o != Opt::Service).collect::<Vec<_>>(),
            0..=4,
        );
        let svc = prop::option::of((any::<bool>(), any::<u32>(), any::<u16>()).prop_map(|(udp, a, port)| {
            ServiceAddr::new(if udp { Proto::Udp } else { Proto::Tcp }, Ipv4Addr::from(a), port)
        }));
        (any::<bool>(), opts, svc)
            .prop_map(|(save, opts, svc)| ListCmd { save, opts, svc })
            .prop_filter("ipvsadm accepts it", valid)
    }

    proptest! {
        #[test]
        fn listings_print_back_to_themselves(c in list_cmd()) {
            // Display writes the words an admin types; parsing them gives the same listing.
            prop_assert_eq!(parse_list(&words(&c.to_string())), Ok(c));
        }
    }

    #[test]
    fn spellings_of_one_listing_are_one_value() {
        // Bundled, long and `=` forms are ipvsadm's (popt) spellings of the same options;
        // the value is written by hand: -L, numeric and connection, no service.
        let want = ListCmd { save: false, opts: vec![Opt::Numeric, Opt::Connection], svc: None };
        for text in ["-Lnc", "ipvsadm -L -n -c", "--list --connection --numeric", "-l -c -n"] {
            assert_eq!(parse_list(&words(text)), Ok(want.clone()), "{text}");
        }
        let svc = ServiceAddr::new(Proto::Tcp, Ipv4Addr::new(10, 0, 0, 100), 80);
        for text in ["-Lnt10.0.0.100:80", "-L -n --tcp-service=10.0.0.100:80", "-Ln -t 10.0.0.100:80"] {
            let got = parse_list(&words(text)).unwrap();
            assert_eq!((got.svc, got.opts), (Some(svc), vec![Opt::Numeric]), "{text}");
        }
        // Nothing at all is the full listing, as `ipvsadm -L`.
        assert_eq!(parse_list(&[]), parse_list(&words("-L")));
    }

    #[test]
    fn a_bad_fwmark_is_refused_as_ipvsadm_refuses_it() {
        // ipvsadm 1.31 in the kernel guest: `-Ln -f x`, `-f 0`, `-f 4294967296` and `-f 0x10`
        // print "invalid fwmark value `x' specified" (exit 2); `-f 010` is mark 10 and `-f 1`
        // mark 1. lvsim used to call these an illegal virtual server address.
        for bad in ["x", "0", "4294967296", "0x10", "-1"] {
            assert_eq!(
                parse_list(&words(&format!("-Ln -f {bad}"))),
                Err(ListError::BadFwmark { found: bad.to_string() }),
                "{bad}"
            );
        }
        assert_eq!(parse_list(&words("-Ln -f 010")).unwrap().svc, Some(ServiceAddr::fwmark(10)));
        assert_eq!(parse_list(&words("-Ln --fwmark-service=1")).unwrap().svc, Some(ServiceAddr::fwmark(1)));
    }
}
