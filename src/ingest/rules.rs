//! `--log-format NAME` and `--log-format GLOB=NAME`: forcing a format instead of detecting it.

use crate::format::{self, Format};
use globset::{Glob, GlobMatcher};
use std::path::Path;

#[derive(Clone, Debug)]
pub struct FormatRule {
    glob: Option<GlobMatcher>,
    format: &'static Format,
}

impl FormatRule {
    pub fn parse(arg: &str) -> Result<FormatRule, String> {
        let (glob, name) = match arg.rsplit_once('=') {
            Some((g, n)) => (Some(g), n),
            None => (None, arg),
        };
        let format = format::by_name(name.trim()).ok_or_else(|| {
            let names: Vec<&str> = format::ALL
                .iter()
                .map(|f| f.name)
                .chain([format::FALLBACK.name])
                .collect();
            format!(
                "unknown log format '{name}'; known formats: {}",
                names.join(", ")
            )
        })?;
        let glob = glob
            .map(|g| {
                Glob::new(g)
                    .map(|g| g.compile_matcher())
                    .map_err(|e| format!("bad file glob '{g}' in --log-format: {e}"))
            })
            .transpose()?;
        Ok(FormatRule { glob, format })
    }
}

/// All `--log-format` rules; the last one matching a file wins.
#[derive(Clone, Debug, Default)]
pub struct FormatRules {
    rules: Vec<FormatRule>,
}

impl FormatRules {
    pub fn new(rules: Vec<FormatRule>) -> FormatRules {
        FormatRules { rules }
    }

    pub fn format_for(&self, path: &str) -> Option<&'static Format> {
        let path = Path::new(path);
        let name = path.file_name().map(Path::new);
        self.rules
            .iter()
            .rev()
            .find(|r| match &r.glob {
                None => true,
                Some(m) => m.is_match(path) || name.is_some_and(|n| m.is_match(n)),
            })
            .map(|r| r.format)
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
        let err = FormatRule::parse("*.log=nope").unwrap_err();
        assert!(err.contains("nope") && err.contains("combined"));
    }
}
