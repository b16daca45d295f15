//! Writes the Spring Boot application's log on the focus app server, in one of two layouts:
//! logstash-logback-encoder JSON lines, or Spring Boot 3's default console layout with stack
//! traces on the lines after the message. Request-driven lines are the database errors and
//! slow-request warnings of requests that server handled.

use super::fmt::{push_iso, push_json_escaped, push_u64};
use super::plan::{AppStyle, Db, Plan, Scenario};
use super::traffic::{Fail, Req};

pub const SQL_HELPER: &str = "org.hibernate.engine.jdbc.spi.SqlExceptionHelper";
pub const DISPATCHER: &str =
    "org.apache.catalina.core.ContainerBase.[Tomcat].[localhost].[/].[dispatcherServlet]";

/// The app's pid at `t`: the pool scenario restarts it twice.
pub fn pid(plan: &Plan, t: i64) -> u64 {
    match plan.phases {
        Some(ph) if plan.scenario == Scenario::DbPoolExhausted => {
            if t >= ph.fix + 5 * super::fmt::SEC {
                40_312
            } else if t >= ph.change + 5 * super::fmt::SEC {
                31_877
            } else {
                2_817
            }
        }
        _ => 2_817,
    }
}

/// What goes before the body: the time (Java), or the JSON object's opening and time.
pub fn stamp(plan: &Plan, buf: &mut Vec<u8>, t: i64) {
    match plan.app {
        AppStyle::Java => push_iso(buf, t, plan.app_offset, 3, true),
        AppStyle::Json => {
            buf.extend_from_slice(b"{\"@timestamp\":\"");
            push_iso(buf, t, plan.app_offset, 3, true);
            buf.extend_from_slice(b"\",");
        }
    }
}

/// A logger name shortened as logback's `%logger{39}` does: leading packages to initials.
pub fn abbreviate(name: &str, max: usize) -> String {
    let parts: Vec<&str> = name.split('.').collect();
    let mut out: Vec<String> = parts.iter().map(|s| s.to_string()).collect();
    let len = |v: &[String]| v.iter().map(String::len).sum::<usize>() + v.len() - 1;
    for i in 0..parts.len().saturating_sub(1) {
        if len(&out) <= max {
            break;
        }
        out[i] = parts[i]
            .chars()
            .next()
            .map(String::from)
            .unwrap_or_default();
    }
    out.join(".")
}

/// One event's body: level, thread, logger, message and stack lines, in the plan's layout.
pub fn body(
    plan: &Plan,
    pid: u64,
    level: &str,
    thread: &str,
    logger: &str,
    msg: &str,
    stack: &[&str],
) -> String {
    let mut b = Vec::with_capacity(256);
    push_body(plan, &mut b, pid, level, thread, logger, msg, stack);
    String::from_utf8(b).unwrap_or_default()
}

#[allow(clippy::too_many_arguments)]
fn push_body(
    plan: &Plan,
    b: &mut Vec<u8>,
    pid: u64,
    level: &str,
    thread: &str,
    logger: &str,
    msg: &str,
    stack: &[&str],
) {
    match plan.app {
        AppStyle::Java => {
            b.push(b' ');
            for _ in level.len()..5 {
                b.push(b' ');
            }
            b.extend_from_slice(level.as_bytes());
            b.push(b' ');
            push_u64(b, pid);
            b.extend_from_slice(b" --- [shop] [");
            let t = if thread.len() > 15 {
                &thread[thread.len() - 15..]
            } else {
                thread
            };
            for _ in t.len()..15 {
                b.push(b' ');
            }
            b.extend_from_slice(t.as_bytes());
            b.extend_from_slice(b"] ");
            let short = abbreviate(logger, 39);
            b.extend_from_slice(short.as_bytes());
            for _ in short.len()..40 {
                b.push(b' ');
            }
            b.extend_from_slice(b": ");
            b.extend_from_slice(msg.as_bytes());
            for line in stack {
                b.push(b'\n');
                b.extend_from_slice(line.as_bytes());
            }
        }
        AppStyle::Json => {
            b.extend_from_slice(b"\"@version\":\"1\",\"message\":\"");
            push_json_escaped(b, msg);
            b.extend_from_slice(b"\",\"logger_name\":\"");
            b.extend_from_slice(logger.as_bytes());
            b.extend_from_slice(b"\",\"thread_name\":\"");
            b.extend_from_slice(thread.as_bytes());
            b.extend_from_slice(b"\",\"level\":\"");
            b.extend_from_slice(level.as_bytes());
            b.extend_from_slice(b"\",\"level_value\":");
            let value: u64 = match level {
                "ERROR" => 40_000,
                "WARN" => 30_000,
                "INFO" => 20_000,
                _ => 10_000,
            };
            push_u64(b, value);
            if !stack.is_empty() {
                b.extend_from_slice(b",\"stack_trace\":\"");
                for (i, line) in stack.iter().enumerate() {
                    if i > 0 {
                        b.push(b'\n');
                    }
                    b.extend_from_slice(line.as_bytes());
                }
                let start = b.len() - stack.iter().map(|l| l.len() + 1).sum::<usize>() + 1;
                let raw = b.split_off(start);
                push_json_escaped(b, std::str::from_utf8(&raw).unwrap_or(""));
                b.push(b'"');
            }
            b.extend_from_slice(b",\"service\":\"shop\"}");
        }
    }
}

/// When the app writes a line for a request it handled, if it does.
pub fn key(plan: &Plan, r: &Req) -> Option<i64> {
    if r.backend as usize != plan.focus || !r.reached_app() {
        return None;
    }
    match r.fail {
        Fail::DbRefused
        | Fail::DbConnectTimeout
        | Fail::PoolTimeout
        | Fail::StatementTimeout
        | Fail::DbRestarting
        | Fail::PrematureClose => Some((r.end() - 1000).max(r.start)),
        // nginx gave up first; the app finds out when it writes the response.
        Fail::UpstreamTimeout => Some(r.end() + 150_000),
        _ if r.db_refusal => Some(r.start + 1_000),
        _ if r.latency_ms >= 5_000 && r.status < 500 => Some(r.end()),
        _ => None,
    }
}

fn thread(r: &Req) -> String {
    format!("http-nio-8080-exec-{}", 1 + r.seq % 200)
}

/// The database driver's words for a failure, and the stack under the servlet error.
fn db_error(plan: &Plan, r: &Req) -> (String, Vec<&'static str>) {
    let pg = plan.db == Db::Postgres;
    match r.fail {
        Fail::DbRefused if pg => (
            "Connection to db1:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.".into(),
            vec![
                "org.postgresql.util.PSQLException: Connection to db1:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.",
                "\tat org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl(ConnectionFactoryImpl.java:352)",
                "\tat org.postgresql.core.ConnectionFactory.openConnection(ConnectionFactory.java:54)",
                "\tat com.zaxxer.hikari.pool.HikariPool.createPoolEntry(HikariPool.java:476)",
                "Caused by: java.net.ConnectException: Connection refused",
                "\tat java.base/sun.nio.ch.Net.pollConnect(Native Method)",
                "\t... 42 common frames omitted",
            ],
        ),
        Fail::DbRefused | Fail::DbConnectTimeout if !pg => (
            "Communications link failure\n\nThe last packet sent successfully to the server was 0 milliseconds ago. The driver has not received any packets from the server.".into(),
            vec![
                "com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure",
                "\tat com.mysql.cj.jdbc.exceptions.SQLError.createCommunicationsException(SQLError.java:175)",
                "\tat com.mysql.cj.jdbc.ConnectionImpl.createNewIO(ConnectionImpl.java:815)",
                if r.fail == Fail::DbRefused {
                    "Caused by: java.net.ConnectException: Connection refused"
                } else {
                    "Caused by: java.net.SocketTimeoutException: Connect timed out"
                },
                "\tat java.base/sun.nio.ch.NioSocketImpl.timedFinishConnect(NioSocketImpl.java:551)",
                "\t... 38 common frames omitted",
            ],
        ),
        Fail::DbConnectTimeout => (
            "The connection attempt failed.".into(),
            vec![
                "org.postgresql.util.PSQLException: The connection attempt failed.",
                "\tat org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl(ConnectionFactoryImpl.java:354)",
                "\tat com.zaxxer.hikari.pool.HikariPool.createPoolEntry(HikariPool.java:476)",
                "Caused by: java.net.SocketTimeoutException: Connect timed out",
                "\tat java.base/sun.nio.ch.NioSocketImpl.timedFinishConnect(NioSocketImpl.java:551)",
                "\t... 40 common frames omitted",
            ],
        ),
        Fail::PoolTimeout => (
            "HikariPool-1 - Connection is not available, request timed out after 30000ms.".into(),
            vec![
                "java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms.",
                "\tat com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:686)",
                "\tat com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:179)",
                "\tat com.zaxxer.hikari.HikariDataSource.getConnection(HikariDataSource.java:100)",
            ],
        ),
        Fail::StatementTimeout if pg => (
            "ERROR: canceling statement due to statement timeout".into(),
            vec![
                "org.postgresql.util.PSQLException: ERROR: canceling statement due to statement timeout",
                "\tat org.postgresql.core.v3.QueryExecutorImpl.receiveErrorResponse(QueryExecutorImpl.java:2733)",
                "\tat org.postgresql.jdbc.PgPreparedStatement.executeQuery(PgPreparedStatement.java:137)",
            ],
        ),
        Fail::StatementTimeout => (
            "Query execution was interrupted, maximum statement execution time exceeded".into(),
            vec![
                "com.mysql.cj.jdbc.exceptions.MySQLTimeoutException: Query execution was interrupted, maximum statement execution time exceeded",
                "\tat com.mysql.cj.jdbc.exceptions.SQLExceptionsMapping.translateException(SQLExceptionsMapping.java:113)",
                "\tat com.mysql.cj.jdbc.ClientPreparedStatement.executeQuery(ClientPreparedStatement.java:989)",
            ],
        ),
        _ if pg => {
            let starting = plan.phases.is_some_and(|ph| r.start >= ph.fix + 6 * super::fmt::SEC);
            let msg = if starting {
                "FATAL: the database system is starting up"
            } else {
                "FATAL: the database system is shutting down"
            };
            (msg.into(), vec![])
        }
        _ => (
            "Communications link failure\n\nThe last packet sent successfully to the server was 0 milliseconds ago. The driver has not received any packets from the server.".into(),
            vec![],
        ),
    }
}

pub fn request(plan: &Plan, r: &Req, buf: &mut Vec<u8>) {
    let Some(t) = key(plan, r) else { return };
    let th = thread(r);
    let pid = pid(plan, t);
    let line = |buf: &mut Vec<u8>, t: i64, level: &str, logger: &str, msg: &str, stack: &[&str]| {
        stamp(plan, buf, t);
        push_body(plan, buf, pid, level, &th, logger, msg, stack);
        buf.push(b'\n');
    };
    if r.db_refusal {
        let refusal = if plan.db == Db::Postgres {
            "Could not write audit record: org.postgresql.util.PSQLException: FATAL: sorry, too many clients already"
        } else {
            "Could not write audit record: java.sql.SQLNonTransientConnectionException: Data source rejected establishment of connection,  message from server: \"Too many connections\""
        };
        line(
            buf,
            r.start + 1_000,
            "WARN",
            "com.example.shop.audit.AuditWriter",
            refusal,
            &[],
        );
    }
    match r.fail {
        Fail::PrematureClose => line(
            buf,
            t,
            "ERROR",
            DISPATCHER,
            "Servlet.service() for servlet [dispatcherServlet] in context with path [] threw exception",
            &[
                "java.lang.IllegalStateException: Cannot call sendError() after the response has been committed",
                "\tat org.apache.catalina.connector.ResponseFacade.sendError(ResponseFacade.java:472)",
                "\tat com.example.shop.web.ErrorFilter.doFilter(ErrorFilter.java:61)",
            ],
        ),
        Fail::UpstreamTimeout => line(
            buf,
            t,
            "WARN",
            "org.springframework.web.servlet.mvc.support.DefaultHandlerExceptionResolver",
            "Resolved [org.springframework.web.context.request.async.AsyncRequestNotUsableException: ServletOutputStream failed to write: java.io.IOException: Broken pipe]",
            &[],
        ),
        Fail::DbRefused
        | Fail::DbConnectTimeout
        | Fail::PoolTimeout
        | Fail::StatementTimeout
        | Fail::DbRestarting => {
            let (msg, stack) = db_error(plan, r);
            // Hibernate logs the driver's message; every few requests the servlet's full
            // exception with its stack trace follows, as each failed request's would.
            line(buf, t, "ERROR", SQL_HELPER, &msg, &[]);
            if r.seq.is_multiple_of(3) && !stack.is_empty() {
                let first = stack[0];
                let servlet = format!(
                    "Servlet.service() for servlet [dispatcherServlet] in context with path [] threw exception [Request processing failed: org.springframework.dao.DataAccessResourceFailureException: Unable to acquire JDBC Connection [{}]] with root cause",
                    first.split_once(": ").map_or(first, |(_, m)| m)
                );
                line(buf, t, "ERROR", DISPATCHER, &servlet, &stack);
            }
        }
        _ if r.latency_ms >= 5_000 && r.status < 500 => {
            let msg = format!(
                "Slow request {} {} took {} ms",
                r.route().method,
                r.path(),
                r.latency_ms
            );
            line(
                buf,
                t,
                "WARN",
                "com.example.shop.web.RequestTimingFilter",
                &msg,
                &[],
            );
        }
        _ => {}
    }
}

/// The focus server's scheduled jobs: every 10 minutes a cache refresh, every 30 a cleanup.
pub fn periodic(plan: &Plan, t: i64, n: u64) -> Option<(String, &'static str)> {
    let pid = pid(plan, t);
    if n.is_multiple_of(3) {
        Some((
            body(
                plan,
                pid,
                "INFO",
                "scheduling-1",
                "com.example.shop.jobs.AbandonedCartCleaner",
                &format!(
                    "Removed {} abandoned carts older than 7 days",
                    20 + n * 7 % 40
                ),
                &[],
            ),
            "cleanup",
        ))
    } else {
        Some((
            body(
                plan,
                pid,
                "INFO",
                "scheduling-1",
                "com.example.shop.jobs.CatalogCacheRefresher",
                &format!(
                    "Refreshed product catalogue cache: 48213 products in {} ms",
                    700 + n * 37 % 300
                ),
                &[],
            ),
            "refresh",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loggers_are_abbreviated_like_logback() {
        assert_eq!(
            abbreviate(SQL_HELPER, 39),
            "o.h.engine.jdbc.spi.SqlExceptionHelper"
        );
        assert_eq!(abbreviate("com.example.Short", 39), "com.example.Short");
    }

    #[test]
    fn both_layouts_hold_the_message_and_stack() {
        let mut plan = Plan::new(Scenario::Healthy, 1, 1);
        for style in [AppStyle::Java, AppStyle::Json] {
            plan.app = style;
            let b = body(
                &plan,
                1,
                "ERROR",
                "main",
                "a.b.C",
                "boom \"x\"",
                &["java.lang.X: y", "\tat a.b(C.java:1)"],
            );
            assert!(b.contains("boom"), "{b}");
            match style {
                AppStyle::Java => assert!(
                    b.starts_with(" ERROR 1 --- [shop] [           main] a.b.C")
                        && b.contains("\n\tat a.b")
                ),
                AppStyle::Json => {
                    let full = format!("{{\"@timestamp\":\"2024-11-14T14:00:00.000Z\",{b}");
                    let v: serde_json::Value = serde_json::from_str(&full).unwrap();
                    assert_eq!(v["stack_trace"], "java.lang.X: y\n\tat a.b(C.java:1)");
                    assert_eq!(v["message"], "boom \"x\"");
                }
            }
        }
    }
}
