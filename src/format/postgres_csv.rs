//! PostgreSQL's structured log destinations: `csvlog` and (PostgreSQL 15+) `jsonlog`.
//!
//! - `postgres_csv`: one CSV record per event with the columns the manual lists (`log_time`,
//!   `user_name`, `database_name`, `process_id`, `connection_from`, `session_id`,
//!   `session_line_num`, `command_tag`, `session_start_time`, `virtual_transaction_id`,
//!   `transaction_id`, `error_severity`, `sql_state_code`, `message`, `detail`, … later versions
//!   append more). Quoted fields may hold newlines, so every physical line that does not start a
//!   record continues the one before it.
//! - `postgres_json`: one JSON object per line with the keys the manual lists (`timestamp`,
//!   `user`, `dbname`, `pid`, …, `error_severity`, `state_code`, `message`, …). The same records
//!   as CloudNativePG wraps them (`"record":{"log_time":…,"error_severity":…}`, beside its
//!   instance manager's own lines that carry `logging_pod`) and as a Cloud SQL log export carries
//!   stderr lines (`"textPayload":"[pid]: … LOG:  …"`) are read too.

use super::json_scan::value;
use super::postgres::{find_severity, prefix_database, severity_level};
use super::{Event, Format, Level, Parsed, Sample, SourceKind};
use crate::time::parse::iso8601;
use crate::time::{LineTime, Timestamp};

/// One CSV field at the start of `b`: (its contents, bytes to the start of the next field, or
/// `None` when this is the last field on the line). A quoted field that the line ends inside
/// gives its text so far and `None`.
fn csv_field(b: &[u8]) -> (&[u8], Option<usize>) {
    if b.first() == Some(&b'"') {
        let mut i = 1;
        while let Some(off) = memchr::memchr(b'"', &b[i..]) {
            i += off;
            if b.get(i + 1) == Some(&b'"') {
                i += 2;
                continue;
            }
            let next = (b.get(i + 1) == Some(&b',')).then_some(i + 2);
            return (&b[1..i], next);
        }
        (&b[1..], None)
    } else {
        match memchr::memchr(b',', b) {
            Some(i) => (&b[..i], Some(i + 1)),
            None => (b, None),
        }
    }
}

fn parse_csv(line: &[u8]) -> Parsed<'_> {
    csv_record(line).map_or(Parsed::Continuation, Parsed::Event)
}

fn csv_record(line: &[u8]) -> Option<Event<'_>> {
    // log_time, written bare (the server) or quoted (some exporters).
    let quoted = line.first() == Some(&b'"');
    let (civil, used) = iso8601(&line[usize::from(quoted)..])?;
    let mut pos = used + usize::from(quoted);
    if quoted {
        (line.get(pos) == Some(&b'"')).then_some(())?;
        pos += 1;
    }
    (line.get(pos) == Some(&b',')).then_some(())?;
    pos += 1;
    let mut fields: [&[u8]; 13] = [&[]; 13];
    for (n, field) in fields.iter_mut().enumerate() {
        let (text, next) = csv_field(&line[pos..]);
        *field = text;
        match next {
            Some(step) => pos += step,
            // The message (index 12 here, column 14) may run onto the next lines.
            None if n == 12 => break,
            None => return None,
        }
    }
    let [_user, database, pid, _from, _session, line_num, ..] = fields;
    if !pid.iter().all(u8::is_ascii_digit) || !line_num.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let level = severity_level(fields[10])?;
    Some(Event {
        time: Some(LineTime::Civil(civil)),
        level,
        host: None,
        component: (!database.is_empty()).then_some(database),
        message: fields[12],
        request: None,
    })
}

fn parse_json(line: &[u8]) -> Parsed<'_> {
    if line.first() != Some(&b'{') {
        return Parsed::NotMine;
    }
    if let Some(severity) = value(line, br#""error_severity""#) {
        return json_record(line, severity).map_or(Parsed::NotMine, Parsed::Event);
    }
    if let Some(text) = value(line, br#""textPayload""#) {
        return cloud_sql(line, text);
    }
    if value(line, br#""logging_pod""#).is_some() {
        return cnpg_manager(line).map_or(Parsed::NotMine, Parsed::Event);
    }
    Parsed::NotMine
}

/// A jsonlog record, or a CloudNativePG `record` (csvlog columns as JSON keys).
fn json_record<'a>(line: &'a [u8], severity: &'a [u8]) -> Option<Event<'a>> {
    let stamp = value(line, br#""timestamp""#).or_else(|| value(line, br#""log_time""#))?;
    let (civil, _) = iso8601(stamp)?;
    let database = value(line, br#""dbname""#).or_else(|| value(line, br#""database_name""#));
    Some(Event {
        time: Some(LineTime::Civil(civil)),
        level: severity_level(severity)?,
        host: None,
        component: database.filter(|d| !d.is_empty()),
        message: value(line, br#""message""#).unwrap_or_default(),
        request: None,
    })
}

/// A Cloud SQL for PostgreSQL export: one entry per physical stderr line, the prefix from `%t`
/// on cut off; lines that start with a tab continue a multi-line message.
fn cloud_sql<'a>(line: &'a [u8], text: &'a [u8]) -> Parsed<'a> {
    let from_postgres = value(line, br#""logName""#)
        .is_some_and(|name| memchr::memmem::find(name, b"postgres").is_some());
    if !from_postgres {
        return Parsed::NotMine;
    }
    if text.starts_with(br"\t") {
        return Parsed::Continuation;
    }
    let Some((civil, _)) = value(line, br#""timestamp""#).and_then(iso8601) else {
        return Parsed::NotMine;
    };
    let (level, component, message) = match find_severity(text) {
        Some((level, word, msg)) => (level, prefix_database(&text[..word]), &text[msg..]),
        None => (
            value(line, br#""severity""#)
                .and_then(Level::from_word)
                .unwrap_or_default(),
            None,
            text,
        ),
    };
    Parsed::Event(Event {
        time: Some(LineTime::Civil(civil)),
        level,
        host: None,
        component,
        message,
        request: None,
    })
}

/// CloudNativePG's instance manager logs beside the records: zap's `level`, `ts` (epoch
/// seconds), `msg`.
fn cnpg_manager(line: &[u8]) -> Option<Event<'_>> {
    let ts = value(line, br#""ts""#).and_then(super::fields::parse_decimal)?;
    let time = Timestamp::from_epoch_guess(ts)?;
    Some(Event {
        time: Some(LineTime::Utc(time)),
        level: value(line, br#""level""#)
            .and_then(Level::from_word)
            .unwrap_or_default(),
        host: None,
        component: value(line, br#""logger""#),
        message: value(line, br#""msg""#).unwrap_or_default(),
        request: None,
    })
}

/// Written from the manual's csvlog column list and messages the server writes.
const CSV_SAMPLES: &[Sample] = &[
    Sample {
        line: r#"2024-11-14 14:02:11.123 UTC,"app","orders",4242,"10.0.0.5:53422",6735f2a1.1092,3,"INSERT",2024-11-14 14:01:58 UTC,12/3456,91234,ERROR,40P01,"deadlock detected","Process 4242 waits for ShareLock on transaction 91233; blocked by process 4243.",,,,"while inserting index tuple (12,7) in relation ""orders_pkey""","INSERT INTO orders VALUES ($1, $2)",,,"checkout","client backend",,0"#,
        utc: Some("2024-11-14T14:02:11.123Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: r#"2024-11-14 15:02:12.000 CET,,,1201,,6735f2a4.4b1,1,,2024-11-14 15:02:12 CET,,0,LOG,00000,"database system is ready to accept connections",,,,,,,,,"","postmaster",,0"#,
        utc: Some("2024-11-14T14:02:12Z"),
        level: Level::Info,
        status: None,
    },
    Sample {
        line: r#"2024-11-14 14:02:13.456 UTC,"app","orders",4250,"10.0.0.6:40110",6735f2a5.109a,1,"startup",2024-11-14 14:02:13 UTC,,0,FATAL,53300,"sorry, too many clients already",,,,,,,,,"","client backend",,0"#,
        utc: Some("2024-11-14T14:02:13.456Z"),
        level: Level::Critical,
        status: None,
    },
    // A statement with a newline: the record goes on over two lines.
    Sample {
        line: r#"2024-11-14 14:02:14.789 UTC,"report","orders",4260,"10.0.0.7:40200",6735f2a6.10a4,5,"SELECT",2024-11-14 14:01:00 UTC,14/88,0,LOG,00000,"duration: 12045.118 ms  statement: SELECT count(*)"#,
        utc: Some("2024-11-14T14:02:14.789Z"),
        level: Level::Info,
        status: None,
    },
    Sample {
        line: r#"  FROM orders o JOIN lines l USING (order_id);",,,,,,,,,"psql","client backend",,0"#,
        utc: None,
        level: Level::Unknown,
        status: None,
    },
];

/// Written from the manual's jsonlog key table.
const JSON_SAMPLES: &[Sample] = &[
    Sample {
        line: r#"{"timestamp":"2024-11-14 14:02:11.123 UTC","user":"app","dbname":"orders","pid":4242,"remote_host":"10.0.0.5","remote_port":53422,"session_id":"6735f2a1.1092","line_num":3,"ps":"INSERT","session_start":"2024-11-14 14:01:58 UTC","vxid":"12/3456","txid":91234,"error_severity":"ERROR","state_code":"40P01","message":"deadlock detected","detail":"Process 4242 waits for ShareLock on transaction 91233; blocked by process 4243.","application_name":"checkout","backend_type":"client backend","query_id":0}"#,
        utc: Some("2024-11-14T14:02:11.123Z"),
        level: Level::Error,
        status: None,
    },
    Sample {
        line: r#"{"timestamp":"2024-11-14 15:02:12.000 CET","pid":1201,"session_id":"6735f2a4.4b1","line_num":6,"session_start":"2024-11-14 15:02:10 CET","txid":0,"error_severity":"LOG","message":"database system is shut down","backend_type":"postmaster","query_id":0}"#,
        utc: Some("2024-11-14T14:02:12Z"),
        level: Level::Info,
        status: None,
    },
    Sample {
        line: r#"{"timestamp":"2024-11-14 14:02:13.456 UTC","user":"app","dbname":"orders","pid":4250,"remote_host":"10.0.0.6","remote_port":40110,"session_id":"6735f2a5.109a","line_num":1,"ps":"startup","session_start":"2024-11-14 14:02:13 UTC","txid":0,"error_severity":"FATAL","state_code":"53300","message":"remaining connection slots are reserved for roles with the SUPERUSER attribute","backend_type":"client backend","query_id":0}"#,
        utc: Some("2024-11-14T14:02:13.456Z"),
        level: Level::Critical,
        status: None,
    },
    Sample {
        line: r#"{"timestamp":"2024-11-14 14:02:15.002 UTC","pid":1204,"session_id":"6735f2a4.4b4","line_num":12,"session_start":"2024-11-14 14:00:00 UTC","txid":0,"error_severity":"WARNING","state_code":"01000","message":"checkpoints are occurring too frequently (9 seconds apart)","hint":"Consider increasing the configuration parameter \"max_wal_size\".","backend_type":"checkpointer","query_id":0}"#,
        utc: Some("2024-11-14T14:02:15.002Z"),
        level: Level::Warning,
        status: None,
    },
];

pub static POSTGRES_CSV: Format = Format {
    name: "postgres_csv",
    description: "PostgreSQL csvlog (log_destination = 'csvlog')",
    source: SourceKind::Database,
    specificity: 50,
    yearless: false,
    parse: parse_csv,
    samples: CSV_SAMPLES,
};

pub static POSTGRES_JSON: Format = Format {
    name: "postgres_json",
    description: "PostgreSQL 15+ jsonlog, also as CloudNativePG and Cloud SQL export it",
    source: SourceKind::Database,
    specificity: 50,
    yearless: false,
    parse: parse_json,
    samples: JSON_SAMPLES,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn event(f: &Format, line: &'static str) -> Event<'static> {
        match (f.parse)(line.as_bytes()) {
            Parsed::Event(e) => e,
            other => panic!("{line:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn csv_fields() {
        let e = event(&POSTGRES_CSV, CSV_SAMPLES[0].line);
        assert_eq!(e.message, b"deadlock detected");
        assert_eq!(e.component, Some(&b"orders"[..]));
        assert_eq!(event(&POSTGRES_CSV, CSV_SAMPLES[1].line).component, None);
        let e = event(&POSTGRES_CSV, CSV_SAMPLES[3].line);
        assert_eq!(
            e.message,
            b"duration: 12045.118 ms  statement: SELECT count(*)"
        );
        // Quoted log_time (some exporters), and a doubled quote in the message.
        let e = event(
            &POSTGRES_CSV,
            r#""2026-05-16 05:20:03.994 UTC","u","d",1002,"192.0.2.20:54322",00000002.000003ea,2,"idle","2026-05-16 05:00:00 UTC",2/2,0,LOG,00000,"statement: SELECT ""x""",,,,,,,,,"hc","client backend",0"#,
        );
        assert_eq!(e.message, br#"statement: SELECT ""x"""#);
    }

    #[test]
    fn csv_rejects_other_lines() {
        // Not a record: continues the one before.
        assert_eq!(
            parse_csv(b"2024-11-14 14:02:11.123 UTC [4242] LOG:  x"),
            Parsed::Continuation
        );
        assert_eq!(
            parse_csv(b"2024-11-14 14:02:11 UTC,a,b,c,d,e,f,g,h,i,j,LOG,00000,\"x\""),
            Parsed::Continuation
        );
        for s in CSV_SAMPLES {
            for end in 0..=s.line.len() {
                let _ = parse_csv(&s.line.as_bytes()[..end]);
            }
        }
    }

    #[test]
    fn json_variants() {
        let e = event(&POSTGRES_JSON, JSON_SAMPLES[0].line);
        assert_eq!(e.component, Some(&b"orders"[..]));
        assert_eq!(e.message, b"deadlock detected");
        let cnpg = r#"{"level":"info","ts":1669575482.0968924,"logger":"postgres","msg":"record","logging_pod":"pg-1","record":{"log_time":"2022-11-27 18:58:02.096 UTC","user_name":"postgres","database_name":"app","process_id":"600","error_severity":"FATAL","sql_state_code":"57P01","message":"terminating connection due to administrator command"}}"#;
        let e = event(&POSTGRES_JSON, cnpg);
        assert_eq!((e.level, e.component), (Level::Critical, Some(&b"app"[..])));
        let manager = r#"{"level":"info","ts":1669574901.9935749,"msg":"Readiness probe failing","logging_pod":"pg-1","err":"instance is not ready yet"}"#;
        let e = event(&POSTGRES_JSON, manager);
        assert_eq!(
            (e.level, e.message),
            (Level::Info, &b"Readiness probe failing"[..])
        );
        let cloud = r#"{"insertId":"x","logName":"projects/p/logs/cloudsql.googleapis.com%2Fpostgres.log","severity":"ALERT","textPayload":"[24976]: [3-1] db=cloudsqladmin,user=cloudsqladmin FATAL:  terminating connection due to administrator command","timestamp":"2020-05-02T13:31:41.270624Z"}"#;
        let e = event(&POSTGRES_JSON, cloud);
        assert_eq!(
            (e.level, e.component, e.message),
            (
                Level::Critical,
                Some(&b"cloudsqladmin"[..]),
                &b"terminating connection due to administrator command"[..]
            )
        );
        let tab = r#"{"logName":"projects/p/logs/cloudsql.googleapis.com%2Fpostgres.log","textPayload":"\tpages: 0 removed","timestamp":"2020-05-02T13:00:32.362618Z"}"#;
        assert_eq!(parse_json(tab.as_bytes()), Parsed::Continuation);
        assert_eq!(
            parse_json(br#"{"level":"info","ts":1,"msg":"x"}"#),
            Parsed::NotMine
        );
        assert_eq!(parse_json(b"not json"), Parsed::NotMine);
        for s in JSON_SAMPLES {
            for end in 0..=s.line.len() {
                let _ = parse_json(&s.line.as_bytes()[..end]);
            }
        }
    }
}

/// Every database format survives arbitrary bytes and mangled samples.
#[cfg(test)]
mod robustness {
    use crate::format::{Format, mongodb, mysql, postgres, redis};
    use proptest::prelude::*;

    const FORMATS: &[&Format] = &[
        &postgres::POSTGRES,
        &super::POSTGRES_CSV,
        &super::POSTGRES_JSON,
        &mysql::MYSQL_ERROR,
        &mysql::MYSQL_SLOW,
        &redis::REDIS,
        &mongodb::MONGODB,
    ];

    proptest! {
        #[test]
        fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            for f in FORMATS {
                let _ = (f.parse)(&bytes);
            }
        }

        #[test]
        fn mangled_samples(pick in 0usize..64, at in 0usize..400, byte in any::<u8>(), cut in 0usize..400) {
            let all: Vec<&str> = FORMATS.iter().flat_map(|f| f.samples.iter().map(|s| s.line)).collect();
            let mut line = all[pick % all.len()].as_bytes().to_vec();
            let at = at % (line.len() + 1);
            line.insert(at, byte);
            line.truncate(cut.max(at));
            for f in FORMATS {
                let _ = (f.parse)(&line);
            }
        }
    }
}
