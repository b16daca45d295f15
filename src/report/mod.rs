//! Reports: rendering results for people (text) and for programs (JSON).

pub mod inputs;
pub mod postmortem;
pub mod safe_text;
pub mod timeline;
