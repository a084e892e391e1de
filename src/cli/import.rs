//! `lvsim import keepalived|ipvsadm-save FILE [--out SCENARIO.ron]`: reads the file, writes
//! the scenario `import::import` infers for it to `--out` or standard output.

use crate::import::{Kind, import};
use crate::lang::Lang;
use std::path::Path;

/// `lvsim import`.
pub fn run(kind: Kind, file: &Path, out: Option<&Path>, lang: Lang) -> Result<(), String> {
    let origin = file.display().to_string();
    let text = std::fs::read(file).map_err(|e| match lang {
        Lang::En => format!("error: cannot read {origin}: {e}\n"),
        Lang::Zh => format!("错误：无法读取 {origin}：{e}\n"),
    })?;
    // A configuration pasted from another system may carry Latin-1 bytes (in comments):
    // keep what can be read, as keepalived does, rather than refuse the file.
    let text = String::from_utf8_lossy(&text);
    let scenario = import(kind, &origin, &text, lang).map_err(|e| e.render_in(lang))?;
    match out {
        Some(path) => {
            std::fs::write(path, scenario).map_err(|e| match lang {
                Lang::En => format!("error: cannot write {}: {e}\n", path.display()),
                Lang::Zh => format!("错误：无法写入 {}：{e}\n", path.display()),
            })?;
            eprintln!("{}{}", lang.pick("wrote ", "已写出 "), path.display());
        }
        None => print!("{scenario}"),
    }
    Ok(())
}
