//! The language of what lvsim says to people: English or Chinese (the course notes are in
//! Chinese). The global `--lang` chooses; without it the locale does (`LC_ALL`, then
//! `LC_MESSAGES`, then `LANG`, the first one set and not empty, as POSIX orders them): a
//! value starting with `zh` means Chinese. `main` reads the environment once and hands the
//! language down; nothing else reads it.

pub mod zh;

/// A UI language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Lang {
    #[default]
    #[value(alias = "english")]
    En,
    #[value(alias = "cn", alias = "chinese", alias = "zh_cn", alias = "zh-cn")]
    Zh,
}

impl Lang {
    /// The language the locale asks for, given a look-up of environment variables
    /// (`main` passes `std::env::var`; tests pass a table).
    pub fn from_locale(var: impl Fn(&str) -> Option<String>) -> Lang {
        let var = |k: &str| var(k).filter(|v| !v.is_empty());
        Lang::of_locale(var("LC_ALL").or_else(|| var("LC_MESSAGES")).or_else(|| var("LANG")).as_deref())
    }

    /// The language of a locale string such as `zh_CN.UTF-8` or `en_US.UTF-8`.
    pub fn of_locale(locale: Option<&str>) -> Lang {
        match locale {
            Some(l) if l.to_ascii_lowercase().starts_with("zh") => Lang::Zh,
            _ => Lang::En,
        }
    }

    /// `zh` or `en` (also `english`, `chinese`, `cn`, `zh_cn`); anything else is `None`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s.to_ascii_lowercase().as_str() {
            "en" | "english" => Some(Lang::En),
            "zh" | "cn" | "chinese" | "zh_cn" | "zh-cn" => Some(Lang::Zh),
            _ => None,
        }
    }

    /// The other language.
    #[must_use]
    pub fn toggle(self) -> Lang {
        match self {
            Lang::En => Lang::Zh,
            Lang::Zh => Lang::En,
        }
    }

    /// `en` or `zh`, whichever is this language's: for one-off words next to the code
    /// that prints them.
    pub const fn pick<'a>(self, en: &'a str, zh: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }

    pub const fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }
}

/// Columns `s` takes in a terminal: CJK characters and full-width punctuation take two.
pub fn width(s: &str) -> usize {
    let wide = |c: char| matches!(u32::from(c), 0x1100..=0x115F | 0x2E80..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6);
    s.chars().map(|c| if wide(c) { 2 } else { 1 }).sum()
}

/// `s` then blanks, to `w` columns (as `{:<w}` does for ASCII).
pub fn pad_end(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

/// Blanks then `s`, to `w` columns (as `{:>w}` does for ASCII).
pub fn pad_start(s: &str, w: usize) -> String {
    format!("{}{s}", " ".repeat(w.saturating_sub(width(s))))
}

/// Words written in both languages, as a scenario holds its `about:` and `notes:`: either
/// `(en: "...", zh: "...")` or a plain string, which then serves both languages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Text {
    pub en: String,
    /// `None` when the file gave one plain string.
    pub zh: Option<String>,
}

impl Text {
    /// The words in `lang` (the English when there is no Chinese).
    pub fn get(&self, lang: Lang) -> &str {
        match (lang, &self.zh) {
            (Lang::Zh, Some(zh)) => zh,
            _ => &self.en,
        }
    }
}

impl std::fmt::Display for Text {
    /// The English (logs, lab scripts and other output that is not for one reader).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.en)
    }
}

impl<'de> serde::Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or (en: \"...\", zh: \"...\")")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text { en: v.to_string(), zh: None })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Text, A::Error> {
                use serde::de::Error;
                let (mut en, mut zh) = (None, None);
                while let Some(k) = m.next_key::<String>()? {
                    let slot = match k.as_str() {
                        "en" => &mut en,
                        "zh" => &mut zh,
                        _ => return Err(A::Error::unknown_field(&k, &["en", "zh"])),
                    };
                    if slot.replace(m.next_value::<String>()?).is_some() {
                        return Err(A::Error::custom(format_args!("`{k}` given twice")));
                    }
                }
                match (en, zh) {
                    (Some(en), Some(zh)) => Ok(Text { en, zh: Some(zh) }),
                    (None, _) => Err(A::Error::missing_field("en")),
                    (_, None) => Err(A::Error::missing_field("zh")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The locale decides only by its language part: zh_CN and zh_TW are Chinese; C, POSIX,
    // en_US and an unset locale are English.
    #[test]
    fn locale_language() {
        assert_eq!(Lang::of_locale(Some("zh_CN.UTF-8")), Lang::Zh);
        assert_eq!(Lang::of_locale(Some("zh_TW")), Lang::Zh);
        assert_eq!(Lang::of_locale(Some("zh")), Lang::Zh);
        for l in [Some("C"), Some("POSIX"), Some("en_US.UTF-8"), None] {
            assert_eq!(Lang::of_locale(l), Lang::En, "{l:?}");
        }
    }

    // POSIX order: LC_ALL overrides LC_MESSAGES, which overrides LANG; an empty variable
    // counts as unset. Each case sets two variables to different languages, so the answer
    // shows which one was read.
    #[test]
    fn locale_variables_in_posix_order() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_string())
        };
        assert_eq!(Lang::from_locale(env(&[("LC_ALL", "C"), ("LANG", "zh_CN.UTF-8")])), Lang::En);
        assert_eq!(Lang::from_locale(env(&[("LC_ALL", ""), ("LANG", "zh_CN.UTF-8")])), Lang::Zh);
        assert_eq!(Lang::from_locale(env(&[("LC_MESSAGES", "zh_TW"), ("LANG", "en_US")])), Lang::Zh);
        assert_eq!(Lang::from_locale(env(&[("LC_ALL", "en_US.UTF-8"), ("LC_MESSAGES", "zh_CN")])), Lang::En);
        assert_eq!(Lang::from_locale(env(&[])), Lang::En);
    }

    // `--lang` words: the two codes and their spelled-out forms parse, anything else is
    // refused (the caller then says what it expected).
    #[test]
    fn parse_words() {
        assert_eq!(Lang::parse("zh"), Some(Lang::Zh));
        assert_eq!(Lang::parse("Chinese"), Some(Lang::Zh));
        assert_eq!(Lang::parse("EN"), Some(Lang::En));
        assert_eq!(Lang::parse("fr"), None);
    }

    // Both spellings of a bilingual text read from RON: a plain string serves both
    // languages; the pair gives each its own; a pair without `zh` is refused, so a
    // half-translated title cannot pass for a translated one.
    #[test]
    fn text_from_ron() {
        let plain: Text = ron::from_str(r#""DR""#).unwrap();
        assert_eq!((plain.get(Lang::En), plain.get(Lang::Zh)), ("DR", "DR"));
        let both: Text = ron::from_str(r#"(en: "DR", zh: "直接路由")"#).unwrap();
        assert_eq!((both.get(Lang::En), both.get(Lang::Zh)), ("DR", "直接路由"));
        assert!(ron::from_str::<Text>(r#"(en: "DR")"#).is_err());
        assert!(ron::from_str::<Text>(r#"(en: "DR", zh: "x", fr: "y")"#).is_err());
    }

    // Padding counts columns, not characters: a Chinese heading padded to 8 takes 8
    // columns like an English one (服务器 is 3 characters, 6 columns).
    #[test]
    fn padding_counts_columns() {
        assert_eq!(pad_end("服务器", 8), "服务器  ");
        assert_eq!(pad_start("份额", 7), "   份额");
        assert_eq!(pad_start("share", 7), format!("{:>7}", "share"));
        assert_eq!(width("（学生：alice）"), 4 * 2 + 5 + 2);
    }
}
