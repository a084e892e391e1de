//! The Chinese of the English phrases that errors carry: what was expected, what was found,
//! the hint. Errors keep their phrases in English as data (tests and `--lang en` read them);
//! [`phrase`] translates one when an error is drawn in Chinese, through one table:
//!
//! * [`FIXED`]: phrases without a parameter, matched whole;
//! * [`PATTERNS`]: phrases with parameters. In the English, `{}` stands for any non-empty
//!   text. In the Chinese, `{}` puts the next capture back, `{0}`, `{1}`… a numbered one
//!   (for another word order), and a `,` before the `}` (`{,}`, `{1,}`) puts back a list,
//!   its `, ` and ` or ` written 、 and 或; a `=` (`{=}`) puts back the words as they are
//!   (the kernel's own message). A hole between backticks or double quotes is quoted
//!   input and stays too. Any other capture that is itself a phrase of the table is
//!   translated in turn ("column 3: expected {}, found {}" holds two). Patterns are tried
//!   in order: a narrower one before a wider one that would also match its phrases.
//!
//! Quoted input, field and keyword names and command syntax stay as written. What keeps
//! the table complete: the test `every_error_phrase_has_chinese` (in `zh/tests.rs`) reads
//! the source and fails on a phrase literal of the error paths this table does not
//! translate whole; proptests in `cmdline/tests.rs` and `trace/filter.rs` and the fuzz
//! smoke campaign (`tests/fuzz.rs`) check the errors they provoke, as typed data.
//! A new phrase: add its English and Chinese here, in the section of its file.

use std::borrow::Cow;

/// `en` in Chinese, or `en` itself when the table does not know it (a name, a number,
/// quoted input).
pub fn phrase(en: &str) -> Cow<'_, str> {
    translate(en, 0).map_or(Cow::Borrowed(en), |(zh, _)| Cow::Owned(zh))
}

/// `en` as `lang` says it: itself under English, [`phrase`] under Chinese.
pub fn phrase_in(en: &str, lang: super::Lang) -> Cow<'_, str> {
    match lang {
        super::Lang::En => Cow::Borrowed(en),
        super::Lang::Zh => phrase(en),
    }
}

/// Whether the table translates `en` whole: an entry matches it, and every capture that
/// reads as words (not a name, a number or quoted input) is translated in turn.
pub fn knows(en: &str) -> bool {
    translate(en, 0).is_some_and(|(_, whole)| whole)
}

/// Whether `s` has words a student reads: a space, and two or more ASCII letters in a row
/// outside backticks and double quotes; not when it already holds Chinese. A lone word is
/// a name or a keyword, which stays as written.
pub fn wordy(s: &str) -> bool {
    // Quoted whole (a token or the file's text, with quotes of its own escaped inside).
    if s.len() >= 2 && s.starts_with('"') && s.ends_with('"') {
        return false;
    }
    let mut plain = String::new();
    let (mut tick, mut quote) = (false, false);
    for c in s.chars() {
        match c {
            '`' => tick = !tick,
            '"' => quote = !quote,
            _ if !tick && !quote => plain.push(c),
            _ => {}
        }
    }
    !s.chars().any(|c| super::width(c.encode_utf8(&mut [0; 4])) == 2)
        && plain.contains(' ')
        && plain.split(|c: char| !c.is_ascii_alphabetic()).any(|w| w.len() >= 2)
}

/// Nested phrases deeper than this stay English (a bound, not a limit met in practice).
const MAX_DEPTH: u8 = 4;

/// The Chinese of `en`, and whether it is whole (see [`knows`]).
fn translate(en: &str, depth: u8) -> Option<(String, bool)> {
    if depth > MAX_DEPTH || en.is_empty() {
        return None;
    }
    if let Some((_, zh)) = FIXED.iter().find(|(e, _)| *e == en) {
        return Some(((*zh).to_string(), true));
    }
    for (pat, zh) in PATTERNS {
        let mut caps = Vec::new();
        if captures(pat, en, &mut caps) {
            return Some(fill(zh, &caps, &quoted_holes(pat), depth));
        }
    }
    // Hints joined with "; " translate part by part, when every part is known.
    let (a, b) = en.split_once("; ")?;
    let ((a, x), (b, y)) = (translate(a, depth + 1)?, translate(b, depth + 1)?);
    Some((format!("{a}；{b}"), x && y))
}

/// Matches `en` against `pat` (literal text and `{}` holes); on success `caps` holds what
/// each hole matched. A hole matches one or more characters (none between backticks: an
/// empty name, as serde writes it); the first way that fits wins.
fn captures<'a>(pat: &str, en: &'a str, caps: &mut Vec<&'a str>) -> bool {
    let Some((head, rest)) = pat.split_once("{}") else { return false };
    let Some(en) = en.strip_prefix(head) else { return false };
    holes(head.ends_with('`'), rest, en, caps)
}

/// The holes from one that `en` starts with: `rest` is the pattern after that hole, and
/// `ticked` says whether a backtick comes right before it.
fn holes<'a>(ticked: bool, rest: &str, en: &'a str, caps: &mut Vec<&'a str>) -> bool {
    // Literal text up to the next hole, or to the end.
    let (lit, more) = match rest.split_once("{}") {
        Some((lit, more)) => (lit, Some(more)),
        None => (rest, None),
    };
    let min = usize::from(!(ticked && lit.starts_with('`')));
    match more {
        None => {
            let ok = en.len() >= lit.len() + min && en.ends_with(lit);
            if ok {
                caps.push(&en[..en.len() - lit.len()]);
            }
            ok
        }
        Some(more) => {
            if lit.is_empty() {
                return false; // two holes side by side: ambiguous, not used
            }
            for (i, _) in en.match_indices(lit).filter(|(i, _)| *i >= min) {
                let n = caps.len();
                caps.push(&en[..i]);
                if holes(lit.ends_with('`'), more, &en[i + lit.len()..], caps) {
                    return true;
                }
                caps.truncate(n);
            }
            false
        }
    }
}

/// For each hole of `pat`, whether it sits between backticks or double quotes: what it
/// captures is quoted input, put back as it is.
fn quoted_holes(pat: &str) -> Vec<bool> {
    let mut out = Vec::new();
    let (mut tick, mut quote) = (false, false);
    let mut rest = pat;
    while !rest.is_empty() {
        if rest.starts_with("{}") {
            out.push(tick || quote);
            rest = &rest[2..];
            continue;
        }
        let c = rest.chars().next().unwrap_or_default();
        match c {
            '`' => tick = !tick,
            '"' => quote = !quote,
            _ => {}
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The Chinese template `zh` with the captures put back, and whether every capture that
/// reads as words came out Chinese (a quoted one is input, and stays).
fn fill(zh: &str, caps: &[&str], quoted: &[bool], depth: u8) -> (String, bool) {
    let mut out = String::new();
    let mut whole = true;
    let mut next = 0;
    let mut rest = zh;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}').map(|c| open + c) else { break };
        out.push_str(&rest[..open]);
        let spec = &rest[open + 1..close];
        let (spec, verbatim) = spec.strip_suffix('=').map_or((spec, false), |n| (n, true));
        let (num, list) = spec.strip_suffix(',').map_or((spec, false), |n| (n, true));
        let i = if num.is_empty() {
            next += 1;
            next - 1
        } else {
            num.parse().unwrap_or(usize::MAX)
        };
        let cap = caps.get(i).copied().unwrap_or_default();
        let piece = if verbatim || quoted.get(i).copied().unwrap_or(false) {
            cap.to_string()
        } else if list {
            list_zh(cap)
        } else if let Some((t, ok)) = translate(cap, depth + 1) {
            whole &= ok;
            t
        } else {
            whole &= !wordy(cap);
            cap.to_string()
        };
        push_spaced(&mut out, &piece);
        rest = &rest[close + 1..];
        // The template's text after a capture, spaced from it the same way.
        let upto = rest.find('{').unwrap_or(rest.len());
        push_spaced(&mut out, &rest[..upto]);
        rest = &rest[upto..];
    }
    out.push_str(rest);
    (out, whole)
}

/// Appends `piece`, with a space where a Chinese character meets a Latin letter, a digit
/// or a backtick (as the Chinese docs write `用 -t 设置`), unless one is there already.
fn push_spaced(out: &mut String, piece: &str) {
    let han = |c: char| matches!(u32::from(c), 0x4E00..=0x9FFF);
    let latin = |c: char| c.is_ascii_alphanumeric() || c == '`';
    if let (Some(a), Some(b)) = (out.chars().next_back(), piece.chars().next())
        && ((han(a) && latin(b)) || (latin(a) && han(b)))
    {
        out.push(' ');
    }
    out.push_str(piece);
}

/// A list of names as Chinese writes one: `a, b or c` → `a、b 或 c`.
fn list_zh(en: &str) -> String {
    en.replace(", or ", " 或 ").replace(", ", "、").replace(" or ", " 或 ").replace(" and ", " 和 ")
}

/// Phrases without a parameter: (English, Chinese).
pub const FIXED: &[(&str, &str)] = &[
    // ── words every parser uses ──
    ("end of command", "命令结尾"),
    ("end of line", "行尾"),
    ("end of file", "文件结尾"),
    ("one command per line", "每行一条命令"),
    ("lvsim models IPv4 only", "lvsim 只模拟 IPv4"),
    ("an IPv4 address", "IPv4 地址"),
    ("an IPv4 address like 10.0.0.1", "IPv4 地址（如 10.0.0.1）"),
    ("an address like 10.0.0.1", "地址（如 10.0.0.1）"),
    ("an address like 10.0.0.100/32", "地址（如 10.0.0.100/32）"),
    ("an interface name like eth0", "接口名（如 eth0）"),
    ("a port number from 0 to 65535", "0 到 65535 的端口号"),
    ("a netmask like 255.255.255.0", "子网掩码（如 255.255.255.0）"),
    (
        "lvsim needs numeric addresses like 10.0.0.1; host names are not resolved",
        "lvsim 需要数字地址（如 10.0.0.1），不解析主机名",
    ),
    ("lvsim models IPv4 only, and a port does not belong here", "lvsim 只模拟 IPv4，而且这里不应写端口"),
    ("write all four numbers of the address, like 10.0.0.1", "写出地址的全部四个数，如 10.0.0.1"),
    ("each of the four numbers is between 0 and 255", "四个数都在 0 到 255 之间"),
    (
        "leading zeros are not allowed (inet_aton would read 010 as octal 8)",
        "不允许前导零（inet_aton 会把 010 读成八进制的 8）",
    ),
    ("close the quote on the same line", "在同一行内闭合引号"),
    ("a command lvsim models", "lvsim 模拟的命令"),
    // ── src/cmdline/mod.rs ──
    (
        "a command: ip, sysctl, ipvsadm, arptables, iptables, arp, modprobe, echo, tc, systemctl or reboot",
        "命令：ip、sysctl、ipvsadm、arptables、iptables、arp、modprobe、echo、tc、systemctl 或 reboot",
    ),
    (
        "a module: ipip, ip_vs, ip_vs_SCHEDULER (like ip_vs_rr), arptable_filter or arpt_mangle",
        "模块：ipip、ip_vs、ip_vs_SCHEDULER（如 ip_vs_rr）、arptable_filter 或 arpt_mangle",
    ),
    (
        "ifconfig is not modeled: use `ip addr add 10.0.0.100/32 dev lo` and `ip link set eth0 up`",
        "未模拟 ifconfig：请用 `ip addr add 10.0.0.100/32 dev lo` 和 `ip link set eth0 up`",
    ),
    (
        "lvsim models IPv4 only: use iptables (filter table) or arptables",
        "lvsim 只模拟 IPv4：请用 iptables（filter 表）或 arptables",
    ),
    ("lvsim models the IPVS, IPIP and arptables modules", "lvsim 模拟 IPVS、IPIP 和 arptables 模块"),
    ("module parameters are not modeled; one module per line", "未模拟模块参数；每行一个模块"),
    ("one `sudo` is enough", "一个 `sudo` 就够了"),
    (
        "route is not modeled: use `ip route add default via 10.0.0.1`",
        "未模拟 route：请用 `ip route add default via 10.0.0.1`",
    ),
    ("the FTP helper is not modeled", "未模拟 FTP helper"),
    ("unloading modules is not modeled", "未模拟卸载模块"),
    ("write each rule as its own `ipvsadm ...` line", "每条规则单独写一行 `ipvsadm ...`"),
    // ── src/cmdline/fault.rs ──
    ("-r (reboot) or -h (power off)", "-r（重启）或 -h（关机）"),
    ("a delayed shutdown is an `at:` entry at that time", "延时关机请写成那个时刻的 `at:` 条目"),
    ("a device name, like eth0", "设备名（如 eth0）"),
    ("a percentage from 0% to 100%, like 10% or 0.5%", "0% 到 100% 的百分比（如 10% 或 0.5%）"),
    ("a unit name, like nginx", "单元名（如 nginx）"),
    ("add, replace, change or del", "add、replace、change 或 del"),
    ("at most four decimals (1 in a million)", "最多四位小数（百万分之一）"),
    ("c (crash), b (reboot) or o (power off)", "c（崩溃）、b（重启）或 o（关机）"),
    ("lvsim knows --no-block and -q", "lvsim 认识 --no-block 和 -q"),
    ("lvsim models netem's loss only", "lvsim 只模拟 netem 的丢包"),
    (
        "lvsim models netem's loss only (no delay, duplicate, reorder)",
        "lvsim 只模拟 netem 的丢包（不模拟延迟、重复、乱序）",
    ),
    ("lvsim models one qdisc: netem's loss", "lvsim 只模拟一种 qdisc：netem 的丢包"),
    (
        "lvsim models stopping and starting a server application and rebooting",
        "lvsim 模拟停止和启动服务器应用以及重启主机",
    ),
    ("lvsim models these three SysRq keys", "lvsim 模拟这三个 SysRq 键"),
    ("lvsim reads no options here but -f", "这里除 -f 外 lvsim 不读任何选项"),
    ("netem sits at the root of the device's egress", "netem 挂在设备出方向的根上（root）"),
    ("stop, start or restart", "stop、start 或 restart"),
    ("stop, start, restart, reboot or poweroff", "stop、start、restart、reboot 或 poweroff"),
    ("write the % sign: `loss 10%`", "写上百分号：`loss 10%`"),
    // ── src/cmdline/ip.rs ──
    ("/32 or no mask", "/32 或不带掩码"),
    (
        "`ip link set DEV arp off` (the noarp fix) is not modeled: use the arp_ignore and arp_announce sysctls or arptables",
        "未模拟 `ip link set DEV arp off`（noarp 修复）：请用 arp_ignore 和 arp_announce 这两个 sysctl 或 arptables",
    ),
    ("`via GATEWAY` or `dev IFNAME`", "`via GATEWAY` 或 `dev IFNAME`"),
    ("`via GATEWAY` or `dev DEVICE`", "`via GATEWAY` 或 `dev DEVICE`"),
    ("a MAC address like 02:00:00:00:00:11", "MAC 地址（如 02:00:00:00:00:11）"),
    ("a broadcast address, + or - after `brd`", "`brd` 后的广播地址、+ 或 -"),
    ("a destination after `to`", "`to` 后的目的地址"),
    ("a destination like 10.0.0.0/24 or default", "目的地址（如 10.0.0.0/24 或 default）"),
    ("a metric after `metric`", "`metric` 后的度量值"),
    ("a netmask must be contiguous ones, like 255.255.255.0", "子网掩码必须是连续的 1，如 255.255.255.0"),
    ("a prefix length from 0 to 32", "0 到 32 的前缀长度"),
    (
        "a route needs a next hop, like `ip route add default via 10.0.0.1`",
        "路由需要下一跳，如 `ip route add default via 10.0.0.1`",
    ),
    ("a scope after `scope`: host, link or global", "`scope` 后的作用域：host、link 或 global"),
    ("a scope: host, link or global", "作用域：host、link 或 global"),
    ("a source address after `src`", "`src` 后的源地址"),
    ("a state: permanent, noarp, reachable or stale", "状态：permanent、noarp、reachable 或 stale"),
    ("a table after `table`", "`table` 后的路由表"),
    ("an IPv4 command", "IPv4 命令"),
    ("an address after `local`", "`local` 后的地址"),
    ("an address after `to`", "`to` 后的地址"),
    ("an address like 10.0.0.100 (or 0/0 for any)", "地址（如 10.0.0.100，0/0 表示任意）"),
    ("an interface name, like `ip link set eth0 up`", "接口名，如 `ip link set eth0 up`"),
    ("an ip object: addr, link, route or neigh", "ip 的对象：addr、link、route 或 neigh"),
    ("dev and an interface name, like `dev eth0`", "dev 和接口名，如 `dev eth0`"),
    ("iproute2 needs the device and the destination", "iproute2 需要设备和目的地址"),
    (
        "iproute2 needs the interface: `ip addr add 10.0.0.100/32 dev lo`",
        "iproute2 需要指定接口：`ip addr add 10.0.0.100/32 dev lo`",
    ),
    ("lladdr and a MAC address, like `lladdr 02:00:00:00:00:11`", "lladdr 和 MAC 地址，如 `lladdr 02:00:00:00:00:11`"),
    (
        "lvsim accepts `arp -s ADDRESS MAC [temp]` to add a static entry; `ip neigh add` is the modern form",
        "lvsim 接受 `arp -s ADDRESS MAC [temp]` 来添加静态表项；`ip neigh add` 是现代写法",
    ),
    (
        "lvsim deletes a route by its destination alone, like `ip route del 10.0.0.0/24`",
        "lvsim 只按目的地址删除路由，如 `ip route del 10.0.0.0/24`",
    ),
    ("lvsim's arptables matches a single address or any (0/0)", "lvsim 的 arptables 只匹配单个地址或任意地址（0/0）"),
    ("policy routing (ip rule) is not modeled", "未模拟策略路由（ip rule）"),
    ("policy routing (other tables) is not modeled", "未模拟策略路由（其他路由表）"),
    ("proxy ARP (pub) is not modeled", "未模拟代理 ARP（pub）"),
    ("separate the bytes with colons: 02:00:00:00:00:11", "字节之间用冒号分隔：02:00:00:00:00:11"),
    ("the main table", "main 路由表"),
    (
        "tunl0 appears after `modprobe ipip`; other tunnels are not modeled",
        "tunl0 在 `modprobe ipip` 之后出现；其他隧道未模拟",
    ),
    // ── src/cmdline/ipvsadm.rs ──
    ("--mcast-interface or --syncid", "--mcast-interface 或 --syncid"),
    ("--set option requires 3 timeout values (0 leaves one unchanged)", "--set 选项需要 3 个超时值（0 表示保持不变）"),
    ("--set takes exactly three timeouts", "--set 恰好接受三个超时值"),
    (
        "--set takes three timeouts in seconds: --set TCP TCPFIN UDP",
        "--set 接受三个以秒计的超时值：--set TCP TCPFIN UDP",
    ),
    ("-C clears the whole table and takes no options", "-C 清空整张表，不接受选项"),
    ("-D needs only the service", "-D 只需要服务"),
    ("-d needs only the service and -r", "-d 只需要服务和 -r"),
    ("-i with --tun-type", "与 --tun-type 同用的 -i"),
    ("-r and a real server address", "-r 和真实服务器地址"),
    ("GUE and GRE tunnels are not modeled; -i uses IPIP", "未模拟 GUE 和 GRE 隧道；-i 使用 IPIP"),
    ("One-Packet Scheduling is only for UDP virtual services", "单包调度（One-Packet Scheduling）只用于 UDP 虚拟服务"),
    (
        "Tunnel options conflict with forward method: --tun-type needs -i",
        "隧道选项与转发方式冲突（Tunnel options conflict with forward method）：--tun-type 需要 -i",
    ),
    ("a UDP (-u) or fwmark (-f) service for -o", "-o 要求 UDP（-u）或 fwmark（-f）服务"),
    ("a command: -A, -E, -D, -C, -a, -e, -d or --set", "命令：-A、-E、-D、-C、-a、-e、-d 或 --set"),
    (
        "a scheduler flag: sh-fallback, sh-port, mh-fallback or mh-port",
        "调度算法标志：sh-fallback、sh-port、mh-fallback 或 mh-port",
    ),
    ("a service port, or -p", "服务端口，或 -p"),
    ("a sync ID from 0 to 255", "0 到 255 的同步 ID"),
    ("a timeout in seconds from 0 to 2678400", "0 到 2678400 秒的超时值"),
    ("a tunnel type: ipip", "隧道类型：ipip"),
    ("a virtual service: -t or -u and host:port, or -f and a mark", "虚拟服务：-t 或 -u 加 主机:端口，或 -f 加标记"),
    ("an interface name", "接口名"),
    ("an interface name of 1 to 15 characters", "1 到 15 个字符的接口名"),
    ("an ipvsadm option", "ipvsadm 选项"),
    ("a service address like 10.0.0.100:80", "服务地址（如 10.0.0.100:80）"),
    ("a firewall mark like 1", "防火墙标记（如 1）"),
    ("a scheduler like rr", "调度算法（如 rr）"),
    ("a real server like 10.0.0.11 or 10.0.0.11:80", "真实服务器（如 10.0.0.11 或 10.0.0.11:80）"),
    ("a weight from 0 to 65535", "0 到 65535 的权重"),
    ("an upper connection threshold", "连接数上限"),
    ("a lower connection threshold", "连接数下限"),
    ("an option", "选项"),
    ("give addresses with -t, -u or -r", "地址要用 -t、-u 或 -r 给出"),
    ("host[:port] like 10.0.0.100:80", "host[:port]（如 10.0.0.100:80）"),
    (
        "ipvsadm reads the command first, like `ipvsadm -A -t 10.0.0.100:80 -s rr`",
        "ipvsadm 先读命令，如 `ipvsadm -A -t 10.0.0.100:80 -s rr`",
    ),
    (
        "ipvsadm takes one command (multiple commands specified)",
        "ipvsadm 只接受一条命令（multiple commands specified）",
    ),
    (
        "lvsim models the daemon's interface and sync ID; --mcast-group, --mcast-port, --mcast-ttl and --sync-maxlen keep their defaults",
        "lvsim 模拟守护进程的接口和同步 ID；--mcast-group、--mcast-port、--mcast-ttl 和 --sync-maxlen 保持默认值",
    ),
    ("lvsim needs numeric ports; service names are not looked up", "lvsim 需要数字端口，不查找服务名"),
    ("master or backup", "master 或 backup"),
    ("no option after -C", "-C 之后没有选项"),
    (
        "port 0 means all ports, and ipvsadm requires such a service to be persistent (Zero port specified for non-persistent service)",
        "端口 0 表示所有端口，ipvsadm 要求这样的服务是持久的（Zero port specified for non-persistent service）",
    ),
    ("scheduler flags like sh-fallback,sh-port", "调度算法标志（如 sh-fallback,sh-port）"),
    (
        "the daemon needs the interface it sends or listens on, like --mcast-interface eth0",
        "守护进程需要它发送或监听的接口，如 --mcast-interface eth0",
    ),
    (
        "the kernel refuses -y above -x (lower threshold is higher than upper threshold, ERANGE); without -x the upper threshold is 0, so give -x too",
        "内核拒绝大于 -x 的 -y（lower threshold is higher than upper threshold，ERANGE）；不给 -x 时上限为 0，所以也要给出 -x",
    ),
    ("three timeouts after --set", "--set 之后的三个超时值"),
    ("three timeouts: --set TCP TCPFIN UDP", "三个超时值：--set TCP TCPFIN UDP"),
    (
        "without -s ipvsadm uses wlc, and it checks -b against the final scheduler",
        "不给 -s 时 ipvsadm 使用 wlc，并按最终的调度算法检查 -b",
    ),
    // ── src/cmdline/keepalived.rs ──
    ("/bin/true (the check succeeds) or /bin/false (it fails)", "/bin/true（检查成功）或 /bin/false（检查失败）"),
    ("32 hexadecimal digits (an MD5 sum)", "32 位十六进制数（MD5 摘要）"),
    ("MASTER or BACKUP", "MASTER 或 BACKUP"),
    ("NAT, DR or TUN", "NAT、DR 或 TUN"),
    ("TCP or UDP", "TCP 或 UDP"),
    ("`dev DEV` or end of line", "`dev DEV` 或行尾"),
    ("`genhash` prints the digest of a page", "`genhash` 会打印页面的摘要"),
    (
        "a checker lvsim models: TCP_CHECK, HTTP_GET or MISC_CHECK",
        "lvsim 模拟的检查器：TCP_CHECK、HTTP_GET 或 MISC_CHECK",
    ),
    ("a keyword", "关键字"),
    ("a name", "名字"),
    (
        "a netmask's ones come first: 255.255.255.0, not 0.255.255.255",
        "子网掩码的 1 在前：255.255.255.0，而不是 0.255.255.255",
    ),
    ("a number of seconds like 3 or 1.5", "秒数（如 3 或 1.5）"),
    ("a number of seconds ≥ 1 like 3 or 1.5", "不小于 1 的秒数（如 3 或 1.5）"),
    ("a path like /index.html", "路径（如 /index.html）"),
    ("a port from 1 to 65535", "1 到 65535 的端口"),
    ("an IPv4 address or fwmark", "IPv4 地址或 fwmark"),
    ("an instance name like VI_1", "实例名（如 VI_1）"),
    ("an interface like eth0", "接口（如 eth0）"),
    ("an interface like eth1", "接口（如 eth1）"),
    ("lvsim does not model SCTP", "lvsim 不模拟 SCTP"),
    (
        "lvsim reads a virtual address's `dev` only (label, scope, brd are not modelled)",
        "lvsim 只读虚拟地址的 `dev`（label、scope、brd 未模拟）",
    ),
    (
        "lvsim runs no scripts: a MISC_CHECK's outcome is named by its path, /bin/true or /usr/bin/true succeed, /bin/false or /usr/bin/false fail",
        "lvsim 不运行脚本：MISC_CHECK 的结果由路径决定，/bin/true 或 /usr/bin/true 成功，/bin/false 或 /usr/bin/false 失败",
    ),
    ("nothing, or on/off", "不写，或 on/off"),
    ("the path of the URL starts with /", "URL 的路径以 / 开头"),
    ("the prefix length is 0 to 32", "前缀长度为 0 到 32"),
    ("the top level", "顶层"),
    ("this `}` closes no block", "这个 `}` 没有闭合任何块"),
    (
        "a block opens after its keyword, like `real_server 10.0.0.11 80 {`",
        "块在关键字之后打开，如 `real_server 10.0.0.11 80 {`",
    ),
    ("url with a `path`", "带 `path` 的 url"),
    ("a `url { path ... }` block", "`url { path ... }` 块"),
    ("write `path /` inside the url block", "在 url 块内写 `path /`"),
    // ── src/cmdline/netfilter.rs ──
    ("--dports and ports like 80,443 after -m multiport", "-m multiport 之后的 --dports 和端口（如 80,443）"),
    (
        "--dports belongs to the multiport match: `-m multiport --dports 80,443`",
        "--dports 属于 multiport 匹配：`-m multiport --dports 80,443`",
    ),
    ("--mangle-ip-s and an address after -j mangle", "-j mangle 之后的 --mangle-ip-s 和地址"),
    ("--set-mark and a mark after -j MARK", "-j MARK 之后的 --set-mark 和标记"),
    ("-A CHAIN or -I CHAIN", "-A CHAIN 或 -I CHAIN"),
    ("-A or -I", "-A 或 -I"),
    ("-j DROP, -j ACCEPT or -j MARK", "-j DROP、-j ACCEPT 或 -j MARK"),
    ("-j DROP, -j ACCEPT or -j mangle --mangle-ip-s ADDRESS", "-j DROP、-j ACCEPT 或 -j mangle --mangle-ip-s ADDRESS"),
    ("-j MARK before a mark option", "标记选项之前的 -j MARK"),
    ("-j mangle before --mangle-ip-s", "--mangle-ip-s 之前的 -j mangle"),
    ("-m multiport before --dports", "--dports 之前的 -m multiport"),
    ("-p tcp or -p udp before a port match", "端口匹配之前的 -p tcp 或 -p udp"),
    ("ARP forwarding (bridges) is not modeled", "未模拟 ARP 转发（网桥）"),
    ("DROP or ACCEPT in the filter table", "filter 表中的 DROP 或 ACCEPT"),
    (
        "MARK is a mangle-table target: `iptables -t mangle -A PREROUTING ... -j MARK --set-mark 1`",
        "MARK 是 mangle 表的目标：`iptables -t mangle -A PREROUTING ... -j MARK --set-mark 1`",
    ),
    (
        "REJECT is not modeled; DROP shows the same loss without the ICMP",
        "未模拟 REJECT；DROP 表现出同样的丢包，只是没有 ICMP",
    ),
    ("a chain", "链"),
    ("a chain: INPUT or OUTPUT", "链：INPUT 或 OUTPUT"),
    ("a chain: INPUT, FORWARD or OUTPUT", "链：INPUT、FORWARD 或 OUTPUT"),
    ("a mangle chain: PREROUTING or OUTPUT", "mangle 链：PREROUTING 或 OUTPUT"),
    ("a mark like 1 or 0x1/0xff", "标记（如 1 或 0x1/0xff）"),
    ("a mark like 1 or 0x1/0xff (0 to 4294967295)", "标记（如 1 或 0x1/0xff，0 到 4294967295）"),
    ("a mark without /mask", "不带 /mask 的标记"),
    ("a match module", "匹配模块"),
    ("a protocol: tcp, udp or icmp", "协议：tcp、udp 或 icmp"),
    ("a table after -t", "-t 后的表名"),
    ("a target: DROP, ACCEPT or MARK", "目标：DROP、ACCEPT 或 MARK"),
    ("a target: DROP, ACCEPT or mangle", "目标：DROP、ACCEPT 或 mangle"),
    ("an address after --mangle-ip-s", "--mangle-ip-s 后的地址"),
    ("an arptables option: -A, -I, -s, -d, -j, --mangle-ip-s", "arptables 选项：-A、-I、-s、-d、-j、--mangle-ip-s"),
    (
        "an iptables option: -t, -A, -I, -p, -s, -d, --sport, --dport, -m multiport --dports, -j",
        "iptables 选项：-t、-A、-I、-p、-s、-d、--sport、--dport、-m multiport --dports、-j",
    ),
    ("arptables has only the filter table", "arptables 只有 filter 表"),
    (
        "arptables knows --mangle-ip-s only after -j mangle: `-j mangle --mangle-ip-s 10.0.0.11`",
        "arptables 只在 -j mangle 之后认识 --mangle-ip-s：`-j mangle --mangle-ip-s 10.0.0.11`",
    ),
    ("filter or mangle", "filter 或 mangle"),
    ("give -A or -I once", "-A 或 -I 只给一次"),
    ("iptables needs `-p tcp` (or udp) to match ports", "iptables 需要 `-p tcp`（或 udp）才能匹配端口"),
    ("lvsim accepts arptables rules added with -A or -I", "lvsim 接受用 -A 或 -I 添加的 arptables 规则"),
    (
        "lvsim models the filter and mangle tables only (no nat, raw)",
        "lvsim 只模拟 filter 表和 mangle 表（没有 nat、raw）",
    ),
    (
        "multiport takes at most 15 ports (too many ports specified)",
        "multiport 最多接受 15 个端口（too many ports specified）",
    ),
    ("negated matches are not modeled", "未模拟取反匹配"),
    (
        "other match modules (state, conntrack, mark...) are not modeled",
        "未模拟其他匹配模块（state、conntrack、mark……）",
    ),
    ("port ranges (a:b) are not modeled; list the ports", "未模拟端口范围（a:b），请逐个列出端口"),
    ("ports like 80,443 (numbers from 0 to 65535)", "端口（如 80,443，0 到 65535 的数）"),
    ("tcp, udp, icmp or multiport", "tcp、udp、icmp 或 multiport"),
    // ── src/cmdline/sysctl.rs ──
    (
        "> and a /proc/sys path, like `> /proc/sys/net/ipv4/ip_forward`",
        "> 和 /proc/sys 路径，如 `> /proc/sys/net/ipv4/ip_forward`",
    ),
    ("KEY=VALUE, like net.ipv4.ip_forward=1", "KEY=VALUE，如 net.ipv4.ip_forward=1"),
    ("a /proc/sys path", "/proc/sys 路径"),
    ("a value, then > and a /proc/sys path", "一个值，然后是 > 和 /proc/sys 路径"),
    ("all, default or an interface name", "all、default 或接口名"),
    ("an integer value", "整数值"),
    (
        "arp_accept: 0 never create entries from unsolicited ARP, 1 create them, 2 only for senders in a subnet of the receiving interface",
        "arp_accept：0 从不根据主动发来的 ARP 创建表项，1 创建，2 只为与接收接口同一子网的发送方创建",
    ),
    (
        "arp_announce: 0 any local address, 1 prefer an address in the target's subnet, 2 always the best address of the outgoing interface (the DR setting)",
        "arp_announce：0 任意本地地址，1 优先选与目标同一子网的地址，2 总是用出接口的最佳地址（DR 的设置）",
    ),
    (
        "arp_ignore: 0 reply for any local address, 1 only if the target is on the receiving interface (the DR setting), 2 also only from the target's subnet, 3 not for scope host addresses, 4-7 reserved, 8 never",
        "arp_ignore：0 为任意本地地址应答，1 仅当目标地址在接收接口上时应答（DR 的设置），2 还要求发送方在目标的子网内，3 不为 scope host 的地址应答，4-7 保留，8 从不应答",
    ),
    (
        "conn_reuse_mode is a bit mask: 1 reschedules a SYN that reuses an old connection, 2 also one in FIN_WAIT for DR",
        "conn_reuse_mode 是位掩码：1 重新调度复用旧连接的 SYN，2 对 DR 也重新调度处于 FIN_WAIT 的连接",
    ),
    ("default or an interface name", "default 或接口名"),
    (
        "lvsim cannot read files: write each setting as `sysctl -w KEY=VALUE`",
        "lvsim 不能读取文件：把每项设置写成 `sysctl -w KEY=VALUE`",
    ),
    ("one setting per line", "每行一项设置"),
    ("put spaces around >", "在 > 两边加空格"),
    (
        "reading sysctls is not configuration: write `sysctl -w KEY=VALUE`",
        "读取 sysctl 不是配置：请写 `sysctl -w KEY=VALUE`",
    ),
    ("rp_filter: 0 off, 1 strict, 2 loose", "rp_filter：0 关闭，1 严格，2 宽松"),
    (
        "the shell reads `1>` as a redirection of stdout and writes nothing: put a space before >",
        "shell 会把 `1>` 读成标准输出的重定向，什么也不写入：在 > 前加空格",
    ),
    (
        "there is no net.ipv4.neigh.all: use net.ipv4.neigh.default or an interface",
        "没有 net.ipv4.neigh.all：请用 net.ipv4.neigh.default 或某个接口",
    ),
    ("write KEY=VALUE with no spaces around =", "写成 KEY=VALUE，= 两边不加空格"),
    // ── src/stack/config.rs ──
    ("a configuration command", "配置命令"),
    ("a device with a netem qdisc", "带 netem qdisc 的设备"),
    ("a gateway inside a directly connected subnet", "直连子网内的网关"),
    ("a route in the table", "表中已有的路由"),
    ("a route not already in the table", "表中尚无的路由"),
    ("an Ethernet device", "以太网设备"),
    ("an IPVS sysctl lvsim simulates", "lvsim 模拟的 IPVS sysctl"),
    ("an MTU between 68 and 65535", "68 到 65535 之间的 MTU"),
    ("an address not yet on the device", "设备上尚无的地址"),
    ("an address on the device", "设备上已有的地址"),
    (
        "conn_reuse_mode, expire_nodest_conn, expire_quiescent_template, pmtu_disc and sloppy_tcp are simulated",
        "模拟了 conn_reuse_mode、expire_nodest_conn、expire_quiescent_template、pmtu_disc 和 sloppy_tcp",
    ),
    ("netem drops frames a link sends; lo and tunnels have no link", "netem 丢弃链路发出的帧；lo 和隧道没有链路"),
    ("use `ip route replace` to change it", "要修改请用 `ip route replace`"),
    ("write it in the scenario's `at:` list, with the time it happens", "把它写进场景的 `at:` 列表，并写明发生的时间"),
    // ── src/cmdline/ipvsadm_list.rs, src/cmdline/ip_show.rs (lvsim ipvsadm, lvsim ip) ──
    (
        "listing commands are not configuration; use `lvsim ipvsadm SCENARIO -Ln` to see the listing",
        "列表命令不是配置；要查看列表请用 `lvsim ipvsadm SCENARIO -Ln`",
    ),
    ("a virtual service VIP[:PORT]", "虚拟服务 VIP[:PORT]"),
    (
        "configures IPVS; here ipvsadm only lists (put configuration in the scenario's `run:` commands)",
        "这是配置 IPVS 的命令；这里的 ipvsadm 只列出（配置请写在场景的 `run:` 命令中）",
    ),
    ("the command first (-L, -l, --list, -S or --save)", "先写命令（-L、-l、--list、-S 或 --save）"),
    ("lvsim has no connection sync daemon", "lvsim 没有连接同步守护进程"),
    (
        "lvsim lists one service by -t or -u; fwmark services show in the full listing (-Ln)",
        "lvsim 按 -t 或 -u 列出单个服务；fwmark 服务显示在完整列表（-Ln）中",
    ),
    ("lvsim models TCP and UDP services on IPv4 only (-t, -u)", "lvsim 只模拟 IPv4 上的 TCP 和 UDP 服务（-t、-u）"),
    ("not a listing", "不是列表命令"),
    ("the first item is a command", "第一项是命令"),
    ("dev NAME or NAME", "dev NAME 或 NAME"),
    (
        "expected an object: addr|a|address, link|l, route|r or neigh|n|neighbour|neighbor, found nothing",
        "应为对象：addr|a|address、link|l、route|r 或 neigh|n|neighbour|neighbor，实际什么都没有",
    ),
    // ── src/sim/time.rs, src/workload/dist.rs (durations and distributions in a scenario) ──
    ("a duration like \"100ms\" (units ns, us, ms, s, m, h)", "时长（如 \"100ms\"，单位 ns、us、ms、s、m、h）"),
    ("a duration that fits in 584 years (2^64 ns)", "不超过 584 年（2^64 ns）的时长"),
    ("a number before the unit", "单位前的数字"),
    ("a number", "数字"),
    ("a value", "值"),
    ("an object", "对象"),
    ("a list", "列表"),
    ("a closing parenthesis", "右括号"),
    ("exp, pareto, lognormal or uniform", "exp、pareto、lognormal 或 uniform"),
    ("positive parameters", "正数参数"),
    // ── Rust's parse errors, inside clap's errors for a bad number (`--seed abc`) ──
    ("invalid digit found in string", "字符串中有无效的数字"),
    ("cannot parse integer from empty string", "不能从空字符串解析整数"),
    ("number too large to fit in target type", "数值太大，超出了类型的范围"),
    ("number too small to fit in target type", "数值太小，超出了类型的范围"),
    ("invalid float literal", "不是合法的浮点数"),
    ("provided string was not `true` or `false`", "给出的字符串不是 `true` 或 `false`"),
    // ── src/scenario ──
    ("a valid scenario", "合法的场景"),
    ("a valid sweep file", "合法的扫描文件"),
    ("see scenarios/dr.ron for a complete example of every field", "每个字段的完整示例见 scenarios/dr.ron"),
    (
        "see docs/batch.md and scenarios/sweeps/bottleneck.ron for every field",
        "所有字段见 docs/batch.zh.md 和 scenarios/sweeps/bottleneck.ron",
    ),
    ("Ethernet's usual MTU is 1500", "以太网通常的 MTU 是 1500"),
    ("`users` with an arrival rate or UDP", "与到达速率或 UDP 同用的 `users`"),
    ("a CPU time per packet like \"5us\" (more than 0)", "每个报文的 CPU 时间（如 \"5us\"，大于 0）"),
    ("a bandwidth like \"1Gbit\" or \"100Mbit\"", "带宽（如 \"1Gbit\" 或 \"100Mbit\"）"),
    ("a boot time like \"10s\" (more than 0)", "启动时间（如 \"10s\"，大于 0）"),
    (
        "a closed-loop TCP client: `users` (and `think`) without `every` or `rate`",
        "闭环 TCP 客户端：`users`（和 `think`），不带 `every` 或 `rate`",
    ),
    (
        "a constant (\"500\", \"2ms\") or exp(MEAN), pareto(MIN, ALPHA), lognormal(MEDIAN, SIGMA), uniform(A, B)",
        "常数（\"500\"、\"2ms\"）或 exp(MEAN)、pareto(MIN, ALPHA)、lognormal(MEDIAN, SIGMA)、uniform(A, B)",
    ),
    ("a duration like \"2s\"", "时长（如 \"2s\"）"),
    ("a keepalived.conf next to the scenario", "场景文件旁边的 keepalived.conf"),
    ("a latency like \"10us\"", "时延（如 \"10us\"）"),
    ("a start time like \"10ms\"", "开始时间（如 \"10ms\"）"),
    ("a time like \"2s\"", "时间（如 \"2s\"）"),
    ("a unique host name", "不重复的主机名"),
    ("a unique segment name", "不重复的网段名"),
    ("an Ethernet interface name such as eth0", "以太网接口名（如 eth0）"),
    ("an MTU of at least 68 (the IPv4 minimum, ETH_MIN_MTU)", "至少为 68 的 MTU（IPv4 的最小值，ETH_MIN_MTU）"),
    ("an address no other host's interface has", "其他主机的接口都没有的地址"),
    ("an address:port like \"10.0.0.100:80\"", "地址:端口（如 \"10.0.0.100:80\"）"),
    (
        "an interface name the kernel accepts: 1 to 15 characters, no '/', ':' or spaces",
        "内核接受的接口名：1 到 15 个字符，不含 '/'、':' 或空格",
    ),
    ("an interface of this host", "本主机的接口"),
    (
        "an interval > 0, or a `count` (connections 0 s apart never end)",
        "大于 0 的间隔，或 `count`（间隔 0 秒的连接永远发不完）",
    ),
    ("an interval like \"100ms\"", "间隔（如 \"100ms\"）"),
    ("both or a bad rate", "两者都有，或速率有误"),
    (
        "each user is one connection at a time; for more load use `rate`",
        "每个用户同一时刻只有一个连接；要更大的负载请用 `rate`",
    ),
    (
        "either `every` (fixed gaps) or `rate` (Poisson, per second > 0), not both",
        "`every`（固定间隔）或 `rate`（泊松，每秒大于 0），二者选一",
    ),
    ("every: \"1ms\", or count: 10 for ten at once", "every: \"1ms\"，或 count: 10 表示一次十个"),
    ("gaps below 1 ns cannot be simulated (time is integer nanoseconds)", "无法模拟小于 1 ns 的间隔（时间是整数纳秒）"),
    ("leave `cpu` out for a host with infinite capacity", "不写 `cpu` 表示主机处理能力无限"),
    ("lo exists on every host and tunl0 is made by `modprobe ipip`", "每台主机都有 lo，tunl0 由 `modprobe ipip` 创建"),
    ("one server per host, protocol and port", "每台主机的每个协议和端口只能有一个服务器"),
    ("open loop: `rate`/`every`; closed loop: `users` and `think`", "开环：`rate`/`every`；闭环：`users` 和 `think`"),
    ("such as eth0, eth1, ens3", "如 eth0、eth1、ens3"),
    ("the name of a Server application on this host", "本主机上某个 Server 应用的名字"),
    ("the name of a host", "主机名"),
    ("the name of a segment", "网段名"),
    (
        "the path is relative to the scenario file; or write the configuration inline with Text(\"...\")",
        "路径相对于场景文件；也可以用 Text(\"...\") 直接写出配置",
    ),
    (
        "two hosts answering ARP for one address is an IP conflict; put a shared VIP on lo (DR) or tunl0 (TUN) of the real servers",
        "两台主机为同一地址应答 ARP 就是 IP 冲突；共享的 VIP 应配在真实服务器的 lo（DR）或 tunl0（TUN）上",
    ),
    (
        "`Saw(text: ...)` matched the wording of a sentence and is gone; write Saw(host: \"director\", filter: \"why == ipvs.schedule && why.sched == rr\"): `why == KEY` and `why.FIELD == VALUE` (see docs/tui.md, Filters)",
        "`Saw(text: ...)` 按句子的措辞匹配，已经取消；请写 Saw(host: \"director\", filter: \"why == ipvs.schedule && why.sched == rr\")：`why == KEY` 和 `why.FIELD == VALUE`（见 docs/tui.zh.md 的过滤一节）",
    ),
    ("`filter:` in Saw", "Saw 中的 `filter:`"),
    ("a `filter:` on the trace's typed reasons", "针对 trace 的类型化原因的 `filter:`"),
    ("a drop reason", "丢包原因"),
    ("a trace filter", "trace 过滤表达式"),
    (
        "for example: Saw(host: \"director\", filter: \"why == ipvs.schedule\")",
        "例如 Saw(host: \"director\", filter: \"why == ipvs.schedule\")",
    ),
    ("the host name of a client application", "客户端应用所在的主机名"),
    // ── src/trace/filter.rs ──
    ("`&&`, `||` or the end", "`&&`、`||` 或结尾"),
    ("`==`, `!=` or `contains` after `why`", "`why` 之后的 `==`、`!=` 或 `contains`"),
    ("a closing `\"`", "闭合的 `\"`"),
    ("a field name", "字段名"),
    ("a field of a reason (why.FIELD)", "原因的字段（why.FIELD）"),
    ("a field, protocol, `host`, `hook`, an action or \"text\"", "字段、协议、`host`、`hook`、动作或 \"文本\""),
    ("a reason key", "原因键"),
    ("an operator", "运算符"),
    ("deeper nesting", "更深的嵌套"),
    ("for example: ip.dst == 10.0.0.100 && hook == INPUT", "例如 ip.dst == 10.0.0.100 && hook == INPUT"),
    ("for example: why == ipvs.schedule", "例如 why == ipvs.schedule"),
    ("join tests with && or ||", "用 && 或 || 连接各项测试"),
    ("quote text as \"some words\"", "文本要加引号，如 \"some words\""),
    ("reason keys are names, not numbers", "原因键是名字，不是数字"),
    ("the end of the filter", "过滤表达式的结尾"),
    ("write `==`", "请写 `==`"),
    ("write the test without the extra parentheses", "去掉多余的括号再写这项测试"),
    // ── src/batch/sweep.rs ──
    ("a `base` scenario, or a `Mode` parameter naming scenarios", "`base` 场景，或指定场景的 `Mode` 参数"),
    ("a bin like \"100ms\"", "时间区间（如 \"100ms\"）"),
    ("a duration like \"10s\"", "时长（如 \"10s\"）"),
    ("a scheduler name", "调度算法名"),
    ("add base: \"dr\" (an embedded scenario name or a path)", "加上 base: \"dr\"（内置场景名或路径）"),
    ("an embedded scenario or a scenario file", "内置场景或场景文件"),
    ("an empty list", "空列表"),
    ("at least one parameter to vary", "至少一个要变化的参数"),
    ("at least one value", "至少一个取值"),
    ("counts above 0", "大于 0 的个数"),
    ("delays from 0.000001 to 86400 seconds", "0.000001 到 86400 秒的时延"),
    ("each parameter once", "每个参数只出现一次"),
    (
        "parameters: Mode([(\"nat\", \"scenario\")]), Rate([1000]), Users([10]), Scheduler([\"rr\"]), Servers([2]), Weights([\"3,2,1\"]), Persistence([300]), DelayLoop([1, 2]), Retry([0, 1])",
        "参数：Mode([(\"nat\", \"scenario\")])、Rate([1000])、Users([10])、Scheduler([\"rr\"])、Servers([2])、Weights([\"3,2,1\"])、Persistence([300])、DelayLoop([1, 2])、Retry([0, 1])",
    ),
    ("rates above 0 (per second)", "大于 0 的速率（每秒）"),
    ("weights like \"3,2,1\"", "权重（如 \"3,2,1\"）"),
    // ── src/exercise ──
    ("a percentage from 0 to 100", "0 到 100 的百分数"),
    ("a scheduling question needs a few dozen connections", "调度类问题需要几十个连接"),
    ("a server name rsN", "服务器名 rsN"),
    ("a weight", "权重"),
    ("a client host", "客户端主机"),
    ("a host name", "主机名"),
    ("the name of a base scenario", "基础场景的名字"),
    (
        "match the typed reason: why == ipvs.schedule, why.sched == rr (see docs/tui.md)",
        "匹配类型化的原因：why == ipvs.schedule、why.sched == rr（见 docs/tui.zh.md）",
    ),
    ("no host runs an IPVS service in this scenario", "这个场景中没有主机运行 IPVS 服务"),
    ("write percent: \"95\"", "写百分数：\"95\""),
    ("a question key", "问题的键"),
    ("comments start with #", "注释以 # 开头"),
    ("each question answered once", "每个问题只回答一次"),
    (
        "write a program name (`arptables`), `sysctl KEY` or a whole command",
        "写程序名（`arptables`）、`sysctl KEY` 或完整的命令",
    ),
    ("64 hexadecimal digits", "64 位十六进制数"),
    ("a line `key = ...`", "一行 `key = ...`"),
    ("a time such as 2026-12-20 18:00 +08:00", "时间（如 2026-12-20 18:00 +08:00）"),
    ("date, 24-hour time and the time zone's offset from UTC", "日期、24 小时制时间和时区相对 UTC 的偏移"),
    ("key or deadline", "key 或 deadline"),
    ("make a key with: lvsim exercise key new --out FILE", "用以下命令生成密钥：lvsim exercise key new --out FILE"),
    ("make one with: lvsim exercise key new --out FILE", "用以下命令生成一个：lvsim exercise key new --out FILE"),
    ("a fix: Fix(...) section for a Fix exercise", "Fix 练习要有 fix: Fix(...) 一节"),
    (
        "a key of letters, digits, '_' or '-' other than student/exercise/variant/deadline",
        "由字母、数字、'_' 或 '-' 组成、且不是 student/exercise/variant/deadline 的键",
    ),
    ("a mistake with exactly one of answer: or computed:", "恰好带 answer: 或 computed: 之一的错误项"),
    ("a placeholder naming a variable", "指明变量的占位符"),
    ("a question key used once", "只用一次的问题键"),
    ("a scenario: Base(\"dr\") (or Embedded/Inline)", "场景：Base(\"dr\")（或 Embedded/Inline）"),
    (
        "an edit replaces every occurrence of `from`; copy it from the base scenario",
        "一处修改会替换 `from` 的每次出现；请从基础场景中复制它",
    ),
    ("an existing base or embedded scenario", "已有的基础场景或内置场景"),
    ("at least one question in questions: [...]", "questions: [...] 中至少一个问题"),
    ("both or neither", "两者都有或都没有"),
    ("text that occurs in the scenario", "场景中出现的文本"),
    // ── src/import ──
    ("a virtual_server block", "一个 virtual_server 块"),
    ("lvsim import needs a service to build the scenario around", "lvsim import 需要至少一个虚拟服务来构建场景"),
    (
        "each line is one ipvsadm rule as `ipvsadm -S -n` prints it (numeric: -n)",
        "每行一条 ipvsadm 规则，格式与 `ipvsadm -S -n` 的输出相同（数字形式：-n）",
    ),
    // ── src/ipvs/script.rs (lvsim sched --script) ──
    ("a firewall mark from 1 to 4294967295", "1 到 4294967295 的防火墙标记"),
    ("a time under 18446744073 s (584 years)", "小于 18446744073 秒（584 年）的时间"),
    ("sh-fallback, sh-port, mh-fallback or mh-port", "sh-fallback、sh-port、mh-fallback 或 mh-port"),
    ("not simulated yet: lblc/lblcr use the default 24 h", "尚未模拟：lblc/lblcr 使用默认的 24 小时"),
    ("only the twos scheduler uses random values", "只有 twos 调度算法使用随机值"),
    // ── found by reading whole files (see PHRASE_FILES in the tests) ──
    ("a loss percentage, like 10%", "丢包百分比（如 10%）"),
    (
        "a unit: the `name` of a Server application on this host, like nginx",
        "单元：本主机上某个 Server 应用的 `name`，如 nginx",
    ),
    ("Linux interface names have at most 15 characters (IFNAMSIZ)", "Linux 接口名最多 15 个字符（IFNAMSIZ）"),
    ("`.` and `..` are not interface names", "`.` 和 `..` 不是接口名"),
    ("a MAC address after `lladdr`", "`lladdr` 后的 MAC 地址"),
    ("a gateway address after `via inet`", "`via inet` 后的网关地址"),
    ("a gateway address after `via`", "`via` 后的网关地址"),
    ("a label after `label`, like eth0:0", "`label` 后的标签（如 eth0:0）"),
    ("a metric from 0 to 4294967295", "0 到 4294967295 的度量值"),
    ("a protocol after `proto`, like static", "`proto` 后的协议（如 static）"),
    ("an MTU after `mtu lock`", "`mtu lock` 后的 MTU"),
    ("an MTU after `mtu`", "`mtu` 后的 MTU"),
    ("an MTU from 68 to 65536", "68 到 65536 的 MTU"),
    ("an address after -s", "-s 后的地址"),
    ("an address after -d", "-d 后的地址"),
    ("an interface name cannot be empty", "接口名不能为空"),
    ("interface names use letters, digits, `_`, `-` and `.`", "接口名由字母、数字、`_`、`-` 和 `.` 组成"),
    (
        "-R reads rules from stdin: write each rule as its own `ipvsadm` line",
        "-R 从标准输入读取规则：把每条规则写成单独一行 `ipvsadm`",
    ),
    ("-t, -u or -f and a service", "-t、-u 或 -f 加服务"),
    ("a lower threshold from 0 to 2147483647", "0 到 2147483647 的连接数下限"),
    ("an upper threshold from 0 to 2147483647", "0 到 2147483647 的连接数上限"),
    ("a persistence timeout in seconds from 1 to 2678400", "1 到 2678400 秒的持久超时"),
    ("an IPv4 service", "IPv4 服务"),
    ("an option lvsim models", "lvsim 模拟的选项"),
    ("an option of a configuration command", "配置命令的选项"),
    (
        "choose one of -g (direct routing, the default), -i (tunnelling) and -m (NAT)",
        "在 -g（直接路由，默认）、-i（隧道）和 -m（NAT）中选一个",
    ),
    ("each ipvsadm command acts on one service", "每条 ipvsadm 命令只作用于一个服务"),
    ("ipvsadm rejects a repeated option", "ipvsadm 拒绝重复的选项"),
    (
        "lvsim simulates TCP, UDP and firewall-mark services (-t, -u, -f); SCTP is not modeled",
        "lvsim 模拟 TCP、UDP 和防火墙标记服务（-t、-u、-f）；未模拟 SCTP",
    ),
    ("no options", "没有选项"),
    ("one forwarding method", "一种转发方式"),
    ("one virtual service", "一个虚拟服务"),
    ("persistence engines (--pe sip) are not modeled", "未模拟持久引擎（--pe sip）"),
    ("the connection sync daemon is not modeled", "未模拟连接同步守护进程"),
    (
        "`;`, `&&` and `|` are not supported: put each command on its own line",
        "不支持 `;`、`&&` 和 `|`：每条命令单独写一行",
    ),
    ("a literal value", "字面值"),
    ("a plain word", "普通的词"),
    (
        "backslash escapes and line continuations are not supported: one command per line",
        "不支持反斜杠转义和续行：每行一条命令",
    ),
    ("command substitution is not supported: write the value itself", "不支持命令替换：直接写出值"),
    ("input redirection is not supported", "不支持输入重定向"),
    ("shell variables like $VIP are not expanded: write the value itself", "不展开 $VIP 这样的 shell 变量：直接写出值"),
    ("a port from 0 to 65535", "0 到 65535 的端口"),
    ("a port number", "端口号"),
    ("a rule number from 1", "从 1 开始的规则编号"),
    ("an address or network after -d", "-d 后的地址或网络"),
    ("an address or network after -s", "-s 后的地址或网络"),
    ("ports like 80,443 after --dports", "--dports 后的端口（如 80,443）"),
    (
        "a sysctl lvsim models (net.ipv4.ip_forward, net.ipv4.conf.*, net.ipv4.vs.*, net.ipv4.neigh.*)",
        "lvsim 模拟的 sysctl（net.ipv4.ip_forward、net.ipv4.conf.*、net.ipv4.vs.*、net.ipv4.neigh.*）",
    ),
    (
        "a value to write, like `echo 1 > /proc/sys/net/ipv4/ip_forward`",
        "要写入的值，如 `echo 1 > /proc/sys/net/ipv4/ip_forward`",
    ),
    (
        "lvsim models net.ipv4.ip_forward, net.ipv4.conf.{all,default,DEV}.*, net.ipv4.vs.* and net.ipv4.neigh.{default,DEV}.*",
        "lvsim 模拟 net.ipv4.ip_forward、net.ipv4.conf.{all,default,DEV}.*、net.ipv4.vs.* 和 net.ipv4.neigh.{default,DEV}.*",
    ),
    (
        "see docs/exercises/teacher.md for every field, and exercises/*.ron for examples",
        "所有字段见 docs/exercises/teacher.md，示例见 exercises/*.ron",
    ),
    ("a number of requests per connection", "每个连接的请求数"),
    ("a request size in bytes", "以字节计的请求大小"),
    ("a response size in bytes", "以字节计的响应大小"),
    ("a service time", "服务时间"),
    ("a think time", "思考时间"),
    ("this struct", "该结构体"),
    ("an address in a connected subnet", "直连子网中的地址"),
    ("an existing device", "已有的设备"),
    ("an ipvsadm command the kernel accepts", "内核接受的 ipvsadm 命令"),
    ("name the device: `ip neigh add ADDR lladdr MAC dev eth0`", "写明设备：`ip neigh add ADDR lladdr MAC dev eth0`"),
    (
        "tunl0 appears when the ipip module is loaded: run `modprobe ipip` first",
        "加载 ipip 模块后才有 tunl0：先运行 `modprobe ipip`",
    ),
    ("a scenario with an `ipvsadm -A` service", "带 `ipvsadm -A` 服务的场景"),
    ("a scenario with closed-loop clients (`users`)", "带闭环客户端（`users`）的场景"),
    ("a scenario with open-loop clients (`rate` or `every`)", "带开环客户端（`rate` 或 `every`）的场景"),
    ("try --threads 1", "试试 --threads 1"),
    // serde_json's own (src/ipvs/script.rs reads the script with it).
    ("expected value", "应为一个值"),
    ("expected `,` or `}`", "应为 `,` 或 `}`"),
    ("expected `,` or `]`", "应为 `,` 或 `]`"),
    ("expected `:`", "应为 `:`"),
    ("trailing characters", "结尾有多余的字符"),
    ("trailing comma", "多余的逗号"),
    ("key must be a string", "键必须是字符串"),
    ("invalid IPv4 address syntax", "IPv4 地址的写法无效"),
    ("variant identifier", "变体名"),
    ("IPv4 address", "IPv4 地址"),
    ("EOF while parsing a value", "解析值时输入已结束"),
    // ipvsadm's refusals (the kernel's errno text): the Chinese, then the tool's words.
    ("Invalid argument", "参数无效（Invalid argument）"),
    ("No such service", "没有这个服务（No such service）"),
    ("Service already exists", "服务已存在（Service already exists）"),
    ("Destination already exists", "真实服务器已存在（Destination already exists）"),
    ("No such destination", "没有这个真实服务器（No such destination）"),
    ("Sync daemon is already running", "同步守护进程已在运行（Sync daemon is already running）"),
    ("No daemon is running", "没有运行中的守护进程（No daemon is running）"),
    // ── ron, when a scenario file does not parse (its messages, as ron writes them) ──
    // "Expected …" is what was found there: something else, where … belongs.
    ("Unexpected end of RON", "RON 意外结束"),
    ("Expected opening `[`", "其他内容（此处应为开括号 `[`）"),
    ("Expected closing `]`", "其他内容（此处应为闭括号 `]`）"),
    ("Expected opening `(`", "其他内容（此处应为开括号 `(`）"),
    ("Expected closing `)`", "其他内容（此处应为闭括号 `)`）"),
    ("Expected opening `{`", "其他内容（此处应为开括号 `{`）"),
    ("Expected closing `}`", "其他内容（此处应为闭括号 `}`）"),
    ("Expected boolean", "其他内容（此处应为布尔值）"),
    ("Expected comma", "其他内容（此处应为逗号）"),
    ("Expected colon", "其他内容（此处应为冒号）"),
    ("Expected char", "其他内容（此处应为字符）"),
    ("Expected float", "其他内容（此处应为浮点数）"),
    ("Expected integer", "其他内容（此处应为整数）"),
    ("Expected option", "其他内容（此处应为 Some(...) 或 None）"),
    ("Expected unit", "其他内容（此处应为 ()）"),
    ("Expected string", "其他内容（此处应为字符串）"),
    ("Expected end of string", "其他内容（此处应为字符串结尾）"),
    ("Expected identifier", "其他内容（此处应为标识符）"),
    ("Integer is out of bounds", "整数超出范围"),
    ("Unexpected underscore in float", "浮点数中出现了意外的下划线"),
    ("Unexpected leading underscore in a number", "数字开头出现了意外的下划线"),
    ("Unclosed block comment", "块注释没有闭合"),
    ("Invalid escape", "无效的转义"),
    ("Unknown escape character", "未知的转义字符"),
    ("Missing { in Unicode escape", "Unicode 转义中缺少 {"),
    ("No } at the end of Unicode escape", "Unicode 转义的结尾没有 }"),
    ("Non-hex digit found", "出现了非十六进制数字"),
    ("Non-whitespace trailing characters", "结尾有多余的非空白字符"),
    ("there are no variants", "没有任何变体"),
    ("there are no fields", "没有任何字段"),
    // serde's names of what a field holds, inside ron's "Expected X but found Y".
    ("a string", "字符串"),
    ("a sequence", "列表"),
    ("a map", "映射"),
    ("a unit value", "单元值 ()"),
    ("an optional value", "Option 值"),
    ("a boolean", "布尔值"),
    ("an enum", "枚举"),
    ("a string or (en: \"...\", zh: \"...\")", "字符串或 (en: \"...\", zh: \"...\")"),
];

/// Phrases with parameters: (English with `{}` holes, Chinese template). Tried in order:
/// put a narrower pattern before a wider one that also matches its phrases.
pub const PATTERNS: &[(&str, &str)] = &[
    // ── frames inside phrases: an error quoted in a hint, a list of names ──
    ("column {}: expected {}, found {} (hint: {})", "第 {} 列：应为 {}，实际为 {}（提示：{}）"),
    ("column {}: expected {}, found {}", "第 {} 列：应为 {}，实际为 {}"),
    ("line {}, column {}: {}", "第 {} 行第 {} 列：{}"),
    ("line {}, column {}", "第 {} 行第 {} 列"),
    (
        "did you mean `why.{}`? Each reason's fields are in docs/trace.md",
        "是否想写 `why.{}`？每种原因的字段见 docs/trace.zh.md",
    ),
    ("did you mean {}?", "是否想写 {}？"),
    ("a field of {}: {}", "{} 的字段之一：{,}"),
    ("a keyword of {}: {}", "{} 中的关键字之一：{,}"),
    ("one of: {}", "以下之一：{,}"),
    ("one of the varied parameters ({}) for `{}`", "`{1}` 要用的变化参数之一（{0,}）"),
    ("one of {}", "以下之一：{,}"),
    ("an option {} accepts: {}", "{} 接受的选项：{,}"),
    ("a scheduler: {}", "调度算法：{,}"),
    ("hosts: {}", "主机：{,}"),
    ("clients: {}", "客户端：{,}"),
    ("reasons: {}", "原因：{,}"),
    ("bases: {}", "基础场景：{,}"),
    ("keys of this exercise: {}", "本练习的键：{,}"),
    ("variables: {} (add it to vars: to define it)", "变量：{,}（要定义它，请加到 vars: 中）"),
    ("segments are declared in `segments:`: {}", "网段在 `segments:` 中声明：{,}"),
    (
        "the servers of {} are named: {} (a Server's `name`, default PROTO-PORT)",
        "{} 的服务器名为：{,}（Server 的 `name`，默认为 PROTO-PORT）",
    ),
    ("{} has: {}", "{} 有：{,}"),
    // ── src/cmdline ──
    ("`{}` at most once", "`{}` 最多一次"),
    ("`{}` was already given", "`{}` 已经给出过"),
    ("a closing {} for this quote", "与这个引号配对的 {}"),
    ("`{}` is an iproute2 option lvsim does not model", "`{}` 是 lvsim 未模拟的 iproute2 选项"),
    ("`{}` is not modeled by lvsim's iptables", "lvsim 的 iptables 未模拟 `{}`"),
    (
        "`{}` is not modeled: lvsim's arptables matches on -s and -d only",
        "未模拟 `{}`：lvsim 的 arptables 只按 -s 和 -d 匹配",
    ),
    (
        "`{}` routes are not modeled; lvsim models unicast routes (local addresses come from `ip addr add`)",
        "未模拟 `{}` 路由；lvsim 模拟单播路由（本地地址来自 `ip addr add`）",
    ),
    ("`ip {}` only shows state; lvsim shows it in its own views", "`ip {}` 只显示状态；lvsim 在它自己的视图中显示"),
    ("`ip {}` is not modeled", "未模拟 `ip {}`"),
    ("`{}`, which acts on a running machine", "`{}`，它作用于正在运行的机器"),
    ("`{}` is not modeled", "未模拟 `{}`"),
    ("a label that is {} or starts with {}:", "等于 {} 或以 {}: 开头的标签"),
    ("a network address with the host bits zero for /{}", "/{} 下主机位全为零的网络地址"),
    (
        "iproute2 requires the label to match the device, like {}:0 (at most 15 characters)",
        "iproute2 要求标签与设备相符，如 {}:0（最多 15 个字符）",
    ),
    ("the ip option {} is not modeled; only -4 is accepted", "未模拟 ip 选项 {}；只接受 -4"),
    (
        "the kernel refuses \"Invalid prefix for given prefix length\": did you mean {}?",
        "内核会拒绝（\"Invalid prefix for given prefix length\"）：是否想写 {}？",
    ),
    ("{} belongs to a real server: set it with -a or -e", "{} 属于真实服务器：用 -a 或 -e 设置"),
    ("{} belongs to the virtual service: set it with -A or -E", "{} 属于虚拟服务：用 -A 或 -E 设置"),
    (
        "{} has no meaning for {}: flag-1 is sh-fallback/mh-fallback and flag-2 is sh-port/mh-port with sh/mh; no scheduler uses the others, so lvsim does not store them",
        "{} 对 {} 没有意义：配合 sh/mh 时 flag-1 即 sh-fallback/mh-fallback，flag-2 即 sh-port/mh-port；其他标志没有调度算法使用，所以 lvsim 不保存它们",
    ),
    ("{} needs the real server, like `-r 10.0.0.11`", "{} 需要真实服务器，如 `-r 10.0.0.11`"),
    ("{} needs the service it acts on, like `-t 10.0.0.100:80`", "{} 需要它所作用的服务，如 `-t 10.0.0.100:80`"),
    (
        "a bare number is not an address: write the IP and the port, like 10.0.0.100:{}",
        "单独一个数不是地址：请写 IP 和端口，如 10.0.0.100:{}",
    ),
    ("a flag the {} scheduler accepts", "{} 调度算法接受的标志"),
    ("a lower threshold of at most {} (the -x value)", "不大于 {} 的下限（-x 的值）"),
    ("give the service with -t or -u, like -t {}", "用 -t 或 -u 给出服务，如 -t {}"),
    ("incompatible scheduler flag: {} works only with -s {}; {}", "调度算法标志不兼容：{} 只能与 -s {} 同用；{}"),
    (
        "ipvsadm would read {} as the address 0.0.0.{}: write the mask dotted",
        "ipvsadm 会把 {} 读成地址 0.0.0.{}：请用点分形式写掩码",
    ),
    ("lvsim needs numeric ports: {} is {}", "lvsim 需要数字端口：{} 是 {}"),
    ("no value after {}", "{} 后没有值"),
    ("plain `ipvsadm` lists the table; {}", "单独的 `ipvsadm` 会列出表；{}"),
    ("the scheduler here is {}", "这里的调度算法是 {}"),
    ("{} is a keepalived checker lvsim does not model", "{} 是 lvsim 未模拟的 keepalived 检查器"),
    ("`{}` takes 1 value", "`{}` 只接受 1 个值"),
    ("`{}` takes {} values", "`{}` 接受 {} 个值"),
    ("`{}` takes {}", "`{}` 接受{}"),
    ("`{` opening the {} block", "开始 {} 块的 `{`"),
    ("a whole number from {} to {}", "{} 到 {} 的整数"),
    ("keepalived ignores a {} without {}", "keepalived 会忽略没有{1}的{0}"),
    ("keepalived refuses an instance without {}", "keepalived 拒绝没有{}的实例"),
    (
        "lvsim reads these keywords in {}: see docs/keepalived.md",
        "lvsim 读取 {} 中的这些关键字：见 docs/keepalived.zh.md",
    ),
    ("the block opened on line {} is never closed", "第 {} 行打开的块没有闭合"),
    ("vrrp_instance with {}", "带{}的vrrp_instance"),
    ("{} is an option of the MARK target: `-j MARK {} 1`", "{} 是 MARK 目标的选项：`-j MARK {} 1`"),
    ("{} takes a single value", "{} 只接受单个值"),
    (
        "mangle {} is not modeled; IPVS reads marks set at PREROUTING or OUTPUT",
        "未模拟 mangle {}；IPVS 读取在 PREROUTING 或 OUTPUT 设置的标记",
    ),
    (
        "the filter table has no {} chain; marks are set in `-t mangle`",
        "filter 表没有 {} 链；标记在 `-t mangle` 中设置",
    ),
    ("0 or 1 for {}", "{} 的取值（0 或 1）"),
    ("{} is a switch: 0 off, 1 on", "{} 是开关：0 关，1 开"),
    ("a value from {} to {} for {}", "{2} 的取值（{0} 到 {1}）"),
    // ── src/stack/config.rs (what a command did not find; the kernel's words stay) ──
    (
        "\"{}\" (Error: Cannot delete qdisc with handle of zero.)",
        "\"{}\"（Error: Cannot delete qdisc with handle of zero.）",
    ),
    ("via {} (RTNETLINK answers: {})", "via {}（RTNETLINK answers: {=}）"),
    ("{} (RTNETLINK answers: {})", "{}（RTNETLINK answers: {=}）"),
    (
        "add an address in {}'s subnet to an interface first, e.g. `ip addr add <addr>/24 dev eth0`",
        "先给某个接口加上 {} 所在子网的地址，例如 `ip addr add <addr>/24 dev eth0`",
    ),
    // ── src/cmdline/ipvsadm_list.rs, src/cmdline/ip_show.rs (ipvsadm's and ip's own words stay) ──
    ("{} needs a value: expected {}, found the end of the arguments", "{} 需要一个值：应为 {}，实际为参数结尾"),
    (
        "{}: expected show (or list); lvsim only shows state here, changes belong in the scenario's `run:` commands",
        "{}：应为 show（或 list）；lvsim 在这里只显示状态，修改应写在场景的 `run:` 命令中",
    ),
    ("unexpected argument {}: expected {}", "意外的参数 {}：应为 {}"),
    ("unexpected argument {}", "意外的参数 {}"),
    (
        "unknown object {}: expected addr|a|address, link|l, route|r or neigh|n|neighbour|neighbor",
        "未知对象 {}：应为 addr|a|address、link|l、route|r 或 neigh|n|neighbour|neighbor",
    ),
    ("unknown option {}: expected -4, -br or -brief", "未知选项 {}：应为 -4、-br 或 -brief"),
    ("unknown option {}: expected one of {}", "未知选项 {}：应为以下之一：{,}"),
    (
        "illegal virtual server address[:port] specified: expected a numeric IPv4 ADDR[:PORT], found {}",
        "illegal virtual server address[:port] specified：应为数字形式的 IPv4 ADDR[:PORT]，实际为 {}",
    ),
    ("cannot read scenario {}: {}", "无法读取场景 {}：{=}"),
    ("invalid fwmark value `{}' specified", "无效的防火墙标记值 `{=}'（invalid fwmark value specified）"),
    // ── src/workload/dist.rs ──
    ("{} argument(s) to {}", "{1} 的 {0} 个参数"),
    // ── src/scenario ──
    ("Unexpected missing field named `{}` in `{}`", "`{1}` 缺少字段 `{0}`"),
    ("Unexpected missing field named `{}`", "缺少字段 `{}`"),
    ("Unexpected duplicate field named `{}` in `{}`", "`{1}` 中字段 `{0}` 重复"),
    ("Unexpected duplicate field named `{}`", "字段 `{}` 重复"),
    ("Unexpected variant named `{}` in enum `{}`, {}", "枚举 `{1}` 中没有名为 `{0}` 的变体，{2}"),
    ("Unexpected enum variant named `{}`, {}", "没有名为 `{}` 的枚举变体，{}"),
    ("expected either {} or {} instead", "应为 {} 或 {}"),
    ("expected one of {} instead", "应为以下之一：{,}"),
    ("expected {} instead", "应为 {}"),
    ("Expected struct {} but found {}", "应为结构体 {}，实际为 {}"),
    ("Expected opening `(` for struct {}", "结构体 {} 应以 `(` 开始"),
    ("Expected the explicit struct name {}, but none was found", "应写出结构体名 {}，但没有找到"),
    ("Unexpected char {}", "意外的字符 {}"),
    ("Invalid digit {} for base {} integers", "{1} 进制整数中的无效数字 {0}"),
    ("{} instead", "{}"),
    ("the unsigned integer {}", "无符号整数 {}"),
    ("the signed integer {}", "有符号整数 {}"),
    ("the floating point number {}", "浮点数 {}"),
    ("the boolean {}", "布尔值 {}"),
    ("the string {}", "字符串 {}"),
    ("the UTF-8 character {}", "字符 {}"),
    ("struct {}", "结构体 {}"),
    ("tuple struct {}", "元组结构体 {}"),
    ("enum {}", "枚举 {}"),
    ("an array of length {}", "长度为 {} 的数组"),
    ("{} elements", "{} 个元素"),
    ("`{}` given twice", "`{}` 给出了两次"),
    ("\"{}\" in vrrp_instance {}", "vrrp_instance {1} 中的 \"{0}\""),
    ("\"{}\" twice", "\"{}\" 出现两次"),
    ("{} already on {}", "{} 已在 {} 上"),
    ("{} runs no Server application", "{} 没有运行 Server 应用"),
    ("`users` from 1 to {}", "1 到 {} 的 `users`"),
    ("a rate up to {} connections per second", "不超过每秒 {} 个连接的速率"),
    ("a second server on port {}", "{} 端口上的第二个服务器"),
    ("every: \"{}\" without count", "every: \"{}\"，不带 count"),
    ("mtu: {}", "mtu：{}"),
    ("rate: {}", "rate：{}"),
    ("users: {}", "users：{}"),
    // ── src/trace/filter.rs ──
    ("a filter of at most {} words and operators", "最多 {} 个词和运算符的过滤表达式"),
    ("{} of them", "实际有 {} 个"),
    ("`&&`, `||` or the end after the protocol `{}`", "协议 `{}` 之后的 `&&`、`||` 或结尾"),
    ("`==`, `!=` or `contains` after `{}`", "`{}` 之后的 `==`、`!=` 或 `contains`"),
    ("a reason key after `why {}`", "`why {}` 之后的原因键"),
    ("a value after `{}`", "`{}` 之后的值"),
    ("an IPv4 address or subnet after `{}`", "`{}` 之后的 IPv4 地址或子网"),
    ("at most {} nested `(` or `!`", "最多 {} 层嵌套的 `(` 或 `!`"),
    ("compare a field of it, such as {}", "要比较它的某个字段，如 {=}"),
    ("for example: {} or {}", "例如 {=} 或 {=}"),
    ("for example: {}", "例如 {=}"),
    ("the `(` at column {} is not closed", "第 {} 列的 `(` 没有闭合"),
    ("write `{}`", "请写 `{}`"),
    // ── src/batch/sweep.rs ──
    ("scenario {}", "场景 {}"),
    // ── src/exercise ──
    ("the trace filter `{}`: {}", "trace 过滤表达式 `{}`：{}"),
    ("at most {} connections (one client port each)", "最多 {} 个连接（每个占用一个客户端端口）"),
    ("no frame at {} in {} matching {}", "{1} 中 {0} 处没有匹配 {2} 的帧"),
    ("scheduling script: {}", "调度脚本：{}"),
    ("sweep {} has no points of series \"{}\" with a numeric {}", "扫描 {} 中没有系列 \"{}\" 的、{} 为数值的点"),
    ("\"{}\" again", "又一次 \"{}\""),
    ("{} is not a fix exercise", "{} 不是修复类练习"),
    ("{}: a require/forbid entry is not a command pattern:\n{}", "{}：require/forbid 条目不是命令模式：\n{}"),
    ("cannot read the course key {}: {}", "无法读取课程密钥 {}：{}"),
    ("cannot read exercise {}: {}", "无法读取练习 {}：{}"),
    ("exercise {} has no reference solution", "练习 {} 没有参考答案"),
    ("exercise {} has no scenario", "练习 {} 没有场景"),
    ("give an exercise id ({}) or a path to an exercise .ron file", "请给出练习编号（{,}）或练习 .ron 文件的路径"),
    // ── src/ipvs/script.rs ──
    ("IPVS did not take the connection: {}", "IPVS 没有接受这个连接：{}"),
    ("a threshold over ipvsadm's limit of {}", "超过 ipvsadm 上限 {} 的阈值"),
    ("a server index (0..{})", "服务器编号（0..{}）"),
    ("a time ≥ {} (non-decreasing seconds)", "不小于 {} 的时间（秒数不能减小）"),
    ("the index of an earlier connect (0..{})", "前面某次 connect 的编号（0..{}）"),
    ("expected the script's one virtual service {}, found {}", "应为脚本唯一的虚拟服务 {=}，实际为 {=}"),
    ("weight {} is over ipvsadm's limit of {}", "权重 {} 超过 ipvsadm 的上限 {}"),
    // ── found by reading whole files ──
    (
        "{}'s keepalived.conf written inline (Text(...)), not in a file",
        "{} 的 keepalived.conf 直接写在场景里（Text(...)），不在文件中",
    ),
    ("a keepalived.conf with a `{}` line", "含有 `{}` 行的 keepalived.conf"),
    ("at most {} servers (the `ipvsadm -a` commands of {})", "最多 {} 台服务器（{} 的 `ipvsadm -a` 命令数）"),
    ("creating {}: {}", "创建 {} 时出错：{=}"),
    ("writing {}: {}", "写入 {} 时出错：{=}"),
    ("writing into {}: {}", "写入 {} 时出错：{=}"),
    // `lvsim diff` (src/batch/diff.rs): a run directory that cannot be read or parsed.
    (
        "{}: {}\n  help: give a directory written by `lvsim run --out` or its summary.json\n",
        "{}：{=}\n  提示：请给出 `lvsim run --out` 写出的目录或其中的 summary.json\n",
    ),
    (
        "{}:{}:{}: expected a summary.json of `lvsim run`, found {}\n",
        "{}:{}:{}：应为 `lvsim run` 写出的 summary.json，实际为 {}\n",
    ),
    // The front end's own, around the operating system's message (src/cli.rs).
    ("cannot write pcap files in {}: {}", "无法在 {} 中写 pcap 文件：{=}"),
    ("writing pcap: {}", "写 pcap 时出错：{=}"),
    ("cannot create {}: {}", "无法创建 {}：{=}"),
    ("cannot write {}: {}", "无法写入 {}：{=}"),
    (
        "give a path to a sweep .ron file or the name of an embedded sweep ({})",
        "请给出扫描 .ron 文件的路径或内置扫描的名字（{,}）",
    ),
    (
        "give a path to a .ron file or the name of an embedded scenario ({})",
        "请给出 .ron 文件的路径或内置场景的名字（{,}）",
    ),
    (
        "{} is an address label, not an interface: write `dev {} label {}`",
        "{} 是地址标签，不是接口：请写 `dev {} label {}`",
    ),
    ("{} belongs to listings; {}", "{} 属于列表命令；{}"),
    ("{} only once", "{} 只能出现一次"),
    ("{} prints help or the version; it is not configuration", "{} 打印帮助或版本，不是配置"),
    ("unknown scheduler {}", "未知的调度算法 {}"),
    ("{} is a real Linux sysctl, but lvsim does not model it", "{} 是真实的 Linux sysctl，但 lvsim 没有模拟它"),
    ("cannot read the OS random source /dev/urandom: {}", "无法读取操作系统的随机源 /dev/urandom：{=}"),
    ("\"{}\" (Cannot find device)", "\"{}\"（Cannot find device）"),
    (
        "did you mean `{}`? Fields are Wireshark's: ip.src, ip.dst, eth.dst, tcp.flags, arp.opcode...",
        "是否想写 `{}`？字段名与 Wireshark 相同：ip.src、ip.dst、eth.dst、tcp.flags、arp.opcode……",
    ),
    // ── serde_json, when a `sched --script` file does not parse (its messages; the place
    //    it appends, " at line L column C", comes off first) ──
    ("{} at line {} column {}", "{}（第 {} 行第 {} 列）"),
    ("missing field `{}`", "缺少字段 `{}`"),
    ("unknown field `{}`, expected one of {}", "未知字段 `{}`，应为以下之一：{,}"),
    ("unknown field `{}`, expected {}", "未知字段 `{}`，应为 {}"),
    ("unknown variant `{}`, expected one of {}", "未知变体 `{}`，应为以下之一：{,}"),
    ("unknown variant `{}`, expected {}", "未知变体 `{}`，应为 {}"),
    ("invalid type: {}, expected {}", "类型不对：实际为 {}，应为 {}"),
    ("invalid value: {}, expected {}", "取值不对：实际为 {}，应为 {}"),
    ("invalid length {}, expected {}", "长度 {} 不对，应为 {}"),
    ("duplicate field `{}`", "字段 `{}` 重复"),
    ("EOF while parsing {}", "解析{}时输入已结束"),
    ("integer {}", "整数 {}"),
    ("floating point {}", "浮点数 {}"),
    ("string {}", "字符串 {}"),
    ("`{}` or `{}`", "`{}` 或 `{}`"),
    // ── wide patterns last: each matches the phrases of a narrower one above ──
    ("{}: expected {}, found {}", "{}：应为 {}，实际为 {}"),
    ("expected {}, found {} (hint: {})", "应为 {}，实际为 {}（提示：{}）"),
    ("expected {}, found {}", "应为 {}，实际为 {}"),
    ("{}: {}, found {}", "{}：{}，实际为 {}"),
    ("{}, found {}", "{}，实际为 {}"),
    ("\"{}\" or \"{}\"", "\"{}\" 或 \"{}\""),
    ("{} twice", "{} 出现两次"),
    ("{} after {}", "{1} 之后的{0}"),
    ("{} with {}", "带{1}的{0}"),
];

#[cfg(test)]
mod tests;
