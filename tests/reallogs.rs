//! Real public logs (`../shared/reallogs/`, origins in its SOURCES.md): each file must be read
//! by the right format family, with well under 1% of its lines unparsed. Skips, saying so,
//! when that folder is absent (it is never copied into the project).

mod common;

use common::{assert_accounted, run};
use pmtrace::ingest::IngestOptions;
use std::path::PathBuf;

/// (path under reallogs/, accepted formats, most unparsed lines allowed as a share of lines).
const CASES: &[(&str, &[&str], f64)] = &[
    // Access logs.
    ("elastic-beats/nginx/access.log", &["combined"], 0.0),
    ("elastic-beats/nginx/test.log", &["combined"], 0.0),
    (
        "elastic-beats/apache-access/test.log",
        &["combined", "common"],
        0.0,
    ),
    (
        "elastic-examples/apache_logs/apache_logs",
        &["combined"],
        0.0,
    ),
    ("lnav/logfile_access_log.0", &["combined", "common"], 0.0),
    (
        "lnav/logfile_shop_access_log.0",
        &["combined", "nginx_timed"],
        0.01,
    ),
    // Web-server error logs.
    ("elastic-beats/nginx/error.log", &["nginx_error"], 0.0),
    (
        "elastic-beats/apache-error/test.log",
        &["apache_error"],
        0.0,
    ),
    (
        "elastic-beats/apache-error/ubuntu-2.2.22.log",
        &["apache_error"],
        0.0,
    ),
    (
        "elastic-beats/apache-error/sublevel.log",
        &["apache_error"],
        0.0,
    ),
    ("loghub/Apache/Apache_2k.log", &["apache_error"], 0.0),
    // Load balancers.
    ("lnav/logfile_haproxy.0", &["haproxy"], 0.0),
    ("elastic-beats/haproxy/default.log", &["haproxy"], 0.0),
    ("elastic-beats/haproxy/haproxy.log", &["haproxy"], 0.0),
    ("elastic-beats/haproxy/tcplog.log", &["haproxy"], 0.0),
    (
        "elastic-integrations/haproxy/haproxy3.2.log",
        &["haproxy"],
        0.0,
    ),
    (
        "elastic-beats/aws-elb/application-lb-http.log",
        &["aws_alb"],
        0.0,
    ),
    (
        "elastic-integrations/aws-elb/test-alb.log",
        &["aws_alb"],
        0.0,
    ),
    ("elastic-beats/aws-elb/elb-http.log", &["aws_elb"], 0.0),
    ("elastic-beats/aws-elb/elb-tcp.log", &["aws_elb"], 0.0),
    // PostgreSQL.
    ("pgbadger/anonymize.log", &["postgres_csv"], 0.0),
    ("pgbadger/begin_end.log", &["postgres"], 0.0),
    ("pgbadger/cloudsql.log.gz", &["postgres_json"], 0.0),
    ("pgbadger/cnpg.log.gz", &["postgres_json"], 0.005),
    ("pgbadger/light.postgres.log.bz2", &["postgres"], 0.0),
    ("pgbadger/multiline_param.log", &["postgres"], 0.0),
    ("pgbadger/pg_vacuums.json.gz", &["postgres_json"], 0.0),
    ("pgbadger/pg_vacuums.log.gz", &["postgres"], 0.0),
    ("pgbadger/rds.log.bz2", &["postgres"], 0.0),
    ("pgbadger/tempfile_only.log.gz", &["postgres"], 0.0),
    ("pgbadger/logplex.gz", &["postgres"], 0.0),
    (
        "elastic-beats/postgresql/postgresql-11-multi-line.csv.log",
        &["postgres_csv"],
        0.0,
    ),
    (
        "elastic-beats/postgresql/postgresql-13-default.log",
        &["postgres"],
        0.0,
    ),
    (
        "elastic-beats/postgresql/postgresql-9.6-new-timestamp.log",
        &["postgres"],
        0.0,
    ),
    ("lnav/logfile_postgres.0", &["postgres"], 0.0),
    ("lnav/logfile_postgres.1", &["postgres"], 0.0),
    // MySQL.
    (
        "percona-toolkit/errlogs/errlog001.txt",
        &["mysql_error"],
        0.0,
    ),
    (
        "percona-toolkit/errlogs/errlog004.txt",
        &["mysql_error"],
        0.0,
    ),
    (
        "percona-toolkit/errlogs/errlog007.txt",
        &["mysql_error"],
        0.0,
    ),
    (
        "elastic-beats/mysql-error/mariadb-10.4.8.log",
        &["mysql_error"],
        0.0,
    ),
    (
        "elastic-beats/mysql-error/mysql-ubuntu-8.0.15.log",
        &["mysql_error"],
        0.0,
    ),
    ("percona-toolkit/slowlogs/slow002.txt", &["mysql_slow"], 0.0),
    ("percona-toolkit/slowlogs/slow006.txt", &["mysql_slow"], 0.0),
    (
        "elastic-beats/mysql-slowlog/mariadb-10.3.13.log",
        &["mysql_slow"],
        0.0,
    ),
    (
        "elastic-beats/mysql-slowlog/mysql-ubuntu-8.0.15.log",
        &["mysql_slow"],
        0.0,
    ),
    (
        "elastic-beats/mysql-slowlog/percona-ubuntu-8.0.15.log",
        &["mysql_slow"],
        0.0,
    ),
    ("lnav/logfile_mysql_slow.0", &["mysql_slow"], 0.0),
    // Redis and MongoDB.
    ("lnav/format-samples/redis_log.samples.log", &["redis"], 0.0),
    ("lnav/logfile_mongodb.0", &["mongodb"], 0.0),
    // Syslog.
    ("loghub/Linux/Linux_2k.log", &["syslog"], 0.0),
    ("loghub/Mac/Mac_2k.log", &["syslog"], 0.0),
    ("loghub/OpenSSH/OpenSSH_2k.log", &["syslog"], 0.0),
    (
        "elastic-beats/syslog/iso8601_timestamp_multiline_syslog.log",
        &["syslog"],
        0.0,
    ),
    ("elastic-beats/syslog/suse-syslog.log", &["syslog"], 0.0),
    ("elastic-beats/syslog/tz-offset.log", &["syslog"], 0.0),
    ("lnav/logfile_syslog.3", &["syslog"], 0.0),
    ("pgbadger/pg-syslog.2.gz", &["syslog"], 0.0),
    ("heroku-influxdb-drain/sample0.txt", &["syslog5424"], 0.0),
    // JSON lines.
    ("lnav/logfile_bunyan.0", &["json"], 0.0),
    ("lnav/gharchive_log.jsonl", &["json"], 0.0),
    // Java and Python.
    ("loghub/Hadoop/Hadoop_2k.log", &["java"], 0.0),
    ("loghub/HDFS/HDFS_2k.log", &["java"], 0.0),
    ("loghub/Spark/Spark_2k.log", &["java"], 0.0),
    ("loghub/Zookeeper/Zookeeper_2k.log", &["java"], 0.0),
    (
        "elastic-examples/kafka_monitoring/kafka0/controller.log.2016-12-19-18",
        &["java"],
        0.0,
    ),
    (
        "elastic-examples/kafka_monitoring/kafka0/server.log.2016-12-19-20",
        &["java"],
        0.0,
    ),
    ("lnav/logfile_java.0", &["java"], 0.0),
    ("loghub/OpenStack/OpenStack_2k.log", &["python"], 0.0),
    ("lnav/python-example.0", &["python"], 0.0),
    ("lnav/logfile_glog.0", &["glog"], 0.0),
];

fn reallogs() -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/reallogs");
    if root.is_dir() {
        Some(root)
    } else {
        eprintln!(
            "SKIPPED: {} not found; real-log checks need ../shared beside the project",
            root.display()
        );
        None
    }
}

#[test]
fn real_logs_are_read_by_the_right_format() {
    let Some(root) = reallogs() else { return };
    let mut failures = Vec::new();
    let mut checked = 0;
    for (rel, formats, max_unparsed) in CASES {
        let path = root.join(rel);
        if !path.exists() {
            failures.push(format!("{rel}: missing from ../shared/reallogs"));
            continue;
        }
        let r = &run(&[&path], &IngestOptions::default())[0];
        assert_accounted(r);
        let s = &r.summary;
        let share = s.unparsed_lines as f64 / s.lines.max(1) as f64;
        if !formats.contains(&s.format.as_str()) {
            failures.push(format!(
                "{rel}: read as {} (expected one of {formats:?})",
                s.format
            ));
        } else if share > *max_unparsed {
            failures.push(format!(
                "{rel}: {} of {} lines unparsed",
                s.unparsed_lines, s.lines
            ));
        } else if s.events == 0 || s.first_ts.is_none() {
            failures.push(format!("{rel}: no timed events"));
        }
        checked += 1;
    }
    eprintln!("checked {checked} real log files");
    assert!(
        failures.is_empty(),
        "real-log failures:\n{}",
        failures.join("\n")
    );
}

/// The timeline of real incidents: a storm of thousands of lines becomes a handful of named
/// entries, and a broker outage reads as its story.
#[test]
fn real_incidents_become_a_handful_of_named_entries() {
    use pmtrace::aggregate::TimelineConfig;
    use pmtrace::analysis::analyse;
    use pmtrace::input::discover;
    use std::sync::Arc;

    let Some(root) = reallogs() else { return };
    let config = Arc::new(TimelineConfig::new(
        pmtrace::pattern::load(&[], false).unwrap(),
    ));
    let timeline = |rel: &str| {
        let files = discover(&[root.join(rel).to_string_lossy().into_owned()]).0;
        analyse(
            &files,
            &IngestOptions::default(),
            Arc::clone(&config),
            &Default::default(),
        )
        .timeline
    };

    // percona-toolkit errlog007: 2,444 lines of an InnoDB undo-slot and semaphore-wait storm.
    let storm = timeline("percona-toolkit/errlogs/errlog007.txt");
    assert!(storm.len() <= 6, "{} entries: {storm:#?}", storm.len());
    assert!(storm.iter().all(|e| e.pattern.is_some()), "{storm:#?}");
    assert!(
        storm
            .iter()
            .any(|e| e.pattern.as_deref() == Some("mysql.innodb_undo_slots_exhausted"))
    );

    // Kafka, 2016-12-19: broker 1's controlled shutdown at 18:14, its restart at 19:27, and lost
    // connections to broker 2 from 20:39 to 20:51.
    let kafka = timeline("elastic-examples/kafka_monitoring");
    let at = |pattern: &str, from: &str, to: &str| {
        kafka.iter().any(|e| {
            e.pattern.as_deref() == Some(pattern)
                && e.first.as_str() >= from
                && e.first.as_str() <= to
        })
    };
    assert!(
        at(
            "kafka.controlled_shutdown_started",
            "2016-12-19T18:14",
            "2016-12-19T18:15"
        ),
        "{kafka:#?}"
    );
    assert!(
        at(
            "kafka.broker_started",
            "2016-12-19T19:27",
            "2016-12-19T19:28"
        ),
        "{kafka:#?}"
    );
    assert!(
        at(
            "kafka.connection_disconnected",
            "2016-12-19T20:39",
            "2016-12-19T20:40"
        ),
        "{kafka:#?}"
    );
    assert!(
        at(
            "kafka.connection_disconnected",
            "2016-12-19T20:51",
            "2016-12-19T20:52"
        ),
        "{kafka:#?}"
    );
}
