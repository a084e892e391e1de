//! `lvsim import` through the binary, as a user runs it: the written scenario passes
//! `lvsim check` and `lvsim verify`, the `ipvsadm -S -n` round trip goes through the real
//! commands, and a bad file exits with status 1 and a file:line:col message.

use std::path::Path;
use std::process::{Command, Output};

fn lvsim(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lvsim"))
        .args(args)
        .current_dir(dir)
        .env("LANG", "C")
        .env("LC_ALL", "C")
        .output()
        .unwrap()
}

fn tmp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("lvsim-import-e2e-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

// The three commands a user runs in turn: import writes the file (and says so on stderr),
// check and verify accept it with status 0.
#[test]
fn imported_keepalived_passes_check_and_verify() {
    let d = tmp("ka");
    std::fs::write(
        d.join("keepalived.conf"),
        "virtual_server 10.0.0.100 80 {\n  lb_algo rr\n  lb_kind DR\n  real_server 10.0.0.11 80 { TCP_CHECK { } }\n  real_server 10.0.0.12 80 { TCP_CHECK { } }\n}\n",
    )
    .unwrap();
    let o = lvsim(&d, &["import", "keepalived", "keepalived.conf", "--out", "s.ron"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(String::from_utf8_lossy(&o.stderr), "wrote s.ron\n");
    for cmd in ["check", "verify"] {
        let o = lvsim(&d, &[cmd, "s.ron"]);
        assert!(
            o.status.success(),
            "{cmd}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&d);
}

// Export, import, export again with the commands themselves: `lvsim ipvsadm tun -- -S -n`
// gives the rules, `lvsim import ipvsadm-save` a scenario on stdout, and that scenario's
// `-S -n` listing is the same text byte for byte.
#[test]
fn ipvsadm_save_round_trip_through_the_binary() {
    let d = tmp("save");
    let first = lvsim(&d, &["ipvsadm", "tun", "--", "-S", "-n"]);
    assert!(first.status.success());
    std::fs::write(d.join("rules.txt"), &first.stdout).unwrap();
    let imported = lvsim(&d, &["import", "ipvsadm-save", "rules.txt"]);
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));
    std::fs::write(d.join("s.ron"), &imported.stdout).unwrap();
    let again = lvsim(&d, &["ipvsadm", "s.ron", "--", "-S", "-n"]);
    assert_eq!(String::from_utf8_lossy(&again.stdout), String::from_utf8_lossy(&first.stdout));
    let _ = std::fs::remove_dir_all(&d);
}

// A misspelt keyword: exit status 1, the message starts at its place (line 2, column 3),
// no panic, and no scenario file is left behind.
#[test]
fn a_bad_file_fails_with_its_place_and_status_1() {
    let d = tmp("bad");
    std::fs::write(d.join("ka.conf"), "virtual_server 10.0.0.100 80 {\n  lb_kindd DR\n}\n").unwrap();
    let o = lvsim(&d, &["import", "keepalived", "ka.conf", "--out", "s.ron"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("ka.conf:2:3: expected a keyword of virtual_server"), "{err}");
    assert!(err.contains("did you mean lb_kind?"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!d.join("s.ron").exists());
    let o = lvsim(&d, &["import", "ipvsadm-save", "missing.txt"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).starts_with("error: cannot read missing.txt: "));
    let _ = std::fs::remove_dir_all(&d);
}
