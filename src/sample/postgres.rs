//! Writes PostgreSQL's stderr log with `log_line_prefix = '%m [%p] %q%u@%d '`: the
//! postmaster's and background processes' lines without a session, and the sessions' slow
//! statements (`log_min_duration_statement = 1000`), statement timeouts and refusals.

use super::fmt::{civil, push_date_time, push_fraction, push_ms_us, push_u64};
use super::plan::{Phases, Plan};
use super::traffic::{Fail, Req};

pub const POSTMASTER_PID: u64 = 1021;
pub const CHECKPOINTER_PID: u64 = 1024;

/// `2024-11-14 14:02:11.123 UTC ` (`%m`, the zone as `log_timezone` names it).
pub fn stamp_time(plan: &Plan, buf: &mut Vec<u8>, t: i64) {
    let (zone, offset) = plan.pg_zone;
    let c = civil(t, offset);
    push_date_time(buf, &c, b'-', b' ');
    push_fraction(buf, c.micros, 3);
    buf.push(b' ');
    buf.extend_from_slice(zone.as_bytes());
    buf.push(b' ');
}

/// `%m [%p] `.
pub fn stamp(plan: &Plan, buf: &mut Vec<u8>, t: i64, pid: u64) {
    stamp_time(plan, buf, t);
    buf.push(b'[');
    push_u64(buf, pid);
    buf.extend_from_slice(b"] ");
}

/// A backend's pid for a request: connections are reused, so a small rotating set.
fn backend_pid(r: &Req) -> u64 {
    20_000 + (r.seq.wrapping_mul(7919) % 60) * 37
}

/// The database's state around a restart: refusing while shutting down, then while starting.
fn restarting(ph: &Phases, t: i64) -> Option<&'static str> {
    if t >= ph.fix && t < ph.fix + 6 * super::fmt::SEC {
        Some("the database system is shutting down")
    } else if t >= ph.fix && t < ph.recovered {
        Some("the database system is starting up")
    } else {
        None
    }
}

pub fn key(r: &Req) -> Option<i64> {
    match r.fail {
        Fail::StatementTimeout => Some(r.start + r.db_ms as i64 * 1000),
        Fail::DbRestarting => Some(r.start + 2_000),
        _ if r.db_refusal => Some(r.start + 1_000),
        _ if r.reached_app() && r.db_ms >= 1000 && r.status < 500 => {
            Some(r.start + r.db_ms as i64 * 1000)
        }
        _ => None,
    }
}

pub fn request(plan: &Plan, r: &Req, buf: &mut Vec<u8>) {
    let pid = backend_pid(r);
    let session = |buf: &mut Vec<u8>, t: i64, pid: u64| {
        stamp(plan, buf, t, pid);
        buf.extend_from_slice(b"shop@shop ");
    };
    if r.fail == Fail::DbRestarting {
        let t = r.start + 2_000;
        let msg = plan.phases.as_ref().and_then(|ph| restarting(ph, t));
        session(buf, t, 30_000 + r.seq % 5000);
        buf.extend_from_slice(b"FATAL:  ");
        buf.extend_from_slice(
            msg.unwrap_or("the database system is starting up")
                .as_bytes(),
        );
        buf.push(b'\n');
        return;
    }
    if r.db_refusal {
        session(buf, r.start + 1_000, 30_000 + r.seq % 5000);
        buf.extend_from_slice(b"FATAL:  sorry, too many clients already\n");
        if r.fail != Fail::StatementTimeout {
            return;
        }
    }
    let t = r.start + r.db_ms as i64 * 1000;
    if r.fail == Fail::StatementTimeout {
        session(buf, t, pid);
        buf.extend_from_slice(b"ERROR:  canceling statement due to statement timeout\n");
        session(buf, t, pid);
        buf.extend_from_slice(b"STATEMENT:  ");
        buf.extend_from_slice(r.route().sql.as_bytes());
        buf.push(b'\n');
        return;
    }
    session(buf, t, pid);
    buf.extend_from_slice(b"LOG:  duration: ");
    push_ms_us(buf, r.db_ms as u64 * 1000 + (r.seq * 37) % 1000);
    buf.extend_from_slice(b" ms  execute <unnamed>: ");
    buf.extend_from_slice(r.route().sql.as_bytes());
    buf.push(b'\n');
    // Bound parameters: the first is the request's, later ones small numbers.
    let sql = r.route().sql;
    let params = ["$3", "$2", "$1"]
        .iter()
        .position(|p| sql.contains(p))
        .map_or(0, |i| 3 - i);
    if params > 0 {
        session(buf, t, pid);
        buf.extend_from_slice(b"DETAIL:  parameters: $1 = '");
        r.push_param(buf);
        buf.push(b'\'');
        for n in 2..=params {
            buf.extend_from_slice(b", $");
            push_u64(buf, n as u64);
            buf.extend_from_slice(b" = '1'");
        }
        buf.push(b'\n');
    }
}

/// A checkpoint's completion line as PostgreSQL 16 writes it.
pub fn checkpoint_complete(buffers: u64, secs: u64, kb: u64, lsn: u64) -> String {
    format!(
        "LOG:  checkpoint complete: wrote {buffers} buffers ({}.{}%); 0 WAL file(s) added, 0 removed, {} recycled; write={secs}.{:03} s, sync=0.004 s, total={secs}.{:03} s; sync files={}, longest=0.002 s, average=0.001 s; distance={kb} kB, estimate={} kB; lsn=3/{:08X}, redo lsn=3/{:08X}",
        buffers * 100 / 16384,
        buffers * 1000 / 16384 % 10,
        kb / 16384 + 1,
        buffers % 1000,
        buffers % 1000 + 21,
        buffers / 30 + 3,
        kb + 211,
        lsn,
        lsn.saturating_sub(kb * 1024 / 2),
    )
}
