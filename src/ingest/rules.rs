//! `--log-format [GLOB=]NAME` (forcing a format instead of detecting it) and `--host
//! [GLOB=]NAME` (naming the host of files whose lines do not).

use crate::format::{self, Format};
use crate::input::{PathRule, PathRules};
use std::path::Path;

/// One `--log-format` argument.
pub type FormatRule = PathRule<&'static Format>;
/// All `--log-format` rules; the last one matching a file wins.
pub type FormatRules = PathRules<&'static Format>;

impl PathRule<&'static Format> {
    /// Parses `NAME` or `GLOB=NAME`.
    pub fn parse(arg: &str) -> Result<FormatRule, String> {
        PathRule::parse_with(arg, "--log-format", |name| {
            format::by_name(name).ok_or_else(|| {
                let names: Vec<&str> = format::ALL
                    .iter()
                    .map(|f| f.name)
                    .chain([format::FALLBACK.name])
                    .collect();
                format!(
                    "unknown log format '{name}'; known formats: {}",
                    names.join(", ")
                )
            })
        })
    }
}

impl PathRules<&'static Format> {
    pub fn format_for(&self, path: &str) -> Option<&'static Format> {
        self.value_for(Path::new(path)).copied()
    }
}

/// One `--host` argument: the host a file's lines came from, when they do not say.
pub type HostRule = PathRule<String>;
/// All `--host` rules; the last one matching a file wins.
pub type HostRules = PathRules<String>;

impl PathRule<String> {
    /// Parses `NAME` or `GLOB=NAME`.
    pub fn parse(arg: &str) -> Result<HostRule, String> {
        PathRule::parse_with(arg, "--host", |name| {
            if name.is_empty() || name.chars().any(|c| c.is_control() || c.is_whitespace()) {
                Err(format!("bad host name '{name}' in --host"))
            } else {
                Ok(name.to_string())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forced_formats_by_glob() {
        let rules = FormatRules::new(vec![
            FormatRule::parse("generic").unwrap(),
            FormatRule::parse("*access*=combined").unwrap(),
        ]);
        assert_eq!(
            rules.format_for("logs/access.log").map(|f| f.name),
            Some("combined")
        );
        assert_eq!(
            rules.format_for("logs/app.log").map(|f| f.name),
            Some("generic")
        );
        assert!(FormatRules::default().format_for("x").is_none());
        assert!(HostRule::parse("web-1").is_ok());
        assert!(HostRule::parse("*=two words").is_err());
        let err = FormatRule::parse("*.log=nope").unwrap_err();
        assert!(err.contains("nope") && err.contains("combined"));
    }
}
