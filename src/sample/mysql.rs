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

/// The statement with its parameters filled in, as the slow log shows what was run: `$1` is
/// the request's parameter, later ones small numbers.
fn push_sql(buf: &mut Vec<u8>, sql: &str, r: &Req) {
    let mut rest = sql;
    while let Some(i) = rest.find('$') {
        buf.extend_from_slice(&rest.as_bytes()[..i]);
        let digits = rest[i + 1..].bytes().take_while(u8::is_ascii_digit).count();
        if &rest[i + 1..i + 1 + digits] == "1" {
            let quote = r.param_is_text();
            if quote {
                buf.push(b'\'');
            }
            r.push_param(buf);
            if quote {
                buf.push(b'\'');
            }
        } else {
            push_u64(buf, 1);
        }
        rest = &rest[i + 1 + digits..];
    }
    buf.extend_from_slice(rest.as_bytes());
}

/// MySQL's spelling of a route's statement where it differs from PostgreSQL's.
fn mysql_sql(r: &Req) -> &'static str {
    let sql = r.route().sql;
    if sql.contains("to_tsvector") {
        "SELECT id, name FROM products WHERE MATCH(name, description) AGAINST ($1 IN NATURAL LANGUAGE MODE) LIMIT 50"
    } else {
        sql
    }
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
    push_sql(buf, mysql_sql(r), r);
    buf.extend_from_slice(b";\n");
}

/// The slow log's header, written again by every server start.
pub const SLOW_HEADER: &str = "/usr/sbin/mysqld, Version: 8.0.40 (MySQL Community Server - GPL). started with:\nTcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\nTime                 Id Command    Argument";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::plan::Scenario;
    use crate::sample::traffic::Traffic;

    #[test]
    fn slow_entries_fill_in_parameters_and_speak_mysql() {
        let plan = Plan::new(Scenario::Healthy, 200, 2);
        let mut reqs = Vec::new();
        Traffic::new().second(&plan, plan.start + 3_600_000_000, &mut reqs);
        let mut search = *reqs
            .iter()
            .find(|r| r.route().path.starts_with("/api/search"))
            .unwrap();
        search.db_ms = 1_500;
        let mut b = Vec::new();
        slow_request(&plan, &search, &mut b);
        let text = String::from_utf8(b).unwrap();
        assert!(text.starts_with("# Time: 2024-11-14T"), "{text}");
        assert!(text.contains("AGAINST ('") && !text.contains('$'), "{text}");
        assert_eq!(text.lines().count(), 6, "{text}");
        let mut b = Vec::new();
        push_sql(&mut b, "UPDATE t SET a = a - $1 WHERE id = $2", &reqs[0]);
        assert!(!String::from_utf8(b).unwrap().contains('$'));
    }
}
