//! Per-file settings from the command line: `VALUE` for every file, or `GLOB=VALUE` for the
//! files whose path, or a trailing part of it, matches the glob (`--tz`, `--log-format`, `--host`). The last
//! matching rule wins, so a general rule can come first and exceptions after it.

use globset::{Glob, GlobMatcher};
use std::path::Path;

/// One `[GLOB=]VALUE` argument.
#[derive(Clone, Debug)]
pub struct PathRule<T> {
    glob: Option<GlobMatcher>,
    value: T,
}

impl<T> PathRule<T> {
    /// Parses `[GLOB=]VALUE`, reading the value with `value`; errors name `option`.
    pub fn parse_with(
        arg: &str,
        option: &str,
        value: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<PathRule<T>, String> {
        let (glob, text) = match arg.rsplit_once('=') {
            Some((g, v)) => (Some(g), v),
            None => (None, arg),
        };
        let glob = glob
            .map(|g| {
                Glob::new(g)
                    .map(|g| g.compile_matcher())
                    .map_err(|e| format!("bad file glob '{g}' in {option}: {e}"))
            })
            .transpose()?;
        Ok(PathRule {
            glob,
            value: value(text.trim())?,
        })
    }

    /// A glob matches the whole path or any trailing part of it (`web1/*` matches
    /// `/srv/bundle/web1/access.log`), so rules need not spell out where the bundle lives.
    fn matches(&self, path: &Path) -> bool {
        let Some(m) = &self.glob else { return true };
        let mut tail = path.components();
        loop {
            if m.is_match(tail.as_path()) {
                return true;
            }
            if tail.next().is_none() {
                return false;
            }
        }
    }
}

/// All the rules given for one option.
#[derive(Clone, Debug)]
pub struct PathRules<T> {
    rules: Vec<PathRule<T>>,
}

impl<T> Default for PathRules<T> {
    fn default() -> PathRules<T> {
        PathRules { rules: Vec::new() }
    }
}

impl<T> PathRules<T> {
    pub fn new(rules: Vec<PathRule<T>>) -> PathRules<T> {
        PathRules { rules }
    }

    /// The value of the last rule that matches `path`, if any.
    pub fn value_for(&self, path: &Path) -> Option<&T> {
        self.rules
            .iter()
            .rev()
            .find(|r| r.matches(path))
            .map(|r| &r.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(arg: &str) -> PathRule<String> {
        PathRule::parse_with(arg, "--x", |v| Ok(v.to_string())).unwrap()
    }

    #[test]
    fn last_matching_rule_wins_by_path_or_file_name() {
        let rules = PathRules::new(vec![
            rule("all"),
            rule("*error*=errors"),
            rule("logs/db/*=db"),
        ]);
        assert_eq!(
            rules.value_for(Path::new("x/nginx/error.log")).unwrap(),
            "errors"
        );
        assert_eq!(
            rules.value_for(Path::new("logs/db/error.log")).unwrap(),
            "db"
        );
        assert_eq!(rules.value_for(Path::new("access.log")).unwrap(), "all");
        assert_eq!(
            rules
                .value_for(Path::new("/srv/bundle/logs/db/x.log"))
                .unwrap(),
            "db"
        );
        // A tail is whole components: `b/*` does not match `ab/x`.
        let tail = PathRules::new(vec![rule("b/*=yes")]);
        assert!(tail.value_for(Path::new("/a/ab/x")).is_none());
        assert!(tail.value_for(Path::new("/a/b/x")).is_some());
        assert!(
            PathRules::<String>::default()
                .value_for(Path::new("x"))
                .is_none()
        );
    }

    #[test]
    fn bad_globs_and_values_are_named() {
        let err = PathRule::parse_with("a[=b", "--tz", |v| Ok(v.to_string())).unwrap_err();
        assert!(err.contains("--tz") && err.contains("a["), "{err}");
        let err =
            PathRule::<String>::parse_with("*=v", "--x", |_| Err("no good".into())).unwrap_err();
        assert_eq!(err, "no good");
    }
}
