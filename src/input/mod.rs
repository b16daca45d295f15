//! Input: finding the files to read, opening them, recognising compression, and cutting them
//! into newline-aligned chunks that threads read independently.

pub mod chunk;
pub mod compression;
pub mod discover;
pub mod fifo;
pub mod lines;
pub mod path_rules;

pub use chunk::{DEFAULT_CHUNK, RangeReader, plan_chunks};
pub use compression::Compression;
pub use discover::{DiscoverError, InputFile, InputPath, discover, io_message};
pub use lines::{LineStats, for_each_line};
pub use path_rules::{PathRule, PathRules};
