//! Fault commands, for a scenario's `at:` list: what an admin (or bad luck) does to a
//! running machine.
//!
//! | command | becomes |
//! |---|---|
//! | `systemctl stop|start|restart UNIT` (`service UNIT stop|start|restart` too) | [`Command::Systemctl`] |
//! | `reboot`, `systemctl reboot`, `shutdown -r now`, `echo b > /proc/sysrq-trigger` | [`Command::Power`] |
//! | `poweroff`, `halt`, `systemctl poweroff`, `shutdown -h now`, `echo o > /proc/sysrq-trigger` | [`Command::Power`] |
//! | `echo c > /proc/sysrq-trigger` (a kernel crash) | [`Command::Power`] |
//! | `tc qdisc add|replace|change dev DEV root netem loss P%`, `tc qdisc del dev DEV root` | [`Command::Netem`] |

use std::fmt;

use super::Command;
use super::lex::{Args, CmdError, END_OF_COMMAND, Tok, did_you_mean};

/// What `systemctl` does to a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnitAction {
    Stop,
    Start,
    Restart,
}

impl UnitAction {
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Stop => "stop",
            Self::Start => "start",
            Self::Restart => "restart",
        }
    }
}

/// What happens to the whole machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Power {
    /// `reboot`, `systemctl reboot`, `shutdown -r now`: down, then up again after the
    /// host's boot time with only its `run:` configuration.
    Reboot,
    /// `echo b > /proc/sysrq-trigger`: the same, without shutting anything down first.
    SysrqReboot,
    /// `poweroff`, `halt`, `shutdown -h now`: down for good.
    Poweroff,
    /// `echo o > /proc/sysrq-trigger`: off at once.
    SysrqPoweroff,
    /// `echo c > /proc/sysrq-trigger`: a kernel crash; the machine hangs, silent, until
    /// it is rebooted (a later `reboot` in `at:` stands for the reset button).
    SysrqCrash,
}

impl Power {
    /// The host comes back after its boot time.
    #[must_use]
    pub const fn reboots(self) -> bool {
        matches!(self, Self::Reboot | Self::SysrqReboot)
    }
}

impl fmt::Display for Power {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Reboot => "reboot",
            Self::SysrqReboot => "echo b > /proc/sysrq-trigger",
            Self::Poweroff => "poweroff",
            Self::SysrqPoweroff => "echo o > /proc/sysrq-trigger",
            Self::SysrqCrash => "echo c > /proc/sysrq-trigger",
        })
    }
}

/// Loss in parts per million (`netem loss 0.5%` is 5,000): exact in decimal, so the
/// command prints back as it was written.
pub const PPM: u32 = 1_000_000;

/// Writes `ppm` as a percentage with no trailing zeros: 5,000 → `0.5%`.
#[must_use]
pub fn percent(ppm: u32) -> String {
    let (whole, frac) = (ppm / 10_000, ppm % 10_000);
    if frac == 0 {
        format!("{whole}%")
    } else {
        let f = format!("{frac:04}");
        format!("{whole}.{}%", f.trim_end_matches('0'))
    }
}

const SYSTEMCTL_EXPECTED: &str = "stop, start, restart, reboot or poweroff";

/// `systemctl [--no-block|-q] stop|start|restart UNIT`, `systemctl reboot|poweroff|halt`.
pub(super) fn parse_systemctl(a: &mut Args) -> Result<Command, CmdError> {
    let mut verb = a.value(SYSTEMCTL_EXPECTED)?;
    while verb.text.starts_with('-') {
        if !matches!(verb.text.as_str(), "--no-block" | "-q" | "--quiet" | "--now") {
            return Err(verb.err(SYSTEMCTL_EXPECTED).with_hint("lvsim knows --no-block and -q"));
        }
        verb = a.value(SYSTEMCTL_EXPECTED)?;
    }
    let action = match verb.text.as_str() {
        "stop" => UnitAction::Stop,
        "start" => UnitAction::Start,
        "restart" => UnitAction::Restart,
        "reboot" => return end(a, Command::Power(Power::Reboot)),
        "poweroff" | "halt" => return end(a, Command::Power(Power::Poweroff)),
        other => {
            let hint = did_you_mean(other, ["stop", "start", "restart", "reboot", "poweroff"])
                .or_else(|| Some("lvsim models stopping and starting a server application and rebooting".into()));
            return Err(verb.err(SYSTEMCTL_EXPECTED).with_hint_opt(hint));
        }
    };
    let unit = a.value("a unit: the `name` of a Server application on this host, like nginx")?;
    let cmd = Command::Systemctl { action, unit: unit_name(unit)? };
    end(a, cmd)
}

/// `service UNIT stop|start|restart` (SysV style).
pub(super) fn parse_service(a: &mut Args) -> Result<Command, CmdError> {
    let unit = a.value("a unit: the `name` of a Server application on this host, like nginx")?;
    let verb = a.value("stop, start or restart")?;
    let action = match verb.text.as_str() {
        "stop" => UnitAction::Stop,
        "start" => UnitAction::Start,
        "restart" => UnitAction::Restart,
        other => {
            return Err(verb
                .err("stop, start or restart")
                .with_hint_opt(did_you_mean(other, ["stop", "start", "restart"])));
        }
    };
    let cmd = Command::Systemctl { action, unit: unit_name(unit)? };
    end(a, cmd)
}

/// `nginx.service` is `nginx`.
fn unit_name(t: &Tok) -> Result<String, CmdError> {
    let name = t.text.strip_suffix(".service").unwrap_or(&t.text);
    if name.is_empty() || name.starts_with('-') {
        return Err(t.err("a unit name, like nginx"));
    }
    Ok(name.to_owned())
}

/// `reboot [-f]`, `poweroff [-f]`, `halt [-f]`.
pub(super) fn parse_power(a: &mut Args, power: Power) -> Result<Command, CmdError> {
    while let Some(t) = a.next() {
        if !matches!(t.text.as_str(), "-f" | "--force" | "-p") {
            return Err(t.err(END_OF_COMMAND).with_hint("lvsim reads no options here but -f"));
        }
    }
    Ok(Command::Power(power))
}

/// `shutdown -r|-h|-P [now|+0]`.
pub(super) fn parse_shutdown(a: &mut Args) -> Result<Command, CmdError> {
    let expected = "-r (reboot) or -h (power off)";
    let flag = a.value(expected)?;
    let power = match flag.text.as_str() {
        "-r" | "--reboot" => Power::Reboot,
        "-h" | "-P" | "--poweroff" | "--halt" | "-H" => Power::Poweroff,
        _ => return Err(flag.err(expected)),
    };
    if let Some(t) = a.next()
        && !matches!(t.text.as_str(), "now" | "+0" | "0")
    {
        return Err(t.err("now").with_hint("a delayed shutdown is an `at:` entry at that time"));
    }
    end(a, Command::Power(power))
}

/// `echo c|b|o > /proc/sysrq-trigger`; `value` is the echoed word.
pub(super) fn sysrq(value: &Tok) -> Result<Command, CmdError> {
    match value.text.as_str() {
        "c" => Ok(Command::Power(Power::SysrqCrash)),
        "b" => Ok(Command::Power(Power::SysrqReboot)),
        "o" => Ok(Command::Power(Power::SysrqPoweroff)),
        _ => Err(value.err("c (crash), b (reboot) or o (power off)").with_hint("lvsim models these three SysRq keys")),
    }
}

const TC_EXPECTED: &str = "qdisc add|replace|change|del dev DEV root netem loss P%";

/// `tc qdisc add|replace|change dev DEV root netem loss [random] P%`, `tc qdisc del dev DEV root`.
pub(super) fn parse_tc(a: &mut Args) -> Result<Command, CmdError> {
    let obj = a.value(TC_EXPECTED)?;
    if !matches!(obj.text.as_str(), "qdisc" | "q") {
        return Err(obj.err("qdisc").with_hint("lvsim models one qdisc: netem's loss"));
    }
    let verb = a.value("add, replace, change or del")?;
    let del = match verb.text.as_str() {
        "add" | "replace" | "change" => false,
        "del" | "delete" => true,
        other => {
            return Err(verb
                .err("add, replace, change or del")
                .with_hint_opt(did_you_mean(other, ["add", "replace", "change", "del"])));
        }
    };
    let kw = a.value("dev")?;
    if !kw.is("dev") {
        return Err(kw.err("dev"));
    }
    let dev = a.value("a device name, like eth0")?;
    super::ip::validate_dev(&dev.text).map_err(|hint| dev.err("a device name, like eth0").with_hint(hint))?;
    let root = a.value("root")?;
    if !root.is("root") {
        return Err(root.err("root").with_hint("netem sits at the root of the device's egress"));
    }
    if del {
        return end(a, Command::Netem { dev: dev.text.clone(), loss_ppm: None });
    }
    let q = a.value("netem")?;
    if !q.is("netem") {
        return Err(q.err("netem").with_hint("lvsim models netem's loss only"));
    }
    let kw = a.value("loss")?;
    if !kw.is("loss") {
        return Err(kw.err("loss").with_hint("lvsim models netem's loss only (no delay, duplicate, reorder)"));
    }
    let mut p = a.value("a loss percentage, like 10%")?;
    if p.is("random") {
        p = a.value("a loss percentage, like 10%")?;
    }
    let ppm = parse_percent(p)?;
    end(a, Command::Netem { dev: dev.text.clone(), loss_ppm: Some(ppm) })
}

/// `10%`, `0.5%`, `100%` → parts per million; at most four decimals.
fn parse_percent(t: &Tok) -> Result<u32, CmdError> {
    let expected = "a percentage from 0% to 100%, like 10% or 0.5%";
    let Some(num) = t.text.strip_suffix('%') else {
        return Err(t.err(expected).with_hint("write the % sign: `loss 10%`"));
    };
    let (whole, frac) = num.split_once('.').unwrap_or((num, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(t.err(expected));
    }
    if frac.len() > 4 {
        return Err(t.err(expected).with_hint("at most four decimals (1 in a million)"));
    }
    let w: u32 = whole.parse().map_err(|_| t.err(expected))?;
    let f: u32 = if frac.is_empty() { 0 } else { format!("{frac:0<4}").parse().map_err(|_| t.err(expected))? };
    let ppm = w.checked_mul(10_000).and_then(|x| x.checked_add(f)).filter(|x| *x <= PPM);
    ppm.ok_or_else(|| t.err(expected))
}

fn end(a: &mut Args, cmd: Command) -> Result<Command, CmdError> {
    match a.next() {
        Some(t) => Err(t.err(END_OF_COMMAND)),
        None => Ok(cmd),
    }
}
