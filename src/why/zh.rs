//! The Chinese sentences of [`Why`]: the course notes' terms (报文, 调度器, 真实服务器,
//! 连接, 转发); kernel names, sysctls, commands and Wireshark fields stay as they are.

use super::{Ack, ArpHeard, ArpScope, Ctx, ReadAck, SourceCheck, Why};
use crate::lang::Lang;
use std::fmt::Write as _;

/// The Chinese of a detail string that comes from the stack or IPVS as English;
/// an unknown one stays English.
fn detail(s: &str) -> &str {
    match s {
        "not TCP or UDP" => "不是 TCP 或 UDP",
        "no virtual service for this address and port" => "该地址和端口没有虚拟服务",
        "TCP packet without SYN and no connection entry: not scheduled" => "没有 SYN 的 TCP 报文且无连接条目：不调度",
        "packet from client port 20 (FTP data): never scheduled" => "来自客户端 20 端口（FTP 数据）的报文：从不调度",
        "target is multicast or loopback" => "目标地址是组播或环回地址",
        "gratuitous ARP and drop_gratuitous_arp=1" => "免费 ARP 且 drop_gratuitous_arp=1",
        "sender 0.0.0.0: never cached" => "发送方为 0.0.0.0：从不缓存",
        "arp_ignore=1: target address is not on the receiving interface" => "arp_ignore=1：目标地址不在接收网卡上",
        "arp_ignore=2: target not on the receiving interface in a subnet with the sender" => {
            "arp_ignore=2：目标地址不在接收网卡上与发送方同一子网的地址中"
        }
        "arp_ignore=3: target address has scope host" => "arp_ignore=3：目标地址的 scope 为 host",
        "arp_ignore=8: never reply" => "arp_ignore=8：从不应答",
        "arp_filter=1: the route back to the sender leaves by another interface" => {
            "arp_filter=1：回到发送方的路由从另一块网卡出去"
        }
        "arp_filter=1: the sender is a local address (its route leaves by lo)" => {
            "arp_filter=1：发送方是本地地址（路由经 lo 出去）"
        }
        "arp_filter=1: no route back to the sender" => "arp_filter=1：没有回到发送方的路由",
        "static entry never changes" => "静态条目从不改变",
        "another MAC within locktime: kept the old one" => "locktime 内出现另一个 MAC：保留旧的",
        "same MAC: state kept" => "MAC 相同：状态不变",
        "no change" => "没有变化",
        "the request" | "request" => "请求",
        "the FIN" => "FIN",
        "the response" => "响应",
        "Refused" => "连接被拒绝",
        "Unreachable" => "不可达",
        "TimedOut" => "超时",
        "persistence template" => "持久模板",
        "conn" => "连接",
        _ => s,
    }
}

fn ack(a: &Ack, s: &mut String) {
    let _ = match *a {
        Ack::Quick { more } => write!(s, "立即 ACK（快速 ACK 模式，还剩 {more} 次快速 ACK）"),
        Ack::TimerDue => write!(s, "立即 ACK（延迟 ACK 定时器已到期）"),
        Ack::Read(r) => write!(s, "{}", read(r)),
        Ack::Delayed { pingpong, carrier, timer } => {
            let why = if pingpong { "交互式套接字（pingpong）：ACK 延迟" } else { "ACK 延迟" };
            match carrier {
                Some(c) => write!(s, "{why}，由{}捎带", detail(c)),
                None => write!(s, "{why}（定时器 {timer}）"),
            }
        }
    };
}

const fn read(r: ReadAck) -> &'static str {
    match r {
        ReadAck::MoreThanOneMss => "应用读取时 ACK（超过一个 MSS 未确认）",
        ReadAck::Pushed => "应用读取时 ACK（一次写入结束，套接字非交互式）",
    }
}

pub(super) fn write(w: &Why, c: &Ctx<'_>, s: &mut String) {
    let _ = match w {
        Why::IfaceDown { iface } => write!(s, "丢弃：{} 已关闭（down）", c.iface(*iface)),
        Why::OtherHost { dst, mac } => {
            let (dst, mac) = (c.mac(*dst, Lang::Zh), c.mac(*mac, Lang::Zh));
            write!(s, "丢弃：eth.dst {dst} 不是本网卡的 MAC {mac}（PACKET_OTHERHOST）")
        }
        Why::L2Recv { broadcast, iface } => {
            write!(s, "l2：{} 收到{}帧", c.iface(*iface), if *broadcast { "广播" } else { "单播" })
        }
        Why::NotPlugged {} => write!(s, "丢弃：网卡没有接入网段"),
        Why::LinkSend { segment } => write!(s, "链路：发往网段 {}", c.names.segment(segment.0)),
        Why::TxQueueFull {} => write!(s, "丢弃：链路队列已满（尾部丢弃）"),
        Why::BacklogFull { queued, backlog } => {
            write!(s, "丢弃：CPU backlog 已满（{queued} 帧等待中，netdev_max_backlog={backlog}）")
        }
        Why::HookDrop { hook, rule } => write!(s, "丢弃：{hook} 规则 {rule}"),
        Why::MarkSet { old, new, rule } => write!(s, "mangle：规则 {rule} 把 skb->mark 从 {old:#x} 改为 {new:#x}"),
        Why::IpForwardOff { dst } => {
            write!(s, "丢弃：{dst} 不是本地地址，且 {} 上 ip_forward=0（主机不转发）", c.host())
        }
        Why::Martian { src } => write!(s, "丢弃：martian 源地址：{src} 是本机自己的地址（accept_local=0）"),
        Why::RpFilter { mode, src, iface } => {
            write!(s, "丢弃：rp_filter={mode}：回到 {src} 的路由不经过 {}", c.iface(*iface))
        }
        Why::RouteLocal { dst, iface } => write!(s, "路由：{dst} 是本地地址（在 {} 上）→ INPUT", c.iface(*iface)),
        Why::NoRoute { dst, src } => write!(s, "丢弃：没有到 {dst} 的路由；向 {src} 发送 ICMP 网络不可达"),
        Why::RouteForward { dst, via, dev } => {
            let _ = write!(s, "路由：转发 {dst}，");
            let _ = match via {
                Some(v) => write!(s, "经 {v}"),
                None => write!(s, "直连"),
            };
            write!(s, "，dev {} → FORWARD", c.iface(*dev))
        }
        Why::TtlExceeded { src } => write!(s, "丢弃：TTL 超时；向 {src} 发送 ICMP 超时"),
        Why::FragNeeded { size, mtu, src } => {
            write!(s, "丢弃：{size} 字节且 DF 置位，超过 MTU {mtu}；向 {src} 发送 ICMP 需要分片（mtu {mtu}）")
        }
        Why::Forward { ttl, oif, nexthop } => {
            write!(s, "转发：ttl {} → {ttl}，从 {} 发往下一跳 {nexthop}", u16::from(*ttl) + 1, c.iface(*oif))
        }
        Why::RouteLo { dst } => write!(s, "路由：{dst} 是本地地址：经 lo 交付"),
        Why::RouteUnreachable { dst } => write!(s, "路由：没有到 {dst} 的路由（ENETUNREACH）"),
        Why::RouteOutput { dst, nexthop, dev } => write!(s, "路由：{dst} 经 {nexthop} dev {}", c.iface(*dev)),
        Why::NoTunl0 { src } => {
            write!(s, "丢弃：IPIP（ip.proto 4）但没有 tunl0（未加载 ipip 模块）；向 {src} 发送 ICMP 协议不可达")
        }
        Why::Tunl0Down { src } => write!(s, "丢弃：IPIP 报文但 tunl0 已关闭；向 {src} 发送 ICMP 端口不可达"),
        Why::IpipDecap { outer_src, outer_dst } => {
            write!(s, "ipip：在 tunl0 上解封装（去掉外层 {outer_src} > {outer_dst}）；内层报文重新进入 PREROUTING")
        }
        Why::IpvsExpiredAtOnce { client, cport, server, port, state } => {
            write!(s, "ipvs：旧连接条目 {client}:{cport} -> {server}:{port}（{state}）立即过期，让这个 SYN 重新调度")
        }
        Why::IpvsAccept { detail: d } => write!(s, "ipvs：{} → 本地协议栈", detail(d)),
        Why::IpvsNoDest { vip, vport, client } => {
            write!(s, "ipvs：{vip}:{vport} 没有可用的真实服务器；向 {client} 发送 ICMP 端口不可达")
        }
        Why::IpvsDestGone {} => write!(s, "ipvs：该连接的真实服务器已被删除（expire_nodest_conn=0）：丢弃"),
        Why::IpvsNatReply { client, cport, server, port, vip, vport, state } => write!(
            s,
            "ipvs：连接 {client}:{cport} 的 NAT 响应 → 源地址 {server}:{port} 改写为 VIP {vip}:{vport}（状态 {state}）"
        ),
        Why::IpvsSchedule { client, cport, vip, vport, sched, template, server, port, weight, fwd } => {
            let _ = write!(s, "ipvs：新连接 {client}:{cport} -> {vip}:{vport}，");
            let _ = if *template {
                write!(s, "持久模板（不经过调度算法）→")
            } else {
                write!(s, "调度算法 {sched} 选中")
            };
            write!(s, "真实服务器 {server}:{port}（权重 {weight}，{fwd}）")
        }
        Why::IpvsExisting { server, port, fwd, state } => {
            write!(s, "ipvs：已有连接 → {server}:{port}（{fwd}），状态 {state}")
        }
        Why::IpvsLocalServer { server } => {
            write!(s, "ipvs：真实服务器 {server} 就是本机（不模拟本地真实服务器）")
        }
        Why::IpvsNoRoute { server } => write!(s, "ipvs：没有到真实服务器 {server} 的路由"),
        Why::IpvsTtlExceeded { server, src } => {
            write!(s, "ipvs：发往真实服务器 {server} 途中 TTL 超时；向 {src} 发送 ICMP 超时")
        }
        Why::IpvsFragNeeded { size, mtu, tun, src } => write!(
            s,
            "ipvs：{size} 字节且 DF 置位，超过可用 MTU {mtu}{}；向 {src} 发送 ICMP 需要分片（mtu {mtu}）",
            if *tun { "（路由 MTU − 20，留给 IPIP 头）" } else { "" }
        ),
        Why::IpvsNat { vip, server, vport, port, nexthop, oif } => write!(
            s,
            "ipvs：NAT（masquerading）：ip.dst {vip} → {server}，端口 {vport} → {port}；ttl−1；重新路由经 {nexthop} dev {}",
            c.iface(*oif)
        ),
        Why::IpvsDrOffLink { server, nexthop, dst } => write!(
            s,
            "ipvs：DR，但真实服务器 {server} 不在本调度器的任何网段上：帧发往网关 {nexthop}，ip.dst 仍为 {dst} —— DR 要求真实服务器在直连网段上"
        ),
        Why::IpvsDr { dst, server, oif } => write!(
            s,
            "ipvs：DR（gatewaying）：IP 头不变（ip.dst 仍为 {dst}），ttl−1；以 RIP {server} 为下一跳路由，dev {}",
            c.iface(*oif)
        ),
        Why::IpvsTun { src, server, inner_src, inner_dst } => write!(
            s,
            "ipvs：TUN（ipip）：加上外层头 {src} > {server}（ip.proto 4，复制 ttl 和 DF），内层 {inner_src} > {inner_dst} 不变"
        ),
        Why::IpvsTrashFreed { server, port, vip, vport } => {
            write!(s, "ipvs：{vip}:{vport} 已删除的真实服务器 {server}:{port} 从 trash 中释放")
        }
        Why::IpvsTemplateRearmed {} => write!(s, "ipvs：持久模板仍控制着连接：重新定时 60 s"),
        Why::IpvsExpired { template, client, cport, vip, vport, server, port, state } => write!(
            s,
            "ipvs：{} {client}:{cport} -> {vip}:{vport} -> {server}:{port} 在 {state} 状态过期",
            if *template { "持久模板" } else { "连接" }
        ),
        Why::NeighQueued { nexthop, solicit } => {
            write!(s, "neigh：{nexthop} 未解析：报文排队{}", if *solicit { "，发送 who-has" } else { "" })
        }
        Why::NeighQueueFull { nexthop } => write!(s, "neigh：{nexthop} 的队列已满：丢弃最早的报文"),
        Why::NeighResolved { nexthop, src, dst } => {
            let (src, dst) = (c.mac(*src, Lang::Zh), c.mac(*dst, Lang::Zh));
            write!(s, "neigh：下一跳 {nexthop} is-at {dst}：eth.src {src} eth.dst {dst}")
        }
        Why::NeighSolicit { broadcast, target, sip, arp_announce, from_queued } => write!(
            s,
            "neigh：{} who-has {target} tell {sip}（arp_announce={arp_announce}{}）",
            if *broadcast { "广播" } else { "单播探测" },
            if *from_queued { "：发送方 = 排队报文的源地址" } else { "" }
        ),
        Why::NeighFailed { ip, probes, src } => {
            write!(s, "neigh：{probes} 次请求后 {ip} 仍无 ARP 应答：FAILED；向 {src} 发送 ICMP 主机不可达")
        }
        Why::ArptablesMangle { rule, before, after } => {
            write!(s, "arptables：OUTPUT 规则 {rule} 把发送方 IP {before} 改为 {after}")
        }
        Why::ArptablesDrop { input, rule } => {
            write!(s, "arptables：{} 规则 {rule} 丢弃它", if *input { "INPUT" } else { "OUTPUT" })
        }
        Why::ArpIgnored { detail: d } => write!(s, "arp：忽略（{}）", detail(d)),
        Why::ArpRefused { target, detail: d, .. } => write!(s, "arp：who-has {target} 不应答：{}", detail(d)),
        Why::ArpReply { target, mac, arp_ignore, scope, iface, other_iface, other_arp_ignore } => {
            let mac = c.mac(*mac, Lang::Zh);
            let _ = write!(
                s,
                "arp：{} 应答 who-has {target}：is-at {mac}（arp_ignore={arp_ignore}{}",
                c.host(),
                match scope {
                    ArpScope::ScopeGlobal => "，该地址的 scope 为 global（不是 host），arp_ignore=3 会应答",
                    ArpScope::OnIface => "",
                    ArpScope::OtherIface => "，地址在另一块网卡上：弱主机模型",
                }
            );
            if let Some(o) = other_iface {
                let i = c.iface(*iface);
                let _ = write!(
                    s,
                    "；{} 的 arp_ignore={other_arp_ignore}，但对从 {i} 进来的请求只看 max(all, {i})",
                    c.iface(*o)
                );
            }
            write!(s, "）")
        }
        Why::ArpNotCached { sip, refused, arp_accept } => {
            let _ = write!(s, "arp：");
            if let Some(e) = refused {
                let _ = write!(s, "不应答（{}）；", source(*e, *sip));
            }
            write!(s, "没有 {sip} 的条目：不缓存（arp_accept={arp_accept}）")
        }
        Why::ArpKept { what, ip, detail: d, mac, state } => {
            let mac = c.mac(*mac, Lang::Zh);
            write!(s, "arp：来自 {ip} 的{}：{}（条目保持 {mac} {state}）", heard(*what, *ip), detail(d))
        }
        Why::ArpCache { ip, mac, state, what, released } => {
            let mac = c.mac(*mac, Lang::Zh);
            let _ = write!(s, "arp：缓存 {ip} → {mac} {state}（{}）", heard(*what, *ip));
            if *released > 0 {
                let _ = write!(s, "；释放 {released} 个排队报文");
            }
            Ok(())
        }
        Why::TcpSynListener { port, local, remote, rport } => write!(
            s,
            "tcp：端口 {port} 上监听者收到 SYN：新套接字 {local}:{port} ⇄ {remote}:{rport} SYN_RECV，应答 SYN-ACK"
        ),
        Why::TcpNoSocket { addr, port, rst } => {
            write!(s, "tcp：{addr}:{port} 没有套接字{}", if *rst { "" } else { "：应答 RST" })
        }
        Why::TcpReset { addr, port } => write!(s, "tcp：连接被 {addr}:{port} 重置"),
        Why::TcpEstablished { after, request } => {
            write!(s, "tcp：SYN-ACK：{after} 后连接 ESTABLISHED；发送 ACK 和 {request} 字节的请求")
        }
        Why::TcpResponseNext { ack: a, left } => {
            let _ = write!(s, "tcp：收到响应：");
            ack(a, s);
            write!(s, "；发送下一个请求（之后还有 {left} 个）")
        }
        Why::TcpResponseClose { latency, ack: a } => {
            let _ = write!(s, "tcp：SYN 之后 {latency} 收到响应：");
            ack(a, s);
            write!(s, "；关闭（FIN）")
        }
        Why::TcpResponsePart { len, ack: a } => {
            let _ = write!(s, "tcp：响应的 {len} 字节：");
            ack(a, s);
            Ok(())
        }
        Why::TcpServerFin {} => write!(s, "tcp：服务器的 FIN：最后的 ACK，套接字进入 TIME_WAIT（不再模拟）"),
        Why::TcpServerData { dup, pushed, len, port, ack: a } => {
            let _ = write!(s, "tcp：端口 {port} 上服务器收到{}：", server_data(*dup, *pushed, *len));
            ack(a, s);
            Ok(())
        }
        Why::TcpServerRequest { dup, pushed, len, port, ack: a, response } => {
            let _ = write!(s, "tcp：端口 {port} 上服务器收到{}：", server_data(*dup, *pushed, *len));
            ack(a, s);
            write!(s, "；发送 {response} 字节的响应")
        }
        Why::TcpHandshakeAck {} => write!(s, "tcp：握手 ACK：ESTABLISHED"),
        Why::TcpClientFin {} => {
            write!(s, "tcp：客户端的 FIN：CLOSE_WAIT 推迟 ACK，服务器立即关闭，由它的 FIN 捎带（LAST_ACK）")
        }
        Why::TcpLastAck {} => write!(s, "tcp：最后的 ACK：套接字关闭"),
        Why::TcpAck {} => write!(s, "tcp：ACK"),
        Why::TcpBadState { flags, state } => write!(s, "tcp：报文段 [{flags}] 不符合套接字状态 {state}：忽略"),
        Why::TcpDelayedAck { local, lport, remote, rport, ato, pingpong } => write!(
            s,
            "tcp：{local}:{lport} ⇄ {remote}:{rport} 的延迟 ACK 定时器（数据后 {ato}）：发送 ACK{}",
            if *pingpong { "并退出 pingpong 模式" } else { "" }
        ),
        Why::TcpConnectTimeout { addr, port, retries } => {
            write!(s, "tcp：连接 {addr}:{port} 在 {retries} 次 SYN 重传后超时")
        }
        Why::TcpSynRetry { addr, port, attempt } => {
            write!(s, "tcp：{addr}:{port} 没有 SYN-ACK：重传 SYN（第 {attempt} 次）")
        }
        Why::TcpRequestTimeout { addr, port, retries } => {
            write!(s, "tcp：请求重传 {retries} 次后 {addr}:{port} 仍无应答：连接超时")
        }
        Why::TcpRequestRetry { addr, port, attempt, mss } => {
            write!(s, "tcp：{addr}:{port} 没有应答请求：重传（第 {attempt} 次，mss {mss}）")
        }
        Why::TcpRequestQueued { ack: a } => {
            let _ = write!(s, "tcp：请求已在排队：");
            ack(a, s);
            Ok(())
        }
        Why::TcpRequestAdmit { port, started, ack: a } => {
            let _ = write!(
                s,
                "tcp：端口 {port} 上服务器的请求：{}；",
                if *started { "由一个工作线程处理" } else { "排队等待工作线程" }
            );
            ack(a, s);
            Ok(())
        }
        Why::TcpListenOverflow {} => write!(s, "tcp：服务器队列已满（工作线程忙，队列到达上限）：应答 RST"),
        Why::UdpRequest { port, response, addr } => {
            write!(s, "udp：端口 {port} 上服务器收到请求：从 {addr} 回复 {response} 字节")
        }
        Why::UdpReply { latency } => write!(s, "udp：请求后 {latency} 收到回复"),
        Why::UdpNoSocket { port, src } => write!(s, "udp：端口 {port} 没有套接字：向 {src} 发送 ICMP 端口不可达"),
        Why::UdpListenOverflow {} => write!(s, "udp：服务器队列已满：请求被丢弃"),
        Why::UdpQueued {} => write!(s, "udp：请求排队等待工作线程"),
        Why::IcmpEcho {} => write!(s, "icmp：echo 请求：应答"),
        Why::IcmpFragNeeded { dst, port, mtu, old_mss, mss, resend } => write!(
            s,
            "icmp：{dst}:{port} 需要分片：路径 MTU {mtu}，MSS {old_mss} → {mss}{}",
            if *resend { "；重发请求" } else { "" }
        ),
        Why::IcmpConnectFails { dst, port, failure } => {
            write!(s, "icmp：到 {dst}:{port} 的连接出错：connect 失败（{}）", detail(failure))
        }
        Why::IcmpSoftError { dst, port } => write!(s, "icmp：到 {dst}:{port} 的连接出错，记为软错误"),
        Why::IcmpUdpFailed { dst, port } => write!(s, "icmp：到 {dst}:{port} 的 UDP 请求出错：请求失败"),
        Why::IcmpNoSocket {} => write!(s, "icmp：错误涉及的报文没有对应的套接字：忽略"),
        Why::IcmpEchoReply {} => write!(s, "icmp：echo 应答（没有运行 ping）"),
        Why::AppRead { addr, port, read: r } => write!(s, "app：工作线程读取来自 {addr}:{port} 的请求：{}", read(*r)),
        Why::AppConnect { dst, dport, local, port } => {
            write!(s, "app：从 {local}:{port} connect({dst}:{dport})：发送 SYN")
        }
        Why::AppUdp { dst, dport, port } => write!(s, "app：从端口 {port} 向 {dst}:{dport} 发送 UDP 请求"),
        Why::AppServed { response } => write!(s, "app：请求处理完毕：发送 {response} 字节的响应"),
        Why::HostDown { state } => {
            let st = match *state {
                "crashed" => "已崩溃",
                "off" => "已关机",
                _ => "正在启动",
            };
            write!(s, "丢弃：主机{st}：发给它的一切都丢失")
        }
        Why::NetemLoss { iface, loss_ppm } => write!(
            s,
            "丢弃：{} 上的 netem 丢弃其发送帧的 {}：这一帧被丢弃",
            c.iface(*iface),
            crate::cmdline::fault::percent(*loss_ppm)
        ),
        Why::HostStopped { cmd, sockets, packets } => write!(
            s,
            "{cmd}：主机停机：{sockets} 个套接字无声关闭，{packets} 个等待中的报文丢失；此后它不再应答任何报文"
        ),
        Why::HostBooted { after } => {
            write!(s, "主机在停机 {after} 后重新启动：只有 run: 中的配置，ARP 缓存为空，没有连接；其服务器重新监听")
        }
        Why::ServiceState { cmd, port, was_running, running, open } => match (was_running, running) {
            (true, false) => {
                write!(s, "{cmd}：端口 {port} 已关闭：新连接将被回以 RST；已接受的 {open} 个连接继续服务到结束")
            }
            (false, true) => write!(s, "{cmd}：重新在端口 {port} 上监听"),
            (true, true) => write!(s, "{cmd}：在端口 {port} 上监听（{open} 个已打开的连接继续）"),
            (false, false) => write!(s, "{cmd}：服务未运行：无需停止"),
        },
        Why::McastNotJoined { group, iface } => {
            write!(s, "丢弃：发往 {group} 的组播：{} 上没有加入该组", c.iface(*iface))
        }
        Why::UnknownProtocol { protocol } => write!(s, "丢弃：IP 协议 {protocol} 没有套接字"),
        Why::VrrpState { vrid, priority, from, to, reason, wait } => {
            let _ = write!(s, "vrrp：VRID {vrid}（优先级 {priority}）{from} → {to}");
            match *reason {
                "init" => write!(s, "：启动时进入 BACKUP 状态；{wait} 内收不到通告即认为主节点失效"),
                "owner" => write!(s, "：优先级 255 是地址的拥有者：立即成为 MASTER"),
                "master_down" => write!(s, "：在主节点失效间隔内没有收到通告：接管虚拟地址"),
                _ => write!(s, "：有更高优先级的主节点；等待 {wait}"),
            }
        }
        Why::VrrpAdvert { vrid, priority: 0 } => write!(s, "vrrp：VRID {vrid} 发送优先级为 0 的通告：主节点正在退出"),
        Why::VrrpAdvert { vrid, priority } => write!(s, "vrrp：VRID {vrid} 向 224.0.0.18 发送通告，优先级 {priority}"),
        Why::VrrpRecv { vrid, priority, own, action } => {
            let _ = write!(s, "vrrp：收到 VRID {vrid} 优先级 {priority} 的通告（本机 {own}）：");
            let what = match *action {
                "reset_timer" => "主节点存活：重新开始主节点失效计时",
                "preempt" => "低于本机且允许抢占：忽略，本机将接管",
                "master_leaving" => "主节点正在退出：等待偏移时间后接管",
                "answer" => "主节点正在退出：以本机的通告回应",
                "yield" => "高于本机：转为 BACKUP",
                "ignore_lower" => "低于本机：忽略",
                _ => "另一个虚拟路由器：忽略",
            };
            write!(s, "{what}")
        }
        Why::VrrpGarp { vip } => write!(s, "vrrp：免费 ARP：{vip} 在本网卡的 MAC 上"),
        Why::SyncSent { conns } => write!(s, "ipvs：同步守护进程（master）向 224.0.0.81:8848 发送 {conns} 条连接记录"),
        Why::SyncRecv { created, updated, skipped } => write!(
            s,
            "ipvs：同步守护进程（backup）：新建 {created} 条记录，更新 {updated} 条，跳过 {skipped} 条（本机没有对应的服务或服务器）"
        ),
        Why::Command { cmd } => write!(s, "命令：{cmd}"),
        Why::KaCheck { check, addr, port, retry, retries } => {
            let what = if *check == "MISC_CHECK" { "运行检查脚本" } else { "发起连接" };
            write!(s, "keepalived：{check} {addr}:{port}：{what}（重试 {retry}/{retries}）")
        }
        Why::KaCheckOk { check, addr, port } => write!(s, "keepalived：{check} {addr}:{port} 检查成功"),
        Why::KaCheckFailed { check, addr, port, cause, timeout, status, retry, retries } => {
            let cause = match *cause {
                "timeout" => format!("连接超时 {timeout}"),
                "rst" => "连接被拒绝（回以 RST）".to_string(),
                "unreachable" => "网络不可达".to_string(),
                "status" => format!("HTTP 状态码为 200，期望 {status}"),
                _ => "脚本退出状态为 1".to_string(),
            };
            write!(s, "keepalived：{check} {addr}:{port}：{cause}，重试 {retry}/{retries}")
        }
        Why::KaIpvsadm { cmd, change, addr, port } => match *change {
            "start" => write!(s, "keepalived：安装配置：{cmd}"),
            "down" => write!(s, "keepalived：真实服务器 {addr}:{port} 检查失败，摘除：{cmd}"),
            "up" => write!(s, "keepalived：真实服务器 {addr}:{port} 恢复：{cmd}"),
            "sorry_on" => write!(s, "keepalived：没有可用的真实服务器，加入 sorry server {addr}:{port}：{cmd}"),
            "stop" => write!(s, "keepalived：停止运行，释放它的虚拟服务器 {addr}:{port}：{cmd}"),
            _ => write!(s, "keepalived：真实服务器恢复，移除 sorry server {addr}:{port}：{cmd}"),
        },
        Why::CommandFailed { cmd, expected, found } => {
            write!(s, "命令失败：{cmd}：期望 {expected}，实际 {found}")
        }
    };
}

/// What an ARP packet that updated the sender's entry was.
fn heard(w: ArpHeard, ip: std::net::Ipv4Addr) -> String {
    match w {
        ArpHeard::Reply => "应答".to_string(),
        ArpHeard::Request => "听到的请求".to_string(),
        ArpHeard::Refused(e) => format!("请求，不应答（{}）", source(e, ip)),
        ArpHeard::ForUs => "对本机地址的请求，缓存了发送方（neigh_event_ns，无 locktime）".to_string(),
    }
}

fn source(e: SourceCheck, ip: std::net::Ipv4Addr) -> String {
    match e {
        SourceCheck::Martian => format!("martian 源地址：{ip} 是本机自己的地址"),
        SourceCheck::RpFilter(mode) => format!("rp_filter={mode} 拒绝 {ip}"),
    }
}

fn server_data(dup: bool, pushed: bool, len: u32) -> String {
    if dup {
        "已收到过的请求（客户端重发）".to_string()
    } else if pushed {
        format!("{len} 字节的请求")
    } else {
        format!("请求的 {len} 字节")
    }
}
