//! Writes one bundle: the plan's files, the scripted lines, two passes over the traffic (the
//! first finds the incident window for truth, the second writes), and truth.json.

use super::alb;
use super::app;
use super::edge;
use super::fmt::{SEC, civil, push_date_time};
use super::haproxy;
use super::mysql;
use super::nginx;
use super::noise;
use super::output::{LogFile, Mark, MarkedLine, Marks, Rec};
use super::plan::{AppStyle, Db, Lb, Plan, Scenario};
use super::postgres;
use super::scenarios::{self, Target};
use super::syslog;
use super::traffic::{Req, Traffic};
use super::truth::{FileEntry, Tally, Truth, is_incident_hit};
use std::io;
use std::path::Path;

/// The writer behind a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Writer {
    Haproxy,
    Alb,
    NginxAccess,
    NginxError,
    Postgres,
    MysqlError,
    MysqlSlow,
    App,
    Syslog,
}

impl Writer {
    /// The format pmtrace detects, and its source kind.
    fn format(self, plan: &Plan) -> (&'static str, &'static str) {
        match self {
            Writer::Haproxy => ("haproxy", "load_balancer"),
            Writer::Alb => ("aws_alb", "load_balancer"),
            Writer::NginxAccess => ("nginx_timed", "web"),
            Writer::NginxError => ("nginx_error", "web"),
            Writer::Postgres => ("postgres", "database"),
            Writer::MysqlError => ("mysql_error", "database"),
            Writer::MysqlSlow => ("mysql_slow", "database"),
            Writer::App if plan.app == AppStyle::Json => ("json", "application"),
            Writer::App => ("java", "application"),
            Writer::Syslog => ("syslog", "system"),
        }
    }

    fn target(self) -> Option<Target> {
        Some(match self {
            Writer::Haproxy => Target::Lb,
            Writer::NginxError => Target::NginxError,
            Writer::Postgres | Writer::MysqlError => Target::Db,
            Writer::MysqlSlow => Target::DbSlow,
            Writer::App => Target::App,
            Writer::Syslog => Target::Syslog,
            Writer::Alb | Writer::NginxAccess => return None,
        })
    }

    /// When this log writes a line for the request, if it does.
    fn key(self, plan: &Plan, r: &Req) -> Option<i64> {
        match self {
            Writer::Haproxy => Some(haproxy::key(r)),
            Writer::Alb => Some(alb::key(r)),
            Writer::NginxAccess => nginx::access_key(plan, r),
            Writer::NginxError => nginx::error_key(plan, r),
            Writer::Postgres => postgres::key(r),
            Writer::MysqlSlow => mysql::slow_key(r),
            Writer::App => app::key(plan, r),
            Writer::MysqlError | Writer::Syslog => None,
        }
    }

    fn request(self, plan: &Plan, r: &Req, buf: &mut Vec<u8>) -> Mark {
        match self {
            Writer::Haproxy => haproxy::request(plan, r, buf),
            Writer::Alb => alb::request(plan, r, buf),
            Writer::NginxAccess => nginx::access_request(plan, r, buf),
            Writer::NginxError => return nginx::error_request(plan, r, buf),
            Writer::Postgres => postgres::request(plan, r, buf),
            Writer::MysqlSlow => mysql::slow_request(plan, r, buf),
            Writer::App => app::request(plan, r, buf),
            Writer::MysqlError | Writer::Syslog => {}
        }
        Mark::None
    }

    /// What precedes a scripted line's body.
    fn stamp(self, plan: &Plan, t: i64, buf: &mut Vec<u8>) {
        match self {
            Writer::Haproxy => haproxy::stamp(buf, t),
            Writer::NginxError => push_date_time(buf, &civil(t, 0), b'/', b' '),
            Writer::Postgres => postgres::stamp_time(plan, buf, t),
            Writer::MysqlError => mysql::stamp(plan, buf, t),
            Writer::App => app::stamp(plan, buf, t),
            Writer::Syslog => syslog::stamp(plan, buf, t),
            Writer::Alb | Writer::NginxAccess | Writer::MysqlSlow => {}
        }
    }
}

struct Out {
    writer: Writer,
    file: LogFile,
    edge: bool,
}

/// The files of a plan, in the order truth.json lists them.
fn layout(plan: &Plan, root: &Path) -> Vec<Out> {
    let mut outs = Vec::new();
    // Small bundles are committed and compress well; big ones must be written at disk speed.
    let level = if plan.scale <= 10 { 6 } else { 1 };
    let mut add = |writer: Writer, rel: String, rotate: Option<i64>, edge: bool| {
        // ALB delivers its access logs gzip-compressed.
        let gzip = writer == Writer::Alb;
        outs.push(Out {
            writer,
            file: LogFile::new(root, &rel, rotate, gzip, level),
            edge,
        });
    };
    match plan.lb {
        Lb::Haproxy => add(Writer::Haproxy, "lb1/haproxy.log".into(), None, true),
        Lb::Alb => add(Writer::Alb, "alb/access.log".into(), None, true),
        Lb::None => {}
    }
    let web = plan.nginx_host();
    if plan.nginx_access {
        // As the edge it is the busiest log: rotated by size, its older part compressed.
        let edge = plan.lb == Lb::None;
        let rotate = edge.then_some(plan.rotate_at);
        add(
            Writer::NginxAccess,
            format!("{web}/nginx/access.log"),
            rotate,
            edge,
        );
    }
    add(
        Writer::NginxError,
        format!("{web}/nginx/error.log"),
        None,
        false,
    );
    add(
        Writer::App,
        format!("{}/app.log", plan.focus_host()),
        Some(plan.rotate_at),
        false,
    );
    match plan.db {
        Db::Postgres => add(Writer::Postgres, "db1/postgresql.log".into(), None, false),
        Db::Mysql => {
            add(
                Writer::MysqlError,
                "db1/mysql/error.log".into(),
                None,
                false,
            );
            add(Writer::MysqlSlow, "db1/mysql/slow.log".into(), None, false);
        }
    }
    add(Writer::Syslog, "loghost/syslog".into(), None, false);
    outs
}

/// The first and last incident hit at the edge: a pass over the traffic that writes nothing.
fn find_window(plan: &Plan) -> Option<(i64, i64)> {
    plan.phases?;
    let mut traffic = Traffic::new();
    let mut reqs = Vec::new();
    let mut window: Option<(i64, i64)> = None;
    let mut sec = plan.start;
    while sec < plan.end {
        reqs.clear();
        traffic.second(plan, sec, &mut reqs);
        for r in reqs.iter().filter(|r| is_incident_hit(plan, r)) {
            let t = edge::time(plan, r);
            window = Some(window.map_or((t, t), |(a, b)| (a.min(t), b.max(t))));
        }
        sec += SEC;
    }
    window
}

/// Writes everything queued in `out` before `until`.
fn drain(plan: &Plan, out: &mut Out, until: i64, marks: &mut Marks) -> io::Result<()> {
    while let Some((key, rec)) = out.file.pop_before(until) {
        // Render straight into the file's buffer: no copy per line.
        let start = out.file.begin(key)?;
        let buf = &mut out.file.buf;
        let mark = match rec {
            Rec::Req(r) => out.writer.request(plan, &r, buf),
            Rec::Text { body, mark } => {
                out.writer.stamp(plan, key, buf);
                buf.extend_from_slice(body.as_bytes());
                buf.push(b'\n');
                mark
            }
        };
        if buf.len() == start {
            continue;
        }
        let line = out.file.commit(start);
        if mark != Mark::None {
            let written = &out.file.buf[start..];
            let first = &written[..memchr::memchr(b'\n', written).unwrap_or(written.len())];
            marks.note(
                mark,
                MarkedLine {
                    time: key,
                    file: out.file.current_rel().to_string(),
                    line,
                    text: String::from_utf8_lossy(first).into_owned(),
                },
            );
        }
        out.file.flush_if_full()?;
    }
    Ok(())
}

/// Writes the bundle for `scenario` at `scale` and `seed` into `out` (created if needed) and
/// returns its truth, which is also written as `out/truth.json`. The same arguments always
/// give byte-identical files.
pub fn write_bundle(scenario: Scenario, out: &Path, scale: u64, seed: u64) -> io::Result<Truth> {
    let plan = Plan::new(scenario, scale, seed);
    let window = find_window(&plan);
    std::fs::create_dir_all(out)?;
    let mut outs = layout(&plan, out);
    let mut scripted = scenarios::script(&plan);
    scripted.extend(noise::script(&plan));
    for s in scripted {
        if let Some(o) = outs
            .iter_mut()
            .find(|o| o.writer.target() == Some(s.target))
        {
            o.file.push(
                s.time,
                Rec::Text {
                    body: s.body,
                    mark: s.mark,
                },
            );
        }
    }
    let mut tally = Tally::new(window);
    let mut traffic = Traffic::new();
    let mut reqs = Vec::new();
    let mut marks = Marks::default();
    let mut sec = plan.start;
    while sec < plan.end {
        reqs.clear();
        traffic.second(&plan, sec, &mut reqs);
        for r in &reqs {
            tally.add(&plan, r);
            for o in outs.iter_mut() {
                if let Some(key) = o.writer.key(&plan, r) {
                    o.file.push(key, Rec::Req(*r));
                }
            }
        }
        sec += SEC;
        // Nothing generated from now on can be logged before `sec`.
        for o in outs.iter_mut() {
            drain(&plan, o, sec, &mut marks)?;
        }
    }
    let mut files = Vec::new();
    for o in outs.iter_mut() {
        drain(&plan, o, i64::MAX, &mut marks)?;
        o.file.finish()?;
        let (format, source) = o.writer.format(&plan);
        for w in &o.file.written {
            files.push(FileEntry {
                path: w.rel.clone(),
                format: format.to_string(),
                source: source.to_string(),
                compression: if w.gzip { "gzip" } else { "none" }.to_string(),
                lines: w.lines,
                edge: o.edge,
            });
        }
    }
    let truth = tally.finish(&plan, files, marks.cause, marks.mitigation);
    let mut json = serde_json::to_string_pretty(&truth).map_err(io::Error::other)?;
    json.push('\n');
    std::fs::write(out.join("truth.json"), json)?;
    Ok(truth)
}
