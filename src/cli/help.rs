//! Help texts in Chinese. clap's derive holds the English (the doc comments in `main.rs`);
//! [`localize`] puts the Chinese of [`ZH`] in place of every about and every argument's help
//! when the language is zh, and Chinese headings around them. A test checks that [`ZH`] has
//! exactly one entry for each about and each argument of the tree, so a new option without
//! its Chinese fails.

use crate::lang::Lang;
use clap::Command;

/// `(command path, argument id, Chinese)`: the path is the subcommand names joined by
/// blanks (`""` for `lvsim` itself, `"exercise show"`); an empty argument id stands for
/// the command's own about.
pub const ZH: &[(&str, &str, &str)] = &[
    ("", "", "一个确定性的、报文级的 Linux 虚拟服务器（LVS/IPVS）模拟器，为教学而写"),
    (
        "",
        "lang",
        "lvsim 输出给人阅读的内容所用的语言：en 或 zh（不指定时依次看 LC_ALL、LC_MESSAGES、LANG；zh_CN.UTF-8 等以 zh 开头的值为 zh）",
    ),
    ("list", "", "列出内置场景"),
    (
        "import",
        "",
        "把真实的配置变成一个可运行的场景：调度器、真实服务器、一台路由器和若干客户端；推断出的内容写在场景开头的注释里",
    ),
    ("import keepalived", "", "一个 keepalived.conf：以 `keepalived: Text(...)` 嵌入调度器"),
    ("import keepalived", "file", "要读取的 keepalived.conf"),
    ("import keepalived", "out", "把场景写到这个文件，而不是标准输出"),
    ("import ipvsadm-save", "", "`ipvsadm -S -n` 的输出（ipvsadm-save -n）：其各行成为调度器的 `run:` 命令"),
    ("import ipvsadm-save", "file", "要读取的已保存规则"),
    ("import ipvsadm-save", "out", "把场景写到这个文件，而不是标准输出"),
    ("trace", "", "运行一个场景，逐步打印每个报文经过的每一步及其原因"),
    ("trace", "scenario", "内置场景名（见 `lvsim list`）或 .ron 文件路径"),
    ("trace", "json", "每行一个 JSON 对象，字段名与 Wireshark 相同"),
    ("trace", "pcap", "同时为每个二层网段在此目录中写一个 pcap 文件"),
    ("trace", "seed", "主随机种子（默认取场景中的值）"),
    (
        "trace",
        "filter",
        "只打印与此过滤表达式匹配的步骤，写法同 TUI：Wireshark 字段名、host、hook、kind（例如 'ip.dst == 10.0.0.100 && hook == INPUT'、'arp'、'drop'）",
    ),
    (
        "tui",
        "",
        "在终端里单步查看场景：拓扑、每一步的帧字段及与上一跳相比的变化、各 hook 阶段、当时的各张表；可后退、设断点、过滤、运行/暂停。标准输出是终端时，单独运行 `lvsim` 即在默认场景上打开它",
    ),
    ("tui", "scenario", "内置场景名（见 `lvsim list`）或 .ron 文件路径"),
    ("tui", "seed", "主随机种子（默认取场景中的值）"),
    ("tui", "exercise", "改为打开这道练习的场景（见 `lvsim exercise list`）"),
    ("tui", "student", "与 --exercise 一起用：打开哪位学生的变体"),
    ("exercise", "", "由模拟器评分的课程练习：list、show、start、check、grade"),
    ("exercise list", "", "列出练习：编号、类型、知识点、标题"),
    ("exercise show", "", "显示练习的任务和问题（加 --student 则显示该学生的变体；有课程密钥时也显示提示）"),
    ("exercise show", "id", "练习编号（见 `lvsim exercise list`）"),
    ("exercise show", "student", "学生姓名：显示该学生的变体"),
    ("exercise start", "", "写出起始文件：answers.txt（问题写在注释里）或待修复的 scenario.ron"),
    ("exercise start", "id", "练习编号（见 `lvsim exercise list`）"),
    ("exercise start", "student", "学生姓名：它决定变体（地址、权重、顺序）"),
    ("exercise start", "dir", "写到哪里（默认 ./ID）"),
    ("exercise check", "", "给答案评分：`start` 写出的目录、answers.txt 或场景 .ron 文件。完全正确时退出状态才为 0"),
    ("exercise check", "id", "练习编号（见 `lvsim exercise list`）"),
    ("exercise check", "path", "默认 ./ID"),
    ("exercise check", "student", "按这位学生的变体评分（默认取 `start` 时写下的姓名）"),
    ("exercise check", "show_answers", "同时打印标准答案（教师用）"),
    ("exercise grade", "", "给 SUBMISSIONS 下每个学生的子目录（以学生姓名命名）评分：每人一行 CSV"),
    ("exercise grade", "id", "练习编号（见 `lvsim exercise list`）"),
    ("exercise grade", "submissions", "存放全班作业的目录，每个学生一个子目录"),
    ("exercise grade", "csv", "输出 CSV（每个学生一行，便于导入电子表格）；不加则输出便于阅读的表格"),
    (
        "exercise grade",
        "shard",
        "只给全班（按姓名排序）的第 K/N 份评分，并写出 DIR/grade-K-of-N.json 供 `lvsim exercise merge` 合并（见 docs/scale-out.zh.md）",
    ),
    ("exercise grade", "out", "分片写到哪里（与 --shard 一起用）"),
    (
        "exercise merge",
        "",
        "把 `lvsim exercise grade ... --shard K/N --out DIR` 写出的分片合并成 `grade` 对全班打印的列表；拒绝其他班级、其他练习或其他 lvsim 版本的分片，以及缺失或重复的分片",
    ),
    ("exercise merge", "slices", "分片所在的目录"),
    ("exercise merge", "csv", "输出 CSV"),
    ("check", "", "检查场景文件：出错时给出清楚的错误信息，退出状态为 1"),
    ("check", "files", "要检查的场景：内置场景名或 .ron 文件路径"),
    ("verify", "", "运行场景并核对其 `expect:` 列表：学生应当观察到的现象"),
    ("verify", "scenarios", "要核对的场景：内置场景名或 .ron 文件路径"),
    (
        "ipvsadm",
        "",
        "运行场景并打印调度器上的 ipvsadm 列表：默认为 `-Ln` 和 `-Lnc`，或 `--` 之后指定的列表（`-- -Ln --stats`、`-- -S -n`）",
    ),
    ("ipvsadm", "scenario", "内置场景名（见 `lvsim list`）或 .ron 文件路径"),
    ("ipvsadm", "at", "停在这个模拟时刻（例如 \"150ms\"），而不是运行到结束"),
    ("ipvsadm", "seed", "主随机种子（默认取场景中的值）"),
    ("ipvsadm", "host", "有多台主机运行 IPVS 时，列出哪一台调度器"),
    (
        "ipvsadm",
        "args",
        "ipvsadm 的参数：-L/-l/--list 或 -S/--save，然后是 -n、-c、-t|-u VIP:PORT、--stats、--rate、--thresholds、--persistent-conn、--tun-info、--timeout、--exact、--nosort",
    ),
    ("ip", "", "运行场景并打印某台主机的 `ip addr`、`ip route` 或 `ip neigh`"),
    ("ip", "scenario", "内置场景名或 .ron 文件路径"),
    ("ip", "host", "要打印哪台主机的状态"),
    ("ip", "at", "停在这个模拟时刻（例如 \"150ms\"），而不是运行到结束"),
    ("ip", "seed", "主随机种子（默认取场景中的值）"),
    ("ip", "args", "iproute2 的参数：[-br] addr|route|neigh [show] [dev NAME]"),
    (
        "sched",
        "",
        "单独运行调度层：`--script CASE.json` 以 JSON 打印脚本用例的调度结果；`compare` 让同一负载经过多种调度算法",
    ),
    ("sched", "script", "脚本文件（见 docs/sched.zh.md）；`-` 表示从标准输入读取"),
    ("sched compare", "", "让同一负载经过多种调度算法：分布、份额、Jain 公平性指数"),
    ("sched compare", "weights", "各真实服务器的权重，按 `ipvsadm -a` 的顺序"),
    ("sched compare", "clients", "不同客户端地址的个数"),
    ("sched compare", "connections", "连接总数"),
    ("sched compare", "length", "每个连接保持打开，直到之后又到达这么多个连接"),
    ("sched compare", "schedulers", "要比较的调度算法（默认：lvsim 模拟的全部）"),
    ("sched compare", "flags", "调度算法标志（sh-port、sh-fallback、mh-port、mh-fallback）"),
    ("sched compare", "csv", "输出 CSV"),
    ("sched compare", "json", "输出 JSON"),
    (
        "run",
        "",
        "关闭跟踪，把场景运行到结束；在 DIR 中写出 summary.json、CSV 时间序列、按服务器/按主机的表格以及图表（PNG 和 SVG）",
    ),
    ("run", "scenario", "内置场景名（见 `lvsim list`）或 .ron 文件路径"),
    ("run", "out", "输出目录（不存在则创建）"),
    ("run", "seed", "主随机种子（默认取场景中的值）"),
    ("run", "bin", "时间序列的分箱宽度（默认为运行时长的百分之一，例如 \"100ms\"）"),
    (
        "sweep",
        "",
        "在所有 CPU 核上运行参数扫描（内置扫描名或扫描 .ron 文件）；在 DIR 中写出 points.csv 和跨参数点的图表",
    ),
    ("sweep", "sweep", "内置扫描名（见 `lvsim list`）或扫描 .ron 文件路径"),
    ("sweep", "out", "输出目录（不存在则创建）"),
    ("sweep", "threads", "工作线程数（默认 0：所有核）。结果与它无关"),
    (
        "sweep",
        "shard",
        "只运行第 K/N 份（参数点从 total·(K−1)/N 到 total·K/N），并写出 DIR/shard-K-of-N.json 供 `lvsim sweep merge` 合并（见 docs/scale-out.zh.md）",
    ),
    (
        "sweep merge",
        "",
        "把 `lvsim sweep SPEC --shard K/N` 写出的分片（目录或 shard-K-of-N.json 文件）合并成与不分片的扫描逐字节相同的文件。拒绝不同扫描或不同 lvsim 版本的分片，以及缺失或重复的分片",
    ),
    ("sweep merge", "slices", "分片：目录或 shard-K-of-N.json 文件"),
    ("sweep merge", "out", "输出目录（不存在则创建）"),
    (
        "lab",
        "",
        "把场景写成一个 POSIX sh 脚本，在真实 Linux 主机上搭建它（网络命名空间、网桥、使用场景中 MAC 的 veth、照原样执行 run: 中的命令、重放 lvsim 的连接、按时执行 at: 中的命令、抓包和各张表）",
    ),
    ("lab", "scenario", "内置场景名（见 `lvsim list`）或 .ron 文件路径"),
    ("lab", "out", "写出 DIR/lab.sh 和本程序的一份副本（实验用的客户端和服务器），而不是打印脚本"),
    ("lab", "seed", "主随机种子（默认取场景中的值）"),
    (
        "kernel-diff",
        "",
        "在 lvsim 上运行场景，同时在真实内核上（kernel/run.sh：QEMU 中的 Linux 6.1）作为实验运行，逐项比较每个网段的帧、每个连接由谁服务、ARP 缓存、路由和 ipvsadm 表。有任何一项不同时退出状态为 1",
    ),
    ("kernel-diff", "scenarios", "内置场景名或 .ron 路径；加 --sched 时为调度算法名"),
    ("kernel-diff", "all", "测试集中的每个内置场景（连接数超过 50 的负载场景列为跳过，并给出原因）"),
    ("kernel-diff", "arp", "同时运行 ARP 矩阵：arp_ignore 0-8 × arp_announce 0-2 × VIP 配在 lo 或 eth0 上"),
    ("kernel-diff", "sched", "比较调度算法的选择，而不是比较场景"),
    ("kernel-diff", "scripts", "与 --sched 一起用：每种调度算法的脚本数"),
    ("kernel-diff", "seed", "场景的随机种子；加 --sched 时为脚本的种子（默认 1）"),
    ("kernel-diff", "harness", "测试框架目录（默认 ./kernel）"),
    ("kernel-diff", "json", "以 JSON 打印各行"),
    ("kernel-diff", "markdown", "打印 docs/real-lab.md（en）或 docs/real-lab.zh.md（zh）中的一致性表格"),
    (
        "kernel-diff",
        "keep",
        "把每个实验脚本和内核的原始输出保存在 DIR 中（NAME.lab.sh 和 NAME.kernel.txt；加 --sched 时 NAME 为调度算法名）",
    ),
    ("kernel-diff", "replay", "与先前保存的内核输出（DIR/NAME.kernel.txt）比较，而不启动虚拟机"),
    ("agent", "", "实验自带的客户端和服务器（由 `lvsim lab` 生成的脚本在真实 Linux 上运行）"),
    ("agent serve", "", "应答请求：在每个 --tcp 端口（任意地址）上接受 TCP，在每个 --udp 地址上接收 UDP"),
    ("agent serve", "name", "写在每个响应开头的名字（提供服务的主机）"),
    ("agent serve", "tcp", "监听的 TCP 端口（可多次给出）"),
    ("agent serve", "udp", "监听的 UDP 地址和端口（可多次给出）"),
    ("agent serve", "response", "响应大小（字节）"),
    ("agent client", "", "发起计划中的连接（或 UDP 请求），并记录每个由谁服务"),
    ("agent client", "t0", "实验的时间零点，自纪元起的秒数（`lvsim agent now`）"),
    ("agent client", "end", "实验在 t0 之后多少秒结束：届时仍在等待的连接算作失败"),
    ("agent client", "proto", "协议：tcp 或 udp"),
    ("agent client", "to", "目的地址和端口（VIP:PORT）"),
    ("agent client", "request", "请求大小（字节）"),
    ("agent client", "response", "响应大小（字节）"),
    ("agent client", "requests", "每个 TCP 连接中的请求数"),
    ("agent client", "plan", "T:PORT,...（t0 之后的秒数，源端口）"),
    (
        "agent sched",
        "",
        "在本机内核上驱动一个 `lvsim sched --script` 用例：从脚本中的地址和端口发起真实的 TCP 连接，在调度器的命名空间中执行 ipvsadm；按 `lvsim sched --script` 的格式打印从 ipvsadm -Lnc 读出的选择结果",
    ),
    ("agent sched", "script", "脚本文件（`lvsim sched --script` 的用例）"),
    ("agent sched", "director", "调度器所在的网络命名空间（默认：当前命名空间）"),
    ("agent wait", "", "睡眠到 t0 + AT 秒"),
    ("agent wait", "t0", "实验的时间零点，自纪元起的秒数"),
    ("agent wait", "at", "t0 之后的秒数"),
    ("agent now", "", "打印当前时间（加上 PLUS 秒），自纪元起的秒数"),
    ("agent now", "plus", "加上的秒数"),
    ("bench", "", "每秒报文数基准测试（关闭跟踪）"),
    ("bench", "requests", "请求总数（参考数据用 1,000,000）"),
    ("bench", "runs", "重复运行这么多次并报告中位数（在共享机器上墙钟时间会波动，模拟本身不会）"),
    ("bench", "json", "以 JSON 打印报告"),
    ("bench", "tui", "改为测量 TUI：打开场景，以及在 100,000 个事件的轨迹上按键"),
    ("bench", "sweep", "改为扫描基准：8 个瓶颈参数点，每个模拟 SECS 秒（参考数据用 60），先用 1 个线程，再用所有核"),
    (
        "bench",
        "conns",
        "改为测量调度器连接表在有 N 个活动条目时的内存（参考数据用 1,000,000）：峰值 RSS 和每个连接的字节数",
    ),
    (
        "trace",
        "no_summary",
        "不打印文本 trace 末尾的摘要（每台真实服务器处理的连接数、按主机和原因统计的丢弃、ARP 缓存的变化）",
    ),
    ("exercise show", "key", "课程密钥文件（默认取 $LVSIM_COURSE_KEY）：有它才显示提示"),
    ("exercise start", "force", "覆盖已有的初始文件（其中的作业会丢失）"),
    ("exercise start", "key", "课程密钥文件（默认取 $LVSIM_COURSE_KEY）：把该学生加盐后的变体记录下来"),
    ("exercise check", "key", "课程密钥文件（默认取 $LVSIM_COURSE_KEY）：教师视角"),
    ("exercise grade", "key", "课程密钥文件（默认取 $LVSIM_COURSE_KEY）：按密钥重新计算每个学生的变体并核对"),
    ("exercise key", "", "教师的课程密钥：加盐生成学生变体，并保护答案"),
    ("exercise key new", "", "生成一个新的课程密钥（256 位随机数，十六进制），写入文件时权限为 0600，不覆盖已有文件"),
    ("exercise key new", "out", "要创建的密钥文件（默认打印到标准输出）"),
    ("check", "deny_warnings", "警告也让检查失败（退出状态为 1）"),
    ("verify", "all", "验证每个内置场景：每个场景一行摘要；有任何失败则退出状态为 1"),
    ("ip", "exact", "不加 `# 主机` 列，与真实 `ip neigh` 的输出逐字节相同"),
    (
        "run",
        "report",
        "另外写出 DIR/report.html：一个自包含的网页（图表、表格和场景文件），可以用浏览器打开或直接发给学生",
    ),
    (
        "diff",
        "",
        "把两次运行的摘要并排比较（客户端、时延百分位数、每台真实服务器处理的连接数、按原因统计的丢弃），并给出 B − A",
    ),
    ("diff", "run_a", "一个 `lvsim run --out` 输出目录，或其中的 summary.json"),
    ("diff", "run_b", "另一次运行，写法相同"),
];

/// The command tree with its help texts in `lang` (English is the tree as derived).
pub fn localize(cmd: Command, lang: Lang) -> Command {
    match lang {
        Lang::En => cmd,
        Lang::Zh => zh(cmd, ""),
    }
}

fn zh(mut cmd: Command, path: &str) -> Command {
    let text = |id: &str| ZH.iter().find(|(p, a, _)| *p == path && *a == id).map(|(_, _, z)| *z);
    if let Some(about) = text("") {
        cmd = cmd.about(about).long_about(None);
    }
    cmd = cmd
        .help_template("{before-help}{about-with-newline}\n用法：{usage}\n\n{all-args}{after-help}")
        .subcommand_help_heading("命令");
    // clap's own --help and --version, replaced by the same flags with Chinese help.
    cmd = cmd
        .disable_help_flag(true)
        .arg(clap::Arg::new("help").short('h').long("help").action(clap::ArgAction::Help).help("显示帮助"));
    if path.is_empty() {
        cmd = cmd.disable_version_flag(true).arg(
            clap::Arg::new("version").short('V').long("version").action(clap::ArgAction::Version).help("显示版本"),
        );
    }
    let ids: Vec<String> = cmd.get_arguments().map(|a| a.get_id().to_string()).collect();
    for (order, id) in ids.into_iter().enumerate() {
        let heading = if cmd.get_arguments().any(|a| a.get_id() == id.as_str() && a.is_positional()) {
            "参数"
        } else {
            "选项"
        };
        let help = text(&id);
        cmd = cmd.mut_arg(&id, |a| {
            let a = a.help_heading(heading).display_order(order);
            match help {
                Some(h) => a.help(h).long_help(None),
                None => a,
            }
        });
    }
    let subs: Vec<String> = cmd.get_subcommands().map(|s| s.get_name().to_string()).collect();
    for name in subs {
        let sub_path = if path.is_empty() { name.clone() } else { format!("{path} {name}") };
        cmd = cmd.mut_subcommand(&name, |s| zh(s, &sub_path));
    }
    cmd
}

/// Every about and argument of `cmd`'s tree as `(path, id)`, the way [`ZH`] keys them,
/// with its English help (`None` when there is none). Arguments clap adds itself
/// (`--help`, `--version`) are not in the derived tree, and a global argument is listed
/// once, where it is defined.
pub fn entries(cmd: &Command, path: &str, out: &mut Vec<(String, String, Option<String>)>) {
    out.push((path.to_string(), String::new(), cmd.get_about().map(ToString::to_string)));
    for a in cmd.get_arguments().filter(|a| path.is_empty() || !a.is_global_set()) {
        out.push((path.to_string(), a.get_id().to_string(), a.get_help().map(ToString::to_string)));
    }
    for s in cmd.get_subcommands() {
        let p = if path.is_empty() { s.get_name().to_string() } else { format!("{path} {}", s.get_name()) };
        entries(s, &p, out);
    }
}

/// clap's own error (a value it could not parse, an unknown or missing argument) in
/// Chinese: its parts come from the error's context, the parser's message through
/// [`crate::lang::zh`], and the usage line as clap wrote it. `None` for what is not an
/// error (help, version) and for the rare kinds this does not word, which stay English.
pub fn error_zh(e: &clap::Error) -> Option<String> {
    use crate::lang::zh::phrase;
    use clap::error::{ContextKind as K, ContextValue as V, ErrorKind as E};
    use std::fmt::Write as _;
    let get = |k: K| match e.get(k) {
        Some(V::String(s)) => Some(s.clone()),
        Some(V::Strings(v)) => Some(v.join("、")),
        Some(V::StyledStr(s)) => Some(s.to_string()),
        Some(V::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let arg = get(K::InvalidArg).unwrap_or_default();
    let value = get(K::InvalidValue).unwrap_or_default();
    let mut msg = match e.kind() {
        E::InvalidValue if value.is_empty() => format!("{arg} 需要一个值"),
        E::InvalidValue => match get(K::ValidValue) {
            Some(valid) => format!("'{value}' 不是 {arg} 的合法取值（可取：{valid}）"),
            None => format!("'{value}' 不是 {arg} 的合法取值"),
        },
        E::ValueValidation => {
            let why = std::error::Error::source(e).map(ToString::to_string).unwrap_or_default();
            format!("'{value}' 不是 {arg} 的合法取值：{}", phrase(&why))
        }
        E::UnknownArgument => format!("不认识的参数 '{arg}'"),
        E::InvalidSubcommand => format!("不认识的子命令 '{}'", get(K::InvalidSubcommand).unwrap_or_default()),
        E::MissingRequiredArgument => format!("缺少必需的参数：{arg}"),
        E::MissingSubcommand => format!("'{}' 需要一个子命令", get(K::InvalidSubcommand).unwrap_or_default()),
        E::ArgumentConflict => match get(K::PriorArg) {
            Some(prior) => format!("{arg} 不能与 {prior} 同时使用"),
            None => format!("{arg} 不能与其他参数同时使用"),
        },
        E::NoEquals => format!("{arg} 的值要用 = 连接"),
        E::TooManyValues => format!("{arg} 不接受多出来的值 '{value}'"),
        E::TooFewValues | E::WrongNumberOfValues => format!("{arg} 的值的个数不对"),
        _ => return None,
    };
    msg.insert_str(0, "错误：");
    msg.push('\n');
    let suggested = [K::SuggestedArg, K::SuggestedSubcommand, K::SuggestedValue].into_iter().find_map(get);
    if let Some(s) = suggested {
        let _ = writeln!(msg, "\n  提示：是否想写 '{s}'？");
    }
    let english = e.render().to_string();
    if let Some(usage) = english.lines().find_map(|l| l.strip_prefix("Usage: ")) {
        let _ = writeln!(msg, "\n用法：{usage}");
    }
    msg.push_str("\n更多信息请加 --help。\n");
    Some(msg)
}
