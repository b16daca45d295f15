//! Writes MySQL 8.0's two logs: the error log (`[System]`/`[Warning]`/`[Note]` lines with
//! their `MY-` codes; `log_error_verbosity = 3`, so notes too) and the slow query log
//! (`long_query_time = 1`), whose multi-line entries come from slow requests.

use super::fmt::{SEC, push_iso, push_u64};
use super::plan::{APP_HOSTS, Plan};
use super::traffic::{Fail, Req};

/// `2024-11-14T14:02:11.123456Z ` (or with the offset under `log_timestamps = SYSTEM`).
pub fn stamp(plan: &Plan, buf: &mut Vec<u8>, t: i64) {
    push_iso(buf, t, plan.mysql_offset, 6, true);
    buf.push(b' ');
}

pub fn slow_key(r: &Req) -> Option<i64> {
    let logged = r.reached_app()
        && r.db_ms >= 1000
        && !matches!(
            r.fail,
            Fail::DbRestarting | Fail::DbRefused | Fail::DbConnectTimeout
        );
    logged.then(|| r.start + r.db_ms as i64 * 1000)
}

/// The statement with its parameters filled in, as the slow log shows what was run.
fn push_sql(buf: &mut Vec<u8>, sql: &str, arg: u32) {
    let mut rest = sql;
    while let Some(i) = rest.find('$') {
        buf.extend_from_slice(&rest.as_bytes()[..i]);
        let digits = rest[i + 1..].bytes().take_while(u8::is_ascii_digit).count();
        push_u64(
            buf,
            if digits > 0 && &rest[i + 1..i + 2] == "1" {
                arg as u64
            } else {
                1
            },
        );
        rest = &rest[i + 1 + digits..];
    }
    buf.extend_from_slice(rest.as_bytes());
}

pub fn slow_request(plan: &Plan, r: &Req, buf: &mut Vec<u8>) {
    let t = r.start + r.db_ms as i64 * 1000;
    buf.extend_from_slice(b"# Time: ");
    push_iso(buf, t, plan.mysql_offset, 6, true);
    buf.extend_from_slice(b"\n# User@Host: shop[shop] @  [");
    super::fmt::push_ipv4(buf, APP_HOSTS[r.backend as usize].1);
    buf.extend_from_slice(b"]  Id: ");
    push_u64(buf, 4000 + r.seq % 900);
    buf.extend_from_slice(b"\n# Query_time: ");
    let us = r.db_ms as u64 * 1000 + (r.seq * 7919) % 1000;
    push_u64(buf, us / 1_000_000);
    buf.push(b'.');
    super::fmt::push_pad(buf, us % 1_000_000, 6);
    buf.extend_from_slice(b"  Lock_time: 0.000004 Rows_sent: ");
    push_u64(buf, 1 + r.seq % 50);
    buf.extend_from_slice(b"  Rows_examined: ");
    push_u64(buf, 48_213 + r.seq % 9000);
    buf.extend_from_slice(b"\nuse shop;\nSET timestamp=");
    push_u64(buf, (t / SEC) as u64);
    buf.extend_from_slice(b";\n");
    push_sql(buf, r.route().sql, r.arg);
    buf.extend_from_slice(b";\n");
}

/// The slow log's header, written again by every server start.
pub const SLOW_HEADER: &str = "/usr/sbin/mysqld, Version: 8.0.40 (MySQL Community Server - GPL). started with:\nTcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\nTime                 Id Command    Argument";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_parameters_are_filled_in() {
        let mut b = Vec::new();
        push_sql(
            &mut b,
            "UPDATE t SET a = a - $1 WHERE id = $2 AND a >= $1",
            7,
        );
        assert_eq!(
            String::from_utf8(b).unwrap(),
            "UPDATE t SET a = a - 7 WHERE id = 1 AND a >= 7"
        );
    }
}
