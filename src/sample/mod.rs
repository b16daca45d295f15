//! `pmtrace sample`: writes a realistic multi-source outage bundle, deterministically, with
//! the answer key (`truth.json`) beside the logs. Used to test and demonstrate the analysis
//! on logs whose ground truth is known; `docs/sample-bundles.md` describes the bundles.
//!
//! - [`plan`]: what a (scenario, scale, seed) bundle holds and when things happen;
//! - [`traffic`]: the site's requests, second by second; [`scenarios`]: what each outage does
//!   to them and the lines its cause and fix write; [`noise`]: the harmless background;
//! - one writer per log format ([`haproxy`], [`alb`], [`nginx`], [`postgres`], [`mysql`],
//!   [`app`], [`syslog`]), and [`output`] for ordering, buffering, gzip and rotation;
//! - [`truth`]: truth.json, computed from the edge lines as written; [`bundle`] drives it all.

pub mod alb;
pub mod app;
pub mod bundle;
pub mod edge;
pub mod fmt;
pub mod haproxy;
pub mod mysql;
pub mod nginx;
pub mod noise;
pub mod output;
pub mod plan;
pub mod postgres;
pub mod rng;
pub mod scenarios;
pub mod scripts;
pub mod syslog;
pub mod traffic;
pub mod truth;

pub use bundle::write_bundle;
pub use plan::Scenario;
pub use truth::Truth;
