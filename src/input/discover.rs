//! Turning command-line arguments into the list of inputs: files, directories (recursively),
//! glob patterns the shell did not expand, and `-` for standard input; grouping rotated
//! families (`app.log.2.gz`, `app.log.1`, `app.log`) oldest first so they read as one source.

use globset::GlobBuilder;
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Where an input's bytes come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputPath {
    Stdin,
    /// A regular file, read in parallel chunks (or streamed when compressed).
    File(PathBuf),
    /// A pipe or FIFO named on the command line: read once, front to back.
    Stream(PathBuf),
}

/// One input, as it will be reported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFile {
    /// The path as the user gave it (or as found under a directory they gave); `-` for stdin.
    pub display: String,
    pub path: InputPath,
    /// Inputs with the same family are rotations of one log.
    pub family: String,
}

/// An argument that gave no input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoverError {
    pub arg: String,
    pub message: String,
}

fn has_glob_chars(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Expands the arguments into inputs, in argument order, with each rotated family together and
/// oldest first. Arguments that name nothing readable become errors; the rest still run.
pub fn discover(args: &[String]) -> (Vec<InputFile>, Vec<DiscoverError>) {
    let mut found: Vec<InputFile> = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for arg in args {
        let before = found.len();
        let mut push = |path: InputPath, display: String| {
            if seen.insert(display.clone()) {
                let family = family_of(&display).0;
                found.push(InputFile {
                    display,
                    path,
                    family,
                });
            }
        };
        if arg == "-" {
            push(InputPath::Stdin, "-".to_string());
            continue;
        }
        let path = Path::new(arg);
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                let mut files = Vec::new();
                let mut visited = HashSet::new();
                walk(path, &mut files, &mut visited, &mut errors);
                files.into_iter().for_each(|p| {
                    let display = p.to_string_lossy().into_owned();
                    push(InputPath::File(p), display)
                });
                if found.len() == before && !errors.iter().any(|e| e.arg == *arg) {
                    errors.push(DiscoverError {
                        arg: arg.clone(),
                        message: "directory holds no files".to_string(),
                    });
                }
            }
            Ok(meta) => match classify(path, &meta) {
                Ok(p) => push(p, arg.clone()),
                Err(message) => errors.push(DiscoverError {
                    arg: arg.clone(),
                    message,
                }),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && has_glob_chars(arg) => {
                match expand_glob(arg) {
                    Ok(paths) if !paths.is_empty() => paths.into_iter().for_each(|p| {
                        let display = p.to_string_lossy().into_owned();
                        push(InputPath::File(p), display)
                    }),
                    Ok(_) => errors.push(DiscoverError {
                        arg: arg.clone(),
                        message: "no files match this pattern".to_string(),
                    }),
                    Err(message) => errors.push(DiscoverError {
                        arg: arg.clone(),
                        message,
                    }),
                }
            }
            Err(e) => errors.push(DiscoverError {
                arg: arg.clone(),
                message: io_message(&e),
            }),
        }
    }
    (order_families(found), errors)
}

/// A short, human description of an I/O error (without Rust's "(os error 2)" suffix).
pub fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    }
}

#[cfg(unix)]
fn classify(path: &Path, meta: &fs::Metadata) -> Result<InputPath, String> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_file() {
        Ok(InputPath::File(path.to_path_buf()))
    } else if t.is_fifo() {
        Ok(InputPath::Stream(path.to_path_buf()))
    } else if t.is_char_device() || t.is_block_device() {
        Err(
            "is a device, not a log file (pipe it through `head -c` to read part of it)"
                .to_string(),
        )
    } else {
        Err("is not a regular file".to_string())
    }
}

#[cfg(not(unix))]
fn classify(path: &Path, meta: &fs::Metadata) -> Result<InputPath, String> {
    if meta.is_file() {
        Ok(InputPath::File(path.to_path_buf()))
    } else {
        Err("is not a regular file".to_string())
    }
}

fn dir_id(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

/// What a file that is neither a regular file nor a folder is, in a few words.
#[cfg(unix)]
fn kind_of(meta: &fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn kind_of(_: &fs::Metadata) -> &'static str {
    "a special file"
}

/// The answer key `pmtrace sample` writes beside a generated bundle: not a log, so a walk of
/// the bundle's folder leaves it out (naming it explicitly still reads it).
pub const SAMPLE_TRUTH: &str = "truth.json";

/// The regular files below `dir`, sorted, skipping hidden entries and sample bundles' answer
/// key, and following each real directory once (symlink loops end).
fn walk(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    visited: &mut HashSet<(u64, u64)>,
    errors: &mut Vec<DiscoverError>,
) {
    // A directory is known by its device and inode, not its canonical path: canonicalizing
    // reads every component's link, so a walk 1,000 folders deep took 19 s.
    if let Ok(meta) = fs::metadata(dir)
        && !visited.insert(dir_id(&meta))
    {
        return;
    }
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(DiscoverError {
                arg: dir.to_string_lossy().into_owned(),
                message: io_message(&e),
            });
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect();
    paths.sort();
    for p in paths {
        match fs::metadata(&p) {
            Ok(m) if m.is_dir() => walk(&p, out, visited, errors),
            Ok(m) if m.is_file() && p.file_name().is_none_or(|n| n != SAMPLE_TRUTH) => out.push(p),
            Ok(m) if m.is_file() => {}
            // Sockets, FIFOs and devices inside a folder are not logs (reading one could block
            // forever): skipped, but said so. Broken links are noise.
            Ok(m) => errors.push(DiscoverError {
                arg: p.to_string_lossy().into_owned(),
                message: match kind_of(&m) {
                    "a FIFO" => {
                        "skipped: a FIFO, not a regular file (name it on its own to read it)"
                            .to_string()
                    }
                    kind => format!("skipped: {kind}, not a regular file"),
                },
            }),
            Err(_) => {}
        }
    }
}

/// Expands a glob the shell left alone (quoted, or from a script), `**` included.
fn expand_glob(pattern: &str) -> Result<Vec<PathBuf>, String> {
    let matcher = GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| format!("bad glob pattern: {e}"))?
        .compile_matcher();
    // Walk from the deepest directory named literally before the first glob character.
    let literal: PathBuf = Path::new(pattern)
        .components()
        .take_while(|c| !has_glob_chars(&c.as_os_str().to_string_lossy()))
        .collect();
    let base = if literal.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        literal
    };
    let mut files = Vec::new();
    let mut visited = HashSet::new();
    let mut ignored = Vec::new();
    if base.is_dir() {
        walk(&base, &mut files, &mut visited, &mut ignored);
    }
    let strip_dot = !pattern.starts_with("./");
    Ok(files
        .into_iter()
        .map(|p| match (strip_dot, p.strip_prefix(".")) {
            (true, Ok(rel)) => rel.to_path_buf(),
            _ => p,
        })
        .filter(|p| matcher.is_match(p))
        .collect())
}

/// The family a file belongs to and its age within it (0 = the live file, larger = older).
///
/// Recognises numbered rotations (`app.log.1`, `app.log.2.gz`, logrotate's default) and dated
/// ones (`app.log-20241114`, `app.log.2024-11-14.gz`, logrotate's `dateext`).
pub fn family_of(display: &str) -> (String, u64) {
    let mut name = display;
    for ext in [".gz", ".zst", ".zstd", ".bz2"] {
        if let Some(s) = name.strip_suffix(ext) {
            name = s;
            break;
        }
    }
    // The trailing run of digits and dashes, after a separator: `.1`, `-20241114`, `.2024-11-14`.
    let run_start = name
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit() || *c == '-')
        .last()
        .map_or(name.len(), |(i, _)| i);
    let (mut stem, mut suffix) = name.split_at(run_start);
    if let Some(s) = suffix.strip_prefix('-') {
        suffix = s;
    } else if let Some(s) = stem.strip_suffix(['.', '_']) {
        stem = s;
    } else {
        return (name.to_string(), 0);
    }
    if suffix.is_empty()
        || stem.is_empty()
        || stem.ends_with('/')
        || !suffix.starts_with(|c: char| c.is_ascii_digit())
    {
        return (name.to_string(), 0);
    }
    if suffix.len() <= 4
        && !suffix.contains('-')
        && let Ok(n) = suffix.parse::<u64>()
    {
        return (stem.to_string(), n.saturating_add(1));
    }
    let digits: String = suffix.chars().filter(|c| *c != '-').collect();
    if (8..=14).contains(&digits.len())
        && let Ok(date) = digits.parse::<u64>()
    {
        // Later dates are newer: invert so that older ones sort first.
        return (stem.to_string(), u64::MAX - date);
    }
    (name.to_string(), 0)
}

/// Keeps inputs in the order first seen, but each family together, oldest member first.
fn order_families(found: Vec<InputFile>) -> Vec<InputFile> {
    let mut families: Vec<String> = Vec::new();
    for f in &found {
        if !families.contains(&f.family) {
            families.push(f.family.clone());
        }
    }
    let mut out = Vec::with_capacity(found.len());
    for fam in families {
        let mut members: Vec<&InputFile> = found.iter().filter(|f| f.family == fam).collect();
        // Age 0 is the live file, the newest: it goes last; older rotations first.
        members.sort_by_key(|f| {
            let age = family_of(&f.display).1;
            (age == 0, std::cmp::Reverse(age))
        });
        out.extend(members.into_iter().cloned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_names_share_a_family() {
        assert_eq!(family_of("logs/app.log"), ("logs/app.log".into(), 0));
        assert_eq!(family_of("logs/app.log.1"), ("logs/app.log".into(), 2));
        assert_eq!(family_of("logs/app.log.2.gz"), ("logs/app.log".into(), 3));
        assert_eq!(family_of("logs/app.log-20241114").0, "logs/app.log");
        assert_eq!(family_of("logs/app.log.2024-11-14.gz").0, "logs/app.log");
        assert!(family_of("a.log-20241113").1 > family_of("a.log-20241114").1);
        // A plain number in a name is not a rotation.
        assert_eq!(family_of("logs/kafka1").0, "logs/kafka1");
    }

    #[test]
    fn discovers_dirs_globs_and_orders_families() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for name in [
            "app.log",
            "app.log.1",
            "app.log.2.gz",
            "db.log",
            ".hidden",
            "truth.json",
        ] {
            fs::write(d.join(name), "x\n").unwrap();
        }
        fs::create_dir(d.join("sub")).unwrap();
        fs::write(d.join("sub/other.log"), "x\n").unwrap();
        let (files, errors) = discover(&[d.to_string_lossy().into_owned()]);
        assert!(errors.is_empty(), "{errors:?}");
        let names: Vec<String> = files
            .iter()
            .map(|f| {
                Path::new(&f.display)
                    .strip_prefix(d)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(
            names,
            vec![
                "app.log.2.gz",
                "app.log.1",
                "app.log",
                "db.log",
                "sub/other.log"
            ]
        );

        let pattern = format!("{}/*.log", d.display());
        let (files, errors) = discover(&[pattern]);
        assert!(errors.is_empty());
        assert_eq!(files.len(), 2);

        let (files, errors) =
            discover(&[format!("{}/nope*.log", d.display()), "/no/such/file".into()]);
        assert!(files.is_empty());
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[1].message, "no such file or directory");
    }

    #[cfg(unix)]
    #[test]
    fn devices_are_refused() {
        let (files, errors) = discover(&["/dev/zero".to_string()]);
        assert!(files.is_empty());
        assert!(errors[0].message.contains("device"));
    }
}
