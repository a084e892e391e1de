//! The language of what lvsim says to people: English or Chinese (the course notes are in
//! Chinese). `--lang` chooses; without it the locale does (`LC_ALL`, `LC_MESSAGES`, then
//! `LANG`, as gettext reads them): a value starting with `zh` means Chinese.

/// A UI language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// The language the locale asks for.
    pub fn from_env() -> Lang {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Lang::from_locale(var("LC_ALL").or_else(|| var("LC_MESSAGES")).or_else(|| var("LANG")).as_deref())
    }

    /// The language of a locale string such as `zh_CN.UTF-8` or `en_US.UTF-8`.
    pub fn from_locale(locale: Option<&str>) -> Lang {
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

    pub const fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The locale decides only by its language part: zh_CN and zh_TW are Chinese; C, POSIX,
    // en_US and an unset locale are English.
    #[test]
    fn locale_language() {
        assert_eq!(Lang::from_locale(Some("zh_CN.UTF-8")), Lang::Zh);
        assert_eq!(Lang::from_locale(Some("zh_TW")), Lang::Zh);
        for l in [Some("C"), Some("POSIX"), Some("en_US.UTF-8"), None] {
            assert_eq!(Lang::from_locale(l), Lang::En, "{l:?}");
        }
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
}
