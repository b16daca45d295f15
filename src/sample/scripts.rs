//! The lines each outage writes in each log: its cause (marked for truth), what operators and
//! daemons log while it escalates, and its fix (marked as the mitigation).

use super::app;
use super::fmt::{MIN, SEC};
use super::mysql;
use super::nginx;
use super::output::Mark;
use super::plan::{APP_HOSTS, Db, Phases, Plan, Scenario};
use super::postgres::{self, POSTMASTER_PID};
use super::scenarios::{Scripted, Target, deploy_order};
use super::syslog;

struct Script<'p> {
    plan: &'p Plan,
    out: Vec<Scripted>,
}

impl Script<'_> {
    fn add(&mut self, time: i64, target: Target, body: String, mark: Mark) {
        self.out.push(Scripted {
            time,
            target,
            body,
            mark,
        });
    }
    fn sys(&mut self, time: i64, body: String, mark: Mark) {
        self.add(time, Target::Syslog, body, mark);
    }
    fn pg(&mut self, time: i64, pid: u64, msg: &str, mark: Mark) {
        self.add(time, Target::Db, format!("[{pid}] {msg}"), mark);
    }
    fn my(&mut self, time: i64, thread: u64, label: &str, msg: &str, mark: Mark) {
        self.add(time, Target::Db, format!("{thread} [{label}] {msg}"), mark);
    }
    fn app(&mut self, time: i64, level: &str, thread: &str, logger: &str, msg: &str, mark: Mark) {
        let pid = app::pid(self.plan, time);
        let body = app::body(self.plan, pid, level, thread, logger, msg, &[]);
        self.add(time, Target::App, body, mark);
    }
    fn lb(&mut self, time: i64, msg: String, mark: Mark) {
        self.add(time, Target::Lb, msg, mark);
    }
    fn nginx(&mut self, time: i64, level: &str, pid: u64, msg: &str, mark: Mark) {
        let mut b = Vec::new();
        nginx::stamp(&mut b, 0, level, pid);
        // The writer stamps the time; keep what follows it.
        let prefix = String::from_utf8_lossy(&b[19..]).into_owned();
        self.add(time, Target::NginxError, format!("{prefix}{msg}"), mark);
    }
}

/// The incident's own lines, with their marks.
pub fn script(plan: &Plan) -> Vec<Scripted> {
    let mut s = Script {
        plan,
        out: Vec::new(),
    };
    let Some(ph) = plan.phases else { return s.out };
    let focus = plan.focus_host();
    let pg = plan.db == Db::Postgres;
    match plan.scenario {
        Scenario::DbNetworkMisconfig => network(&mut s, &ph, focus, pg),
        Scenario::DbMisconfigLatency => database_latency(&mut s, &ph, pg),
        Scenario::LbSingleBackend => load_balancer(&mut s, &ph, plan),
        Scenario::DbPoolExhausted => pool(&mut s, &ph, plan, pg),
        Scenario::TrafficSpike => {
            let web = plan.nginx_host();
            let t = ph.fix - 40 * SEC;
            s.sys(
                t,
                syslog::sudo(web, 24_488, "ops", "/usr/bin/vi /etc/nginx/nginx.conf"),
                Mark::None,
            );
            s.sys(
                ph.fix - SEC,
                syslog::sudo(web, 24_517, "ops", "/usr/sbin/nginx -t"),
                Mark::None,
            );
            s.sys(
                ph.fix,
                syslog::sudo(web, 24_519, "ops", "/usr/bin/systemctl reload nginx"),
                Mark::Mitigation,
            );
            s.sys(ph.fix, syslog::line(web, "systemd", 1, "Reloading nginx.service - A high performance web server and a reverse proxy server..."), Mark::None);
            s.sys(ph.fix + 50_000, syslog::line(web, "systemd", 1, "Reloaded nginx.service - A high performance web server and a reverse proxy server."), Mark::None);
            for (dt, level, pid, msg) in nginx::reload_lines(24_522, 24_523) {
                s.nginx(ph.fix + 20_000 + dt, level, pid, &msg, Mark::None);
            }
        }
        Scenario::Healthy => {}
    }
    s.out
}

fn network(s: &mut Script, ph: &Phases, focus: &str, pg: bool) {
    let (cmd, undo) = if s.plan.net_variant == 0 {
        (
            "/usr/sbin/iptables -I OUTPUT 1 -d 10.0.3.0/24 -j REJECT",
            "/usr/sbin/iptables -D OUTPUT -d 10.0.3.0/24 -j REJECT",
        )
    } else {
        (
            "/usr/bin/nmcli connection modify eth1 +ipv4.routes \"10.0.3.0/24 10.0.2.254\"",
            "/usr/bin/nmcli connection modify eth1 -ipv4.routes \"10.0.3.0/24 10.0.2.254\"",
        )
    };
    s.sys(
        ph.change,
        syslog::sudo(focus, 23_111, "deploy", cmd),
        Mark::Cause,
    );
    s.sys(
        ph.change + 2_000,
        syslog::line(
            focus,
            "sudo",
            23_111,
            "pam_unix(sudo:session): session opened for user root(uid=0) by deploy(uid=1001)",
        ),
        Mark::None,
    );
    if s.plan.net_variant == 1 {
        s.sys(
            ph.change + 900_000,
            syslog::sudo(focus, 23_140, "deploy", "/usr/bin/nmcli connection up eth1"),
            Mark::None,
        );
        s.sys(ph.change + SEC, syslog::line(focus, "NetworkManager", 812, "<info>  [1731580211.4412] device (eth1): state change: activated -> deactivating (reason 'new-activation', sys-iface-state: 'managed')"), Mark::None);
        s.sys(ph.change + SEC + 200_000, syslog::line(focus, "NetworkManager", 812, "<info>  [1731580211.6102] device (eth1): Activation: successful, device activated."), Mark::None);
    } else {
        s.sys(
            ph.change + 40 * SEC,
            syslog::sudo(
                focus,
                23_160,
                "deploy",
                "/usr/sbin/netfilter-persistent save",
            ),
            Mark::None,
        );
        s.sys(
            ph.change + 40 * SEC + 300_000,
            syslog::line(
                focus,
                "netfilter-persistent",
                23_161,
                "run-parts: executing /usr/share/netfilter-persistent/plugins.d/15-ip4tables save",
            ),
            Mark::None,
        );
    }
    // The pool's open connections die with the change.
    let validate = if pg {
        "HikariPool-1 - Failed to validate connection org.postgresql.jdbc.PgConnection@4f2b5d1c (This connection has been closed.). Possibly consider using a shorter maxLifetime value."
    } else {
        "HikariPool-1 - Failed to validate connection com.mysql.cj.jdbc.ConnectionImpl@6d2a1e3b (No operations allowed after connection closed.). Possibly consider using a shorter maxLifetime value."
    };
    s.app(
        ph.change + 3 * SEC,
        "WARN",
        "http-nio-8080-exec-7",
        "com.zaxxer.hikari.pool.PoolBase",
        validate,
        Mark::None,
    );
    let addr = match s.plan.focus {
        0 => "10.0.2.11",
        1 => "10.0.2.12",
        _ => "10.0.2.13",
    };
    // The server loses the pool's connections: reset by the rejecting host, or, when replies
    // go astray, only when TCP gives up on them minutes later.
    let (lost, reason) = if s.plan.net_variant == 0 {
        (2 * SEC, "Connection reset by peer")
    } else {
        (15 * MIN + 25 * SEC, "Connection timed out")
    };
    for i in 0..3u64 {
        let t = ph.change + lost + i as i64 * SEC + 117_000;
        if pg {
            let msg = format!("LOG:  could not receive data from client: {reason}");
            s.pg(t, 20_000 + i * 37, &msg, Mark::None);
        } else {
            let msg = format!(
                "[MY-010914] [Server] Aborted connection {} to db: 'shop' user: 'shop' host: '{addr}' (Got an error reading communication packets).",
                4100 + i
            );
            s.my(t, 4100 + i, "Note", &msg, Mark::None);
        }
    }
    s.sys(
        ph.fix,
        syslog::sudo(focus, 25_902, "deploy", undo),
        Mark::Mitigation,
    );
    s.sys(
        ph.fix + 2_000,
        syslog::line(
            focus,
            "sudo",
            25_902,
            "pam_unix(sudo:session): session opened for user root(uid=0) by deploy(uid=1001)",
        ),
        Mark::None,
    );
}

fn database_latency(s: &mut Script, ph: &Phases, pg: bool) {
    let t = ph.change;
    if pg {
        s.pg(
            t,
            POSTMASTER_PID,
            "LOG:  received SIGHUP, reloading configuration files",
            Mark::None,
        );
        s.pg(
            t + 1_000,
            POSTMASTER_PID,
            "LOG:  parameter \"enable_indexscan\" changed to \"off\"",
            Mark::Cause,
        );
        s.pg(
            t + 1_100,
            POSTMASTER_PID,
            "LOG:  parameter \"enable_bitmapscan\" changed to \"off\"",
            Mark::None,
        );
    } else {
        s.my(
            t,
            8_123,
            "Note",
            "[MY-012398] [InnoDB] Requested to resize buffer pool. (new size: 134217728 bytes)",
            Mark::Cause,
        );
        s.my(t + 40_000, 0, "Note", "[MY-011880] [InnoDB] Resizing buffer pool from 12884901888 to 134217728 (unit=134217728).", Mark::None);
    }
    s.sys(
        ph.fix - 30 * SEC,
        syslog::sudo(
            "db1",
            31_002,
            "dba",
            if pg {
                "/usr/bin/vi /etc/postgresql/16/main/conf.d/tuning.conf"
            } else {
                "/usr/bin/vi /etc/mysql/mysql.conf.d/tuning.cnf"
            },
        ),
        Mark::None,
    );
    let unit = if pg {
        "postgresql@16-main.service - PostgreSQL Cluster 16-main"
    } else {
        "mysql.service - MySQL Community Server"
    };
    s.sys(
        ph.fix,
        syslog::sudo(
            "db1",
            31_017,
            "dba",
            if pg {
                "/usr/bin/systemctl restart postgresql@16-main"
            } else {
                "/usr/bin/systemctl restart mysql"
            },
        ),
        Mark::Mitigation,
    );
    s.sys(
        ph.fix + 20_000,
        syslog::line("db1", "systemd", 1, &format!("Stopping {unit}...")),
        Mark::None,
    );
    let down = ph.fix + 6 * SEC;
    s.sys(
        down + 100_000,
        syslog::line("db1", "systemd", 1, &format!("Stopped {unit}.")),
        Mark::None,
    );
    s.sys(
        down + 200_000,
        syslog::line("db1", "systemd", 1, &format!("Starting {unit}...")),
        Mark::None,
    );
    s.sys(
        ph.recovered + 300_000,
        syslog::line("db1", "systemd", 1, &format!("Started {unit}.")),
        Mark::None,
    );
    let t = ph.fix + 40_000;
    if pg {
        s.pg(
            t,
            POSTMASTER_PID,
            "LOG:  received fast shutdown request",
            Mark::None,
        );
        s.pg(
            t + 1_000,
            POSTMASTER_PID,
            "LOG:  aborting any active transactions",
            Mark::None,
        );
        s.pg(
            t + 300_000,
            postgres::CHECKPOINTER_PID,
            "LOG:  shutting down",
            Mark::None,
        );
        s.pg(
            t + 310_000,
            postgres::CHECKPOINTER_PID,
            "LOG:  checkpoint starting: shutdown immediate",
            Mark::None,
        );
        s.pg(
            t + 5 * SEC,
            postgres::CHECKPOINTER_PID,
            &postgres::checkpoint_complete(3_012, 4, 51_220, 0x6A0B_1C28),
            Mark::None,
        );
        s.pg(
            down,
            POSTMASTER_PID,
            "LOG:  database system is shut down",
            Mark::None,
        );
        let pm = 24_811;
        let up = down + 2 * SEC;
        s.pg(up, pm, "LOG:  starting PostgreSQL 16.4 (Debian 16.4-1.pgdg120+2) on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit", Mark::None);
        s.pg(
            up + 2_000,
            pm,
            "LOG:  listening on IPv4 address \"0.0.0.0\", port 5432",
            Mark::None,
        );
        s.pg(
            up + 3_000,
            pm,
            "LOG:  listening on Unix socket \"/var/run/postgresql/.s.PGSQL.5432\"",
            Mark::None,
        );
        let mut at = Vec::new();
        postgres::stamp_time(s.plan, &mut at, down);
        let at = String::from_utf8_lossy(&at);
        let at = format!("{} {}", &at[..19], at[24..].trim_end());
        s.pg(
            up + 9_000,
            24_815,
            &format!("LOG:  database system was shut down at {at}"),
            Mark::None,
        );
        s.pg(
            ph.recovered,
            pm,
            "LOG:  database system is ready to accept connections",
            Mark::None,
        );
    } else {
        s.my(t, 0, "System", "[MY-013172] [Server] Received SHUTDOWN from user <via user signal>. Shutting down mysqld (Version: 8.0.40).", Mark::None);
        s.my(down, 0, "System", "[MY-010910] [Server] /usr/sbin/mysqld: Shutdown complete (mysqld 8.0.40)  MySQL Community Server - GPL.", Mark::None);
        let up = down + 2 * SEC;
        s.my(
            up,
            0,
            "System",
            "[MY-010116] [Server] /usr/sbin/mysqld (mysqld 8.0.40) starting as process 24811",
            Mark::None,
        );
        s.my(
            up + 20_000,
            1,
            "System",
            "[MY-013576] [InnoDB] InnoDB initialization has started.",
            Mark::None,
        );
        s.my(
            ph.recovered - 2 * SEC,
            1,
            "System",
            "[MY-013577] [InnoDB] InnoDB initialization has ended.",
            Mark::None,
        );
        s.my(ph.recovered, 0, "System", "[MY-010931] [Server] /usr/sbin/mysqld: ready for connections. Version: '8.0.40'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL.", Mark::None);
        s.add(
            up,
            Target::DbSlow,
            mysql::SLOW_HEADER.to_string(),
            Mark::None,
        );
    }
}

fn load_balancer(s: &mut Script, ph: &Phases, plan: &Plan) {
    let others: Vec<&str> = (1..3).map(|i| APP_HOSTS[(plan.focus + i) % 3].0).collect();
    let f = plan.focus_host();
    s.lb(ph.change, format!("Server app/{} is going DOWN for maintenance. 2 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.", others[0]), Mark::Cause);
    s.lb(ph.change + 4 * SEC + 211_000, format!("Server app/{} is going DOWN for maintenance. 1 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.", others[1]), Mark::None);
    let mut checks = ph.change + 90 * SEC;
    while checks < ph.escalate - 10 * SEC {
        s.lb(checks, format!("Health check for server app/{f} failed, reason: Layer7 timeout, check duration: 2001ms, status: 2/3 UP."), Mark::None);
        checks += 70 * SEC;
    }
    for (i, &(down, up)) in plan.flaps.iter().enumerate() {
        let sessions = 180 + (i as u64 * 37) % 150;
        s.lb(down - 4 * SEC, format!("Health check for server app/{f} failed, reason: Layer7 timeout, check duration: 2001ms, status: 1/3 UP."), Mark::None);
        s.lb(down, format!("Server app/{f} is DOWN, reason: Layer7 timeout, check duration: 2001ms. 0 active and 0 backup servers left. {sessions} sessions active, 0 requeued, 0 remaining in queue."), Mark::None);
        s.lb(
            down + 1_000,
            "backend app has no server available!".to_string(),
            Mark::None,
        );
        if up < ph.fix {
            s.lb(up, format!("Server app/{f} is UP, reason: Layer7 check passed, code: 200, check duration: 3ms. 1 active and 0 backup servers online. 0 sessions requeued, 0 total in queue."), Mark::None);
        }
    }
    s.lb(
        ph.fix,
        format!(
            "Server app/{} is UP (leaving forced maintenance).",
            others[0]
        ),
        Mark::Mitigation,
    );
    s.lb(
        ph.fix + 2 * SEC + 704_000,
        format!(
            "Server app/{} is UP (leaving forced maintenance).",
            others[1]
        ),
        Mark::None,
    );
    if plan.lb_down(ph.fix - 1) {
        s.lb(ph.fix + 6 * SEC, format!("Server app/{f} is UP, reason: Layer7 check passed, code: 200, check duration: 5ms. 3 active and 0 backup servers online. 0 sessions requeued, 0 total in queue."), Mark::None);
    }
    s.app(
        ph.escalate - 2 * MIN,
        "WARN",
        "HikariPool-1 housekeeper",
        "com.zaxxer.hikari.pool.HikariPool",
        "HikariPool-1 - Thread starvation or clock leap detected (housekeeper delta=52s418ms).",
        Mark::None,
    );
}

fn pool(s: &mut Script, ph: &Phases, plan: &Plan, pg: bool) {
    for (start, size, mark) in [(ph.change, 2, Mark::Cause), (ph.fix, 20, Mark::Mitigation)] {
        for (b, &(host, _)) in APP_HOSTS.iter().enumerate() {
            let t = start + deploy_order(plan, b) * MIN;
            s.sys(
                t,
                syslog::line(host, "systemd", 1, "Stopping shop.service - Shop API..."),
                Mark::None,
            );
            s.sys(
                t + 3 * SEC,
                syslog::line(
                    host,
                    "systemd",
                    1,
                    "shop.service: Deactivated successfully.",
                ),
                Mark::None,
            );
            s.sys(
                t + 3 * SEC + 2_000,
                syslog::line(host, "systemd", 1, "Stopped shop.service - Shop API."),
                Mark::None,
            );
            s.sys(
                t + 3 * SEC + 90_000,
                syslog::line(host, "systemd", 1, "Started shop.service - Shop API."),
                Mark::None,
            );
        }
        let main = "main";
        let boot = start + 5 * SEC;
        s.app(
            start + 10_000,
            "INFO",
            "SpringApplicationShutdownHook",
            "org.springframework.boot.web.embedded.tomcat.GracefulShutdown",
            "Commencing graceful shutdown. Waiting for active requests to complete",
            Mark::None,
        );
        s.app(
            start + 1_400_000,
            "INFO",
            "tomcat-shutdown",
            "org.springframework.boot.web.embedded.tomcat.GracefulShutdown",
            "Graceful shutdown complete",
            Mark::None,
        );
        s.app(
            start + 1_500_000,
            "INFO",
            "SpringApplicationShutdownHook",
            "com.zaxxer.hikari.HikariDataSource",
            "HikariPool-1 - Shutdown initiated...",
            Mark::None,
        );
        s.app(
            start + 1_510_000,
            "INFO",
            "SpringApplicationShutdownHook",
            "com.zaxxer.hikari.HikariDataSource",
            "HikariPool-1 - Shutdown completed.",
            Mark::None,
        );
        let pid = app::pid(plan, boot);
        s.app(boot, "INFO", main, "com.example.shop.ShopApplication", &format!("Starting ShopApplication v2.14.{} using Java 17.0.13 with PID {pid} (/opt/shop/shop.jar started by shop in /opt/shop)", if size == 2 { 1 } else { 2 }), Mark::None);
        s.app(
            boot + 2_100_000,
            "DEBUG",
            main,
            "com.zaxxer.hikari.HikariConfig",
            "HikariPool-1 - configuration:",
            Mark::None,
        );
        s.app(
            boot + 2_101_000,
            "DEBUG",
            main,
            "com.zaxxer.hikari.HikariConfig",
            "connectionTimeout...............30000",
            Mark::None,
        );
        s.app(
            boot + 2_102_000,
            "DEBUG",
            main,
            "com.zaxxer.hikari.HikariConfig",
            &format!("maximumPoolSize.................{size}"),
            mark,
        );
        s.app(
            boot + 2_102_000,
            "DEBUG",
            main,
            "com.zaxxer.hikari.HikariConfig",
            &format!("minimumIdle.....................{size}"),
            Mark::None,
        );
        s.app(
            boot + 2_110_000,
            "INFO",
            main,
            "com.zaxxer.hikari.HikariDataSource",
            "HikariPool-1 - Starting...",
            Mark::None,
        );
        let conn = if pg {
            "org.postgresql.jdbc.PgConnection@3c9d0b9d"
        } else {
            "com.mysql.cj.jdbc.ConnectionImpl@2f0a87b3"
        };
        s.app(
            boot + 2_290_000,
            "INFO",
            main,
            "com.zaxxer.hikari.pool.HikariPool",
            &format!("HikariPool-1 - Added connection {conn}"),
            Mark::None,
        );
        s.app(
            boot + 2_300_000,
            "INFO",
            main,
            "com.zaxxer.hikari.HikariDataSource",
            "HikariPool-1 - Start completed.",
            Mark::None,
        );
        s.app(
            boot + 6_800_000,
            "INFO",
            main,
            "org.springframework.boot.web.embedded.tomcat.TomcatWebServer",
            "Tomcat started on port 8080 (http) with context path '/'",
            Mark::None,
        );
        s.app(
            boot + 6_900_000,
            "INFO",
            main,
            "com.example.shop.ShopApplication",
            "Started ShopApplication in 7.912 seconds (process running for 8.634)",
            Mark::None,
        );
    }
    // With two connections the housekeeper sees the pool permanently exhausted.
    let mut t = ph.change + 5 * MIN;
    while t < ph.fix {
        s.app(
            t,
            "DEBUG",
            "HikariPool-1 housekeeper",
            "com.zaxxer.hikari.pool.HikariPool",
            "HikariPool-1 - Pool stats (total=2, active=2, idle=0, waiting=37)",
            Mark::None,
        );
        t += 30 * MIN;
    }
}
