use super::*;

fn event(line: &str) -> Event<'_> {
    match parse_java(line.as_bytes()) {
        Parsed::Event(e) => e,
        other => panic!("{line:?}: {other:?}"),
    }
}

/// (line, level, component, message) for the layouts the module documents.
const LAYOUTS: &[(&str, Level, Option<&str>, &str)] = &[
    (
        "2024-11-14 14:02:11.123 [http-nio-8080-exec-7] ERROR com.example.shop.CheckoutController - Payment failed",
        Level::Error,
        Some("com.example.shop.CheckoutController"),
        "Payment failed",
    ),
    (
        "2024-11-14 14:02:11,123 WARN  [main] org.apache.hadoop.ipc.Client: Retrying connect to server",
        Level::Warning,
        Some("org.apache.hadoop.ipc.Client"),
        "Retrying connect to server",
    ),
    (
        "2024-11-14 14:02:11,123 INFO  namenode.FSNamesystem (FSNamesystem.java:loadFromDisk(712)) - Finished loading FSImage",
        Level::Info,
        Some("namenode.FSNamesystem"),
        "Finished loading FSImage",
    ),
    (
        "2024-11-14 14:02:11.123  INFO 4242 --- [           main] o.s.b.w.embedded.tomcat.TomcatWebServer  : Tomcat started on port 8080",
        Level::Info,
        Some("o.s.b.w.embedded.tomcat.TomcatWebServer"),
        "Tomcat started on port 8080",
    ),
    (
        "2024-11-14T14:02:11.123Z ERROR 4242 --- [shop] [nio-8080-exec-1] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() threw exception",
        Level::Error,
        Some("o.a.c.c.C.[.[.[/].[dispatcherServlet]"),
        "Servlet.service() threw exception",
    ),
    (
        "[2024-11-14 14:02:11,123] WARN [ReplicaFetcher replicaId=1, leaderId=0, fetcherId=0] Error in response for fetch request (kafka.server.ReplicaFetcherThread)",
        Level::Warning,
        Some("kafka.server.ReplicaFetcherThread"),
        "[ReplicaFetcher replicaId=1, leaderId=0, fetcherId=0] Error in response for fetch request (kafka.server.ReplicaFetcherThread)",
    ),
    (
        "[2024-11-14T14:02:11,123][WARN ][o.o.c.r.a.DiskThresholdMonitor] [node-1] high disk watermark exceeded",
        Level::Warning,
        Some("o.o.c.r.a.DiskThresholdMonitor"),
        "[node-1] high disk watermark exceeded",
    ),
    (
        "[2024-11-14T14:02:11.123+0100][0.015s][info][gc,heap] Heap region size: 1M",
        Level::Info,
        Some("gc,heap"),
        "Heap region size: 1M",
    ),
    (
        "2024-11-14T14:02:11.123+0100: 2.151: [GC pause (G1 Evacuation Pause) (young), 0.0140497 secs]",
        Level::Info,
        Some("gc"),
        "[GC pause (G1 Evacuation Pause) (young), 0.0140497 secs]",
    ),
    (
        "2024-11-14 14:02:11,123 - ERROR [CommitProcWorkThread-1:FinalRequestProcessor@123] - Unable to process request",
        Level::Error,
        Some("FinalRequestProcessor"),
        "Unable to process request",
    ),
    (
        "241114 140211 42 WARN dfs.DataNode$DataXceiver: writeBlock received exception",
        Level::Warning,
        Some("dfs.DataNode$DataXceiver"),
        "writeBlock received exception",
    ),
    (
        "2024-11-14T14:02:11.123Z |  ERROR | pool-3-thread-1 | com.example.Sync | 42 | sync aborted",
        Level::Error,
        Some("com.example.Sync"),
        "sync aborted",
    ),
    (
        "2024-11-14T14:02:11.123Z worker-7  DEBUG  com.example.cache.Loader loading 42 entries",
        Level::Debug,
        Some("com.example.cache.Loader"),
        "loading 42 entries",
    ),
    (
        "[otel.javaagent 2024-11-14 14:02:11:123 +0000] [main] INFO io.opentelemetry.javaagent.tooling.VersionLogger - opentelemetry-javaagent - version: 2.10.0",
        Level::Info,
        Some("io.opentelemetry.javaagent.tooling.VersionLogger"),
        "opentelemetry-javaagent - version: 2.10.0",
    ),
    (
        "24/11/14 14:02:11 INFO SparkContext: Running Spark version 3.5.1",
        Level::Info,
        Some("SparkContext"),
        "Running Spark version 3.5.1",
    ),
    (
        "2024-11-14 14:02:11 - order-consumer - Consumed record 42",
        Level::Unknown,
        Some("order-consumer"),
        "Consumed record 42",
    ),
];

#[test]
fn reads_documented_layouts() {
    for &(line, level, component, message) in LAYOUTS {
        let e = event(line);
        assert_eq!(e.level, level, "{line}");
        assert_eq!(
            e.component.map(|c| String::from_utf8_lossy(c).into_owned()),
            component.map(String::from),
            "{line}"
        );
        assert_eq!(String::from_utf8_lossy(e.message), message, "{line}");
        assert!(e.time.is_some());
    }
}

#[test]
fn timestamps_of_every_shape() {
    let utc = |line: &str| {
        let Some(LineTime::Civil(c)) = event(line).time else {
            panic!("{line}")
        };
        let mut conv = crate::time::ZoneConverter::new(crate::time::Zone::utc());
        conv.civil_to_utc(&c).unwrap().to_string()
    };
    assert_eq!(utc(LAYOUTS[10].0), "2024-11-14T14:02:11Z");
    assert_eq!(utc(LAYOUTS[13].0), "2024-11-14T14:02:11.123Z");
    assert_eq!(utc(LAYOUTS[8].0), "2024-11-14T13:02:11.123Z");
    // yy/MM/dd with an impossible month is not Spark's layout.
    assert!(!matches!(
        parse_java(b"24/13/14 14:02:16 INFO a.B: x"),
        Parsed::Event(_)
    ));
    assert!(!matches!(
        parse_java(b"241314 140211 42 INFO a.B: x"),
        Parsed::Event(_)
    ));
}

#[test]
fn service_wrapper_lines() {
    let e = event(
        "INFO   | jvm 1    | 2024/11/14 14:02:11 | 2024-11-14 14:02:11,077 [Worker-8] INFO  com.example.Job - started",
    );
    assert_eq!(e.message, b"started");
    let e = event("STATUS | wrapper  | 2024/11/14 14:02:12 | JVM exited unexpectedly.");
    assert_eq!((e.level, e.component), (Level::Info, Some(&b"wrapper"[..])));
    assert_eq!(
        parse_java(
            b"INFO   | jvm 1    | 2024/11/14 14:02:12 | \tat com.example.Job.run(Job.java:42)"
        ),
        Parsed::Continuation
    );
}

#[test]
fn continuations_and_foreign_lines() {
    for line in [
        "\tat com.example.Pay.charge(Pay.java:42)",
        "Caused by: java.io.IOException: Broken pipe",
        "\t... 12 more",
        "java.lang.IllegalStateException: boom",
        "2024-11-14 14:02:11.554 ^^^ 3 similar messages omitted ^^^",
    ] {
        assert_eq!(
            parse_java(line.as_bytes()),
            Parsed::Continuation,
            "{line:?}"
        );
    }
    for line in [
        // Python: its level names, its tracebacks, a bare `TS LEVEL message`.
        "2024-11-14 14:02:11,123 WARNING disk almost full",
        "2024-11-14 14:02:11,123 ERROR payment failed: upstream timeout",
        "Traceback (most recent call last):",
        "  File \"/app/main.py\", line 3, in <module>",
        // Other logs with a timestamp.
        "Nov 14 14:02:11 web-1 sshd[1]: x",
        // A Rust logger's `[ts][module][LEVEL]`: OpenSearch puts the level first.
        "[2024-11-14 14:02:11.129][vault::api][ERROR] wrong password",
        "2024/11/14 14:02:11 [error] 1#1: *1 upstream timed out",
        "2024-11-14 14:02:11.123 UTC [42] ERROR:  deadlock detected",
        "",
    ] {
        assert_eq!(parse_java(line.as_bytes()), Parsed::NotMine, "{line:?}");
    }
}

#[test]
fn java_shape_after_level() {
    assert!(java_after_level(b"[main] a.B: x"));
    assert!(java_after_level(b"org.x.Y - x"));
    assert!(java_after_level(b"4242 --- [main] a.B : x"));
    assert!(!java_after_level(b"payment failed: upstream timeout"));
    assert!(!java_after_level(b""));
}

#[test]
fn never_panics_on_prefixes() {
    let lines = SAMPLES
        .iter()
        .map(|s| s.line)
        .chain(LAYOUTS.iter().map(|l| l.0));
    for line in lines {
        for end in 0..=line.len() {
            let _ = parse_java(&line.as_bytes()[..end]);
        }
    }
    let _ = parse_java(b"2024-11-14 14:02:11 INFO [[[[[[[[");
    let _ = parse_java(b"2024-11-14 14:02:11 INFO ]]]]] ((");
}

/// Files of each family, as a whole, are detected as that family and not as a neighbour:
/// the level names, the stack-trace shapes and the header around the level decide.
#[test]
fn detection_keeps_families_apart() {
    use crate::format::detect;
    let cases: &[(&str, Option<&str>)] = &[
        (
            "2024-11-14 14:02:11,123 INFO starting worker\n\
             2024-11-14 14:02:12,001 WARNING queue is filling up\n\
             2024-11-14 14:02:13,500 ERROR job 42 failed\n\
             Traceback (most recent call last):\n  File \"/app/w.py\", line 9, in run\n\
             KeyError: 'id'\n",
            Some("python"),
        ),
        (
            "2024-11-14 14:02:11,123 INFO starting worker\n\
             2024-11-14 14:02:13,500 ERROR job 42 failed\n",
            Some("python"),
        ),
        (
            "2024-11-14 14:02:11,123 - app.jobs - INFO - starting\n\
             2024-11-14 14:02:12,123 - app.jobs - ERROR - failed\n",
            Some("python"),
        ),
        (
            "2024-11-14 14:02:11.123 4242 INFO nova.compute.manager [-] spawning\n\
             2024-11-14 14:02:12.123 4242 ERROR nova.compute.manager [-] failed\n",
            Some("python"),
        ),
        (
            "2024-11-14 14:02:11,123 INFO [main] org.apache.hadoop.Foo: started\n\
             2024-11-14 14:02:12,123 ERROR [main] org.apache.hadoop.Foo: failed\n\
             java.io.IOException: disk\n\tat org.apache.hadoop.Foo.run(Foo.java:1)\n",
            Some("java"),
        ),
        (
            "2024-11-14 14:02:11,123 INFO org.apache.hadoop.Foo: started\n\
             2024-11-14 14:02:12,123 INFO org.apache.hadoop.Foo: still going\n",
            Some("java"),
        ),
        (
            "24/11/14 14:02:11 INFO SparkContext: Running Spark\n\
             24/11/14 14:02:12 WARN TaskSetManager: Lost task 0.0\n",
            Some("java"),
        ),
        (
            "2024-11-14 14:02:11 something happened\n\
             2024-11-14 14:02:12 something else\n  detail\n",
            Some("generic"),
        ),
        (
            "Nov 14 14:02:11 web-1 app[42]: 2024-11-14 14:02:11,123 INFO [main] a.B: x\n\
             Nov 14 14:02:12 web-1 sshd[43]: error: bad\n",
            Some("syslog"),
        ),
        (
            "<13>1 2024-11-14T14:02:11Z h app - - - x\n<11>1 2024-11-14T14:02:12Z h app - - - y\n",
            Some("syslog5424"),
        ),
        (
            "<13>1 2024-11-14T14:02:11Z h app - - - x\nNov 14 14:02:12 h app: y\n",
            Some("syslog"),
        ),
        (
            "-- Logs begin at Thu 2024-11-14 00:00:01 CET. --\n\
             2024-11-14T14:02:11+0100 web-1 systemd[1]: Started x.\n\
             2024-11-14T14:02:12+0100 web-1 kernel: y\n-- Reboot --\n",
            Some("syslog"),
        ),
        (
            "{\"time\":\"2024-11-14T14:02:11Z\",\"level\":\"info\",\"msg\":\"x\"}\n\
             {\"time\":\"2024-11-14T14:02:12Z\",\"level\":\"error\",\"msg\":\"y\"}\n",
            Some("json"),
        ),
        (
            "time=2024-11-14T14:02:11Z level=info msg=x\ntime=2024-11-14T14:02:12Z level=warn msg=y\n",
            Some("logfmt"),
        ),
        (
            "I1114 14:02:11.123456    42 a.cc:1] x\nE1114 14:02:12.000001    42 a.cc:2] y\n",
            Some("glog"),
        ),
    ];
    for (text, expected) in cases {
        let d = detect(text.as_bytes());
        assert_eq!(d.format.map(|f| f.name), *expected, "{text}");
    }
}

mod arbitrary_bytes {
    use crate::format::{Format, glog, json, logfmt, python, syslog, syslog5424};
    use proptest::prelude::*;

    fn formats() -> [&'static Format; 7] {
        [
            &super::JAVA,
            &python::PYTHON,
            &glog::GLOG,
            &syslog::SYSLOG,
            &syslog5424::SYSLOG5424,
            &json::JSON,
            &logfmt::LOGFMT,
        ]
    }

    /// Lines built from the pieces these parsers look for, so that the random input gets deep
    /// into them rather than failing at the first byte.
    fn piece() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            Just(b"2024-11-14 14:02:11,123 ".to_vec()),
            Just(b"[2024-11-14T14:02:11.5Z]".to_vec()),
            Just(b"24/11/14 14:02:11 ".to_vec()),
            Just(b"Nov 14 14:02:11 ".to_vec()),
            Just(b"<34>1 ".to_vec()),
            Just(b"12 <".to_vec()),
            Just(b"I1114 14:02:11.123456 ".to_vec()),
            Just(b"INFO ".to_vec()),
            Just(b"WARNING ".to_vec()),
            Just(b" - ".to_vec()),
            Just(b" --- ".to_vec()),
            Just(b"[".to_vec()),
            Just(b"]".to_vec()),
            Just(b"(".to_vec()),
            Just(b"|".to_vec()),
            Just(b"{\"".to_vec()),
            Just(b"\":".to_vec()),
            Just(b"\\".to_vec()),
            Just(b"time=".to_vec()),
            Just(b"a.b.C: ".to_vec()),
            proptest::collection::vec(any::<u8>(), 0..8),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn parsers_never_panic(pieces in proptest::collection::vec(piece(), 0..12)) {
            let line: Vec<u8> = pieces.concat();
            for f in formats() {
                let _ = (f.parse)(&line);
            }
        }
    }
}
