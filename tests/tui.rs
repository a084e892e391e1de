//! The real binary under tmux: start `lvsim tui`, send keys as a user would, read the
//! screen back. The tmux tests are `#[ignore]`d (they need tmux); `.ci/run` installs tmux
//! and runs them with `cargo test --test tui -- --ignored`, where a missing tmux fails.

use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    /// A tmux server of its own (so parallel tests do not meet) running `args` in a
    /// 120×40 window. Panics when tmux is missing: a test that cannot run must not pass.
    fn start(name: &str, args: &[&str]) -> Tmux {
        assert!(
            Command::new("tmux").arg("-V").output().is_ok(),
            "tmux is not installed: install it (.ci/run does) to run the TUI end-to-end tests"
        );
        let t = Tmux { socket: format!("lvsim-test-{name}-{}", std::process::id()) };
        let mut cmd = vec![env!("CARGO_BIN_EXE_lvsim").to_string()];
        cmd.extend(args.iter().map(ToString::to_string));
        let ok = t
            .tmux(&["new-session", "-d", "-s", "t", "-x", "120", "-y", "40"])
            .args(["env", "LANG=C.UTF-8", "TERM=xterm-256color"])
            .args(&cmd)
            .status()
            .unwrap()
            .success();
        assert!(ok, "tmux new-session failed");
        t
    }

    fn tmux(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]).args(args);
        c
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            assert!(self.tmux(&["send-keys", "-t", "t", k]).status().unwrap().success());
        }
    }

    fn literal(&self, text: &str) {
        assert!(self.tmux(&["send-keys", "-t", "t", "-l", text]).status().unwrap().success());
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-t", "t", "-p"]).output().unwrap().stdout).into_owned()
    }

    /// Waits (up to 20 s) until the screen contains `text`; returns the screen.
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "never saw {text:?}; screen:\n{s}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn alive(&self) -> bool {
        self.tmux(&["has-session", "-t", "t"]).output().is_ok_and(|o| o.status.success())
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]).output();
    }
}

// What a student sees: the DR topology and the first step; ten steps forward and three
// back land on step 7 (the position shown in the events title); Tab twice shows the
// director's ipvsadm listing; a breakpoint typed with `b` and `c` stops on the router's
// ARP reply for the VIP; `q` quits and the process ends.
#[test]
#[ignore = "needs tmux: .ci/run runs it with --ignored"]
fn student_session_in_a_real_terminal() {
    let t = Tmux::start("session", &["tui", "dr", "--lang", "en"]);
    let s = t.wait_for("step 0/");
    assert!(s.contains("topology") && s.contains("client1") && s.contains("director"), "{s}");
    t.keys(&["j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "k", "k", "k"]);
    t.wait_for("step 7/");
    t.keys(&["Tab", "Tab"]);
    t.wait_for("director$ ipvsadm -Ln");
    t.keys(&["b"]);
    t.literal("arp.opcode == 2 && host == router && arp.src.proto_ipv4 == 10.0.0.100");
    t.keys(&["Enter", "c"]);
    let s = t.wait_for("breakpoint: arp.opcode == 2");
    // The selected step is the router receiving the director's is-at for the VIP; the
    // tables panel (host of the selected step) now shows the router's cache.
    assert!(s.contains("router$ ip neigh"), "{s}");
    t.keys(&["q"]);
    let start = Instant::now();
    while t.alive() {
        assert!(start.elapsed() < Duration::from_secs(10), "lvsim did not quit:\n{}", t.screen());
        std::thread::sleep(Duration::from_millis(50));
    }
}

// In Chinese, the same screen speaks the course notes' terms.
#[test]
#[ignore = "needs tmux: .ci/run runs it with --ignored"]
fn chinese_interface() {
    let t = Tmux::start("zh", &["tui", "nat", "--lang", "zh"]);
    let s = t.wait_for("步骤 0/");
    assert!(s.contains("拓扑") && s.contains("调度器") && s.contains("真实服务器"), "{s}");
    t.keys(&["q"]);
}

// A scenario with a mistake prints the error and exits 1 before the terminal is touched.
#[test]
fn bad_scenario_is_an_error_not_a_crash() {
    let dir = std::env::temp_dir().join(format!("lvsim-tui-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("bad.ron");
    std::fs::write(&f, "Scenario(about: 1)").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lvsim"))
        .env("LC_ALL", "C")
        .args(["tui", f.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.ron"), "{err}");
}
