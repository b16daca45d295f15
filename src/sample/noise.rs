//! The harmless background every real bundle has: cron runs, logins, timers, checkpoints and
//! autovacuum, scheduled jobs, a reporting query, stray warnings. None of it is the incident.

use super::app;
use super::fmt::{HOUR, MIN, SEC, push_iso, push_u64};
use super::output::Mark;
use super::plan::{APP_HOSTS, Db, Lb, Plan};
use super::postgres::{self, CHECKPOINTER_PID};
use super::rng::Rng;
use super::scenarios::{Scripted, Target};
use super::syslog;

fn add(out: &mut Vec<Scripted>, time: i64, target: Target, body: String) {
    out.push(Scripted {
        time,
        target,
        body,
        mark: Mark::None,
    });
}

/// Every host that sends to the log host.
fn hosts(plan: &Plan) -> Vec<&'static str> {
    let mut h = vec![];
    match plan.lb {
        Lb::Haproxy => h.push("lb1"),
        Lb::None => h.push("web1"),
        Lb::Alb => {}
    }
    h.extend(APP_HOSTS.iter().map(|a| a.0));
    h.push("db1");
    h
}

pub fn script(plan: &Plan) -> Vec<Scripted> {
    let mut out = Vec::new();
    let mut r = Rng::derive(plan.seed, 0x4015E);
    system(plan, &mut r, &mut out);
    database(plan, &mut r, &mut out);
    application(plan, &mut r, &mut out);
    web(plan, &mut r, &mut out);
    out
}

fn system(plan: &Plan, r: &mut Rng, out: &mut Vec<Scripted>) {
    let hosts = hosts(plan);
    let mut pid = 40_000 + r.below(5000);
    for (i, host) in hosts.iter().enumerate() {
        let mut t = plan.start + (i as i64 * 7 + 1) * SEC;
        while t < plan.end {
            pid += 3 + r.below(40);
            let cmd = if (t - plan.start) % HOUR < 10 * MIN {
                "(root) CMD (   cd / && run-parts --report /etc/cron.hourly)"
            } else {
                "(root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)"
            };
            add(
                out,
                t + r.below(900_000) as i64,
                Target::Syslog,
                syslog::line(host, "CRON", pid, cmd),
            );
            t += 10 * MIN;
        }
    }
    // Logins: someone looks around now and then.
    for k in 0..5 {
        let t = plan.start + r.range(5, 470) as i64 * MIN + r.below(60_000_000) as i64;
        let host = *r.pick(&hosts);
        let sid = 800 + k * 13 + r.below(10);
        pid += 50;
        let port = 40_000 + r.below(20_000);
        add(
            out,
            t,
            Target::Syslog,
            syslog::line(
                host,
                "sshd",
                pid,
                &format!(
                    "Accepted publickey for deploy from 10.0.0.5 port {port} ssh2: ED25519 SHA256:Jq3h0U7mB6zC1m9kXc2vGm1wqXo8V4bq0M2pX6yJ0sE"
                ),
            ),
        );
        add(
            out,
            t + 20_000,
            Target::Syslog,
            syslog::line(
                host,
                "systemd-logind",
                612,
                &format!("New session {sid} of user deploy."),
            ),
        );
        add(
            out,
            t + 60_000,
            Target::Syslog,
            syslog::line(
                host,
                "systemd",
                1,
                &format!("Started session-{sid}.scope - Session {sid} of User deploy."),
            ),
        );
        let end = t + r.range(2, 25) as i64 * MIN;
        add(
            out,
            end,
            Target::Syslog,
            syslog::line(
                host,
                "sshd",
                pid,
                "pam_unix(sshd:session): session closed for user deploy",
            ),
        );
        add(
            out,
            end + 2_000,
            Target::Syslog,
            syslog::line(
                host,
                "systemd-logind",
                612,
                &format!("Session {sid} logged out. Waiting for processes to exit."),
            ),
        );
        add(
            out,
            end + 9_000,
            Target::Syslog,
            syslog::line(
                host,
                "systemd-logind",
                612,
                &format!("Removed session {sid}."),
            ),
        );
    }
    let focus = plan.focus_host();
    let t = plan.rotate_at;
    add(
        out,
        t,
        Target::Syslog,
        syslog::line(
            focus,
            "systemd",
            1,
            "Starting logrotate.service - Rotate log files...",
        ),
    );
    add(
        out,
        t + 400_000,
        Target::Syslog,
        syslog::line(
            focus,
            "systemd",
            1,
            "logrotate.service: Deactivated successfully.",
        ),
    );
    add(
        out,
        t + 401_000,
        Target::Syslog,
        syslog::line(
            focus,
            "systemd",
            1,
            "Finished logrotate.service - Rotate log files.",
        ),
    );
    let t = plan.start + r.range(30, 400) as i64 * MIN + r.below(60_000_000) as i64;
    add(out, t, Target::Syslog, syslog::line("db1", "kernel", 0, "perf: interrupt took too long (2504 > 2500), lowering kernel.perf_event_max_sample_rate to 79750").replace("kernel[0]", "kernel"));
    for _ in 0..2 {
        let t = plan.start + r.range(10, 470) as i64 * MIN + r.below(60_000_000) as i64;
        let host = *r.pick(&hosts);
        add(
            out,
            t,
            Target::Syslog,
            syslog::line(
                host,
                "systemd-resolved",
                588,
                "Using degraded feature set UDP instead of EDNS0 for DNS server 10.0.0.2.",
            ),
        );
        add(
            out,
            t + 3 * SEC,
            Target::Syslog,
            syslog::line(
                host,
                "chronyd",
                701,
                "Selected source 10.0.0.2 (ntp1.internal)",
            ),
        );
    }
}

fn database(plan: &Plan, r: &mut Rng, out: &mut Vec<Scripted>) {
    let mut t = plan.start + 4 * MIN + r.below(60) as i64 * SEC;
    let mut lsn = 0x5A00_0000u64 + r.below(0x100_0000);
    // An hourly report: a heavy aggregate, always a little slow.
    let mut report = plan.start + 5 * MIN + r.below(1_800_000_000) as i64;
    while report < plan.end {
        let ms = r.range(1_200, 3_400);
        if plan.db == Db::Postgres {
            let body = format!(
                "[{}] reporting@shop LOG:  duration: {ms}.{:03} ms  statement: SELECT date_trunc('hour', created_at) AS h, count(*), sum(total) FROM orders WHERE created_at > now() - interval '1 day' GROUP BY 1 ORDER BY 1",
                33_000 + r.below(900),
                r.below(1000)
            );
            add(out, report + ms as i64 * 1000, Target::Db, body);
        } else {
            add(
                out,
                report + ms as i64 * 1000,
                Target::DbSlow,
                slow_report(plan, report + ms as i64 * 1000, ms),
            );
        }
        report += HOUR;
    }
    if plan.db == Db::Mysql {
        for _ in 0..4 {
            let t = plan.start + r.range(5, 470) as i64 * MIN + r.below(60_000_000) as i64;
            let id = 3000 + r.below(900);
            add(
                out,
                t,
                Target::Db,
                format!(
                    "{id} [Note] [MY-010914] [Server] Aborted connection {id} to db: 'shop' user: 'reporting' host: '10.0.9.14' (Got timeout reading communication packets)."
                ),
            );
        }
        let t = plan.start + r.range(20, 460) as i64 * MIN + r.below(60_000_000) as i64;
        add(
            out,
            t,
            Target::Db,
            format!(
                "{} [Warning] [MY-010055] [Server] IP address '10.0.9.31' could not be resolved: Name or service not known",
                3000 + r.below(900)
            ),
        );
        return;
    }
    while t < plan.end {
        let secs = 25 + r.below(5);
        let buffers = 200 + r.below(3000);
        let kb = 4_000 + r.below(20_000);
        lsn += kb * 1024;
        let t0 = t + r.below(30_000) as i64;
        add(
            out,
            t0,
            Target::Db,
            format!("[{CHECKPOINTER_PID}] LOG:  checkpoint starting: time"),
        );
        add(
            out,
            t + secs as i64 * SEC + r.below(900_000) as i64,
            Target::Db,
            format!(
                "[{CHECKPOINTER_PID}] {}",
                postgres::checkpoint_complete(buffers, secs, kb, lsn & 0xFFFF_FFFF)
            ),
        );
        t += 5 * MIN;
    }
    let mut t = plan.start + 17 * MIN + r.below(1_200_000_000) as i64;
    while t < plan.end {
        let removed = 500 + r.below(6000);
        let body = format!(
            "[{}] LOG:  automatic vacuum of table \"shop.public.cart_items\": index scans: 1\n\tpages: 0 removed, 1843 remain, 1843 scanned (100.00% of total)\n\ttuples: {removed} removed, 48211 remain, 0 are dead but not yet removable\n\tavg read rate: 0.000 MB/s, avg write rate: 1.912 MB/s\n\tsystem usage: CPU: user: 0.04 s, system: 0.00 s, elapsed: 0.41 s",
            50_000 + r.below(9000)
        );
        add(out, t, Target::Db, body);
        t += 37 * MIN + r.below(10) as i64 * MIN;
    }
    let t = plan.start + r.range(30, 300) as i64 * MIN + r.below(60_000_000) as i64;
    add(
        out,
        t,
        Target::Db,
        format!(
            "[{}] shop@shop WARNING:  there is no transaction in progress",
            20_000 + r.below(60) * 37
        ),
    );
}

fn slow_report(plan: &Plan, t: i64, ms: u64) -> String {
    let mut b = Vec::new();
    b.extend_from_slice(b"# Time: ");
    push_iso(&mut b, t, plan.mysql_offset, 6, true);
    b.extend_from_slice(
        b"\n# User@Host: reporting[reporting] @  [10.0.9.14]  Id:  3311\n# Query_time: ",
    );
    push_u64(&mut b, ms / 1000);
    b.extend_from_slice(
        format!(
            ".{:03}417  Lock_time: 0.000011 Rows_sent: 24  Rows_examined: 1873302\nSET timestamp=",
            ms % 1000
        )
        .as_bytes(),
    );
    push_u64(&mut b, (t / SEC) as u64);
    b.extend_from_slice(b";\nSELECT DATE_FORMAT(created_at, '%Y-%m-%d %H:00') AS h, COUNT(*), SUM(total) FROM orders WHERE created_at > NOW() - INTERVAL 1 DAY GROUP BY 1 ORDER BY 1;");
    String::from_utf8(b).unwrap_or_default()
}

fn application(plan: &Plan, r: &mut Rng, out: &mut Vec<Scripted>) {
    let mut t = plan.start + 2 * MIN + r.below(60_000_000) as i64;
    let mut n = 0;
    while t < plan.end {
        if let Some((body, _)) = app::periodic(plan, t, n) {
            add(out, t, Target::App, body);
        }
        n += 1;
        t += 10 * MIN;
    }
    for _ in 0..3 {
        let t = plan.start + r.range(10, 470) as i64 * MIN + r.below(60_000_000) as i64;
        let msg = format!(
            "Payment provider responded slowly ({} ms) for order {}",
            2_000 + r.below(900),
            88_000 + r.below(2000)
        );
        let body = app::body(
            plan,
            app::pid(plan, t),
            "WARN",
            &format!("http-nio-8080-exec-{}", 1 + r.below(200)),
            "com.example.shop.payment.PspClient",
            &msg,
            &[],
        );
        add(out, t, Target::App, body);
    }
    let t = plan.start + r.range(10, 470) as i64 * MIN + r.below(60_000_000) as i64;
    let body = app::body(
        plan,
        app::pid(plan, t),
        "WARN",
        "http-nio-8080-exec-3",
        "org.springframework.web.servlet.PageNotFound",
        "No mapping for GET /api/v0/products",
        &[],
    );
    add(out, t, Target::App, body);
}

fn web(plan: &Plan, r: &mut Rng, out: &mut Vec<Scripted>) {
    let upstream = if plan.lb == Lb::None {
        "10.0.2.11:8080"
    } else {
        "127.0.0.1:8080"
    };
    for _ in 0..4 {
        let t = plan.start + r.range(10, 470) as i64 * MIN + r.below(60_000_000) as i64;
        let page = 2 + r.below(10);
        let body = format!(
            " [warn] {}#{}: *{} an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/{}/{:02}/00000{:05} while reading upstream, client: 192.0.2.{}, server: shop.example.com, request: \"GET /api/products?page={page} HTTP/1.1\", upstream: \"http://{upstream}/api/products?page={page}\", host: \"shop.example.com\", referrer: \"https://shop.example.com/\"",
            1025,
            1025,
            9_000 + r.below(5000),
            r.below(10),
            r.below(100),
            r.below(100_000),
            1 + r.below(250)
        );
        add(out, t, Target::NginxError, body);
    }
}
