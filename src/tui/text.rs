//! Every word the TUI shows, in English and Chinese, in one place. Field names
//! (`ip.dst`), hook names (`PREROUTING`), kernel reasons and command output stay as the
//! kernel and Wireshark spell them in both languages, as they do on a Chinese Linux box.

use super::keys::Action;
use crate::lang::Lang;
use crate::topology::Role;

/// The TUI's strings in one language. `{…}` marks a value filled in when drawn.
#[derive(Debug)]
pub struct Text {
    pub events: &'static str,
    pub header: [&'static str; 5],
    pub step: &'static str,
    pub no_match: &'static str,
    pub topology: &'static str,
    pub detail: &'static str,
    pub path: &'static str,
    pub tables: &'static str,
    pub why: &'static str,
    /// `{step}` `{where}`
    pub vs_step: &'static str,
    pub nothing_changed: &'static str,
    pub no_earlier_hop: &'static str,
    pub no_eth_yet: &'static str,
    pub was: &'static str,
    pub new: &'static str,
    pub no_step: &'static str,
    /// `{host}`
    pub path_title: &'static str,
    pub path_none: &'static str,
    /// `{host}` `{step}` `{time}`
    pub tables_title: &'static str,
    pub no_ipvs: &'static str,
    pub filter: &'static str,
    pub breakpoint: &'static str,
    pub seed: &'static str,
    pub following: &'static str,
    pub running: &'static str,
    pub paused: &'static str,
    /// `{n}`
    pub speed: &'static str,
    /// `{expr}`
    pub hit: &'static str,
    pub no_hit: &'static str,
    pub breaks_cleared: &'static str,
    pub no_connection: &'static str,
    pub at_end: &'static str,
    pub help_title: &'static str,
    pub help_typing: &'static str,
    pub help_filter: &'static str,
    pub picker_title: &'static str,
    pub error_title: &'static str,
    pub bad_seed: &'static str,
    pub legend: &'static str,
    /// Between a label and its value (`filter: arp`, `过滤：arp`).
    pub colon: &'static str,
}

pub const EN: Text = Text {
    events: "events",
    header: ["time(s)", "host", "iface", "stage", "frame"],
    step: "step",
    no_match: "no step matches",
    topology: "topology",
    detail: "detail",
    path: "path",
    tables: "tables",
    why: "why: ",
    vs_step: "vs step {step} ({where}): ",
    nothing_changed: "nothing changed",
    no_earlier_hop: "no earlier hop carried this packet",
    no_eth_yet: "(no Ethernet header yet)",
    was: "was",
    new: "new",
    no_step: "no step",
    path_title: "this packet on {host}: every stage with its verdict and reason",
    path_none: "this step is not part of a frame's walk through a host",
    tables_title: "{host} after step {step} (t={time}s) · t: next host",
    no_ipvs: "(no IPVS on this host)",
    filter: "filter",
    breakpoint: "break",
    seed: "seed",
    following: "following",
    running: "▶ running",
    paused: "paused",
    speed: "{n} steps/s",
    hit: "breakpoint: {expr}",
    no_hit: "no later step hits a breakpoint",
    breaks_cleared: "breakpoints cleared",
    no_connection: "this step carries no TCP/UDP packet to follow",
    at_end: "end of the trace",
    help_title: " keys (any key closes, L: 中文) ",
    help_typing: "while typing:",
    help_filter: "filters: ip.dst == 10.0.0.100 && hook == INPUT · arp && host == router · drop · \"text\"",
    picker_title: " open a scenario (Enter open, Esc cancel) ",
    error_title: " error (any key closes) ",
    bad_seed: "a seed is a whole number, such as 7",
    legend: "client · router · director · real server",
    colon: ": ",
};

pub const ZH: Text = Text {
    events: "事件",
    header: ["时间(秒)", "主机", "接口", "阶段", "帧"],
    step: "步骤",
    no_match: "没有匹配的步骤",
    topology: "拓扑",
    detail: "详情",
    path: "路径",
    tables: "表",
    why: "原因：",
    vs_step: "对比步骤 {step}（{where}）：",
    nothing_changed: "没有变化",
    no_earlier_hop: "之前没有别的主机转发过这个包",
    no_eth_yet: "（尚无以太网头部）",
    was: "原为",
    new: "新增",
    no_step: "没有步骤",
    path_title: "这个包在 {host} 上经过的每个阶段、判定和原因",
    path_none: "这一步不属于帧在主机内的处理路径",
    tables_title: "{host}，步骤 {step} 之后（t={time}秒）· t：下一台主机",
    no_ipvs: "（此主机没有 IPVS）",
    filter: "过滤",
    breakpoint: "断点",
    seed: "种子",
    following: "跟随连接",
    running: "▶ 运行中",
    paused: "已暂停",
    speed: "每秒 {n} 步",
    hit: "命中断点：{expr}",
    no_hit: "后面没有命中断点的步骤",
    breaks_cleared: "已清除所有断点",
    no_connection: "这一步没有可跟随的 TCP/UDP 包",
    at_end: "已到轨迹末尾",
    help_title: " 按键（任意键关闭，L：English） ",
    help_typing: "输入时：",
    help_filter: "过滤示例：ip.dst == 10.0.0.100 && hook == INPUT · arp && host == router · drop · \"文字\"",
    picker_title: " 打开场景（Enter 打开，Esc 取消） ",
    error_title: " 错误（任意键关闭） ",
    bad_seed: "种子必须是整数，例如 7",
    legend: "客户端 · 路由器 · 调度器 · 真实服务器",
    colon: "：",
};

/// The strings of `lang`.
pub fn text(lang: Lang) -> &'static Text {
    match lang {
        Lang::En => &EN,
        Lang::Zh => &ZH,
    }
}

/// A role's name (the course notes' terms in Chinese).
pub fn role(lang: Lang, r: Role) -> &'static str {
    match (lang, r) {
        (Lang::En, r) => r.name(),
        (Lang::Zh, Role::Client) => "客户端",
        (Lang::Zh, Role::Router) => "路由器",
        (Lang::Zh, Role::Director) => "调度器",
        (Lang::Zh, Role::RealServer) => "真实服务器",
        (Lang::Zh, Role::Host) => "主机",
    }
}

/// `(footer hint, help line)` of an action.
pub fn action(lang: Lang, a: Action) -> (&'static str, &'static str) {
    let (en, zh) = match a {
        Action::Next => (("next", "next step (back: k)"), ("下一步", "下一步（后退：k）")),
        Action::Previous => (("back", "previous step: every table as it was"), ("后退", "上一步：所有表恢复到那一刻")),
        Action::PageDown => (("page", "a page down"), ("翻页", "向下翻一页")),
        Action::PageUp => (("page", "a page up"), ("翻页", "向上翻一页")),
        Action::First => (("first", "first step"), ("首步", "第一步")),
        Action::Last => (("last", "last step"), ("末步", "最后一步")),
        Action::NextDrop => (("drop", "next dropped packet"), ("丢包", "下一个被丢弃的包")),
        Action::NextBreak => (("continue", "jump to the next breakpoint hit"), ("继续", "跳到下一个命中断点的步骤")),
        Action::RunPause => (("run", "run / pause (stops at breakpoints)"), ("运行", "运行 / 暂停（遇断点停止）")),
        Action::Faster => (("faster", "run faster"), ("加速", "加快运行速度")),
        Action::Slower => (("slower", "run slower"), ("减速", "减慢运行速度")),
        Action::Follow => {
            (("follow", "follow this connection only (again: all)"), ("跟随", "只看这条连接（再按：全部）"))
        }
        Action::StartFilter => (("filter", "filter: hide steps that do not match"), ("过滤", "过滤：隐藏不匹配的步骤")),
        Action::StartBreak => (("break", "add a breakpoint (a filter expression)"), ("断点", "添加断点（过滤表达式）")),
        Action::ClearBreaks => (("clear", "clear every breakpoint"), ("清除", "清除所有断点")),
        Action::StartSeed => (("seed", "rerun with another seed"), ("种子", "换一个随机种子重新运行")),
        Action::NextTab => (("panel", "next panel: detail, path, tables"), ("面板", "切换面板：详情、路径、表")),
        Action::NextHost => (("host", "tables of the next host"), ("主机", "显示下一台主机的表")),
        Action::OpenScenarios => (("open", "open another scenario"), ("打开", "打开另一个场景")),
        Action::ToggleLang => (("中文", "中文 / English"), ("English", "English / 中文")),
        Action::ToggleHelp => (("help", "this help"), ("帮助", "本帮助")),
        Action::Quit => (("quit", "quit"), ("退出", "退出")),
        Action::InputApply => (("apply", "apply"), ("确定", "确定")),
        Action::InputCancel => (("cancel", "cancel"), ("取消", "取消")),
        Action::InputBackspace => (("delete", "delete a character"), ("删除", "删除一个字符")),
        Action::InputChar(_) | Action::Select(_) | Action::ShowHost(_) => (("", ""), ("", "")),
    };
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::keys::{BINDINGS, INPUT_BINDINGS, PICKER_BINDINGS};

    // Every bound key has words in both languages, so no help line or footer hint is ever
    // blank in either.
    #[test]
    fn every_binding_has_text_in_both_languages() {
        for b in BINDINGS.iter().chain(INPUT_BINDINGS).chain(PICKER_BINDINGS) {
            for lang in [Lang::En, Lang::Zh] {
                let (hint, help) = action(lang, b.action);
                assert!(!hint.is_empty() && !help.is_empty(), "{:?} {lang:?}", b.action);
            }
        }
    }
}
