//! Lines for the formats' tests: samples mangled at structural bytes, and the real logs in
//! `../shared/reallogs` (never copied into the project), read where that folder is present.

/// `sample` with the bytes at some positions replaced: input for the web formats' property tests
/// that no line, however mangled, makes a parser panic.
pub(crate) fn mangle(sample: &str, edits: &[(usize, u8)]) -> Vec<u8> {
    let mut bytes = sample.as_bytes().to_vec();
    for &(pos, byte) in edits {
        if !bytes.is_empty() {
            let at = pos % bytes.len();
            bytes[at] = byte;
        }
    }
    bytes
}

/// Bytes that matter to the web formats' layouts, for mangling samples.
pub(crate) const STRUCTURAL: &[u8] = b" :/[](){}<>\"\\-+#*.,09aZT\t";

/// Calls `each` with every line of these files under `../shared/reallogs`, saying on stderr
/// which are skipped because they (or the folder) are absent; the number of lines read.
pub(crate) fn for_each_real_line(files: &[&str], mut each: impl FnMut(&[u8])) -> usize {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reallogs");
    if !root.is_dir() {
        eprintln!("skipped: {} is absent", root.display());
        return 0;
    }
    let mut lines = 0;
    for file in files {
        let Ok(text) = std::fs::read(root.join(file)) else {
            eprintln!("skipped: {file} is absent");
            continue;
        };
        for line in text.split(|b| *b == b'\n') {
            lines += 1;
            each(line);
        }
    }
    lines
}
