//! The postmortem draft (`--format markdown`): the classic sections, Issue Summary, Timeline,
//! Root Cause and Resolution, Corrective and Preventative Measures, filled with what the logs
//! say and nothing they do not. Valid CommonMark/GFM; every piece of log text is escaped.

use super::safe_text::escape_for_markdown;
use super::timeline::{Report, human_duration, thousands};
use crate::aggregate::TimelineEntry;
use crate::incident::Incident;
use crate::pattern::{Category, Signal};
use crate::time::{Timestamp, Zone};
use std::io::{self, Write};

/// How far around an incident its timeline reaches (µs).
const CONTEXT: i64 = 30 * 60 * 1_000_000;
/// At most this many timeline rows per incident; the rest are counted.
const MAX_ROWS: usize = 40;

fn md(text: &str, max: usize) -> String {
    escape_for_markdown(text.as_bytes(), max)
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn latency(v: Option<f64>) -> String {
    match v {
        Some(v) if v >= 1000.0 => format!("{:.1} s", v / 1000.0),
        Some(v) => format!("{v:.0} ms"),
        None => "not in the logs".to_string(),
    }
}

/// What usually prevents a recurrence, per root-cause category: suggestions, not findings.
fn suggestions(category: Category) -> &'static [&'static str] {
    match category {
        Category::Database => &[
            "Alert on database connection saturation (connections in use against the limit) and on pool wait time, before requests fail.",
            "Review connection limits end to end: application pool sizes × instances against the database's maximum, with headroom.",
            "Require a review and a staged rollout for database parameter changes, with a tested rollback.",
        ],
        Category::Network => &[
            "Alert on connection errors between tiers (refused, reset, timed out), not only on user-facing errors.",
            "Put network and firewall changes through review with an automated reachability check of critical paths.",
            "Keep a tested rollback for network changes and roll them out one host or zone at a time.",
        ],
        Category::LoadBalancer => &[
            "Alert when backend shares or healthy-backend counts change sharply at the load balancer.",
            "Validate load-balancer configuration changes in staging and roll them out with automatic revert on error-rate rise.",
            "Ensure each backend can take the load it may receive when others are removed.",
        ],
        Category::Capacity => &[
            "Load-test to the peak seen here plus headroom, and alert on saturation signals (connections, workers, queues).",
            "Autoscale or shed load gracefully (rate limits, queueing) before latency turns into timeouts.",
            "Review server limits (worker connections, file descriptors, memory) against the surge observed.",
        ],
        Category::Configuration => &[
            "Review configuration changes before they ship, and roll them out progressively with a quick revert.",
            "Alert on error-rate and latency changes right after a configuration change.",
        ],
        Category::Application => &[
            "Add an alert on the application error that appeared first, with a runbook.",
            "Review the release or change that preceded the incident; add a test that catches it.",
        ],
        Category::Dependency => &[
            "Set timeouts, retries with backoff and circuit breakers on calls to the failing dependency.",
            "Alert on the dependency's latency and error rate as seen by its callers.",
        ],
        Category::Storage => &[
            "Alert on free disk space and inodes well before they run out; rotate and expire logs and temporary data.",
            "Review what grew and add a retention policy for it.",
        ],
        Category::Security => {
            &["Review the security events around the incident and rotate any credentials involved."]
        }
    }
}

/// The timeline rows for one incident: its entries from half an hour before to half an hour
/// after, plus the milestones, in time order.
fn timeline_rows(
    i: &Incident,
    timeline: &[TimelineEntry],
    zone: &Zone,
) -> (Vec<(Timestamp, String)>, usize) {
    let from = Timestamp(i.start_ts.0 - CONTEXT);
    let to = Timestamp(i.end_ts.0 + CONTEXT);
    let mut rows: Vec<(Timestamp, String)> = Vec::new();
    let mut relevant: Vec<&TimelineEntry> = timeline
        .iter()
        .filter(|e| e.last_ts >= from && e.first_ts <= to)
        // A stray failed request or two is background noise, not part of the story.
        .filter(|e| {
            e.pattern.is_some()
                || e.count >= 3
                || !e.template.as_deref().is_some_and(|t| t.starts_with('/'))
        })
        .collect();
    // Keep the most telling entries when there are many: changes, recoveries, alerts, then by
    // severity and count.
    relevant.sort_by(|a, b| {
        let rank = |e: &TimelineEntry| (e.signal != Signal::Error, e.severity, e.count);
        rank(b).cmp(&rank(a)).then(a.first_ts.cmp(&b.first_ts))
    });
    let dropped = relevant.len().saturating_sub(MAX_ROWS);
    relevant.truncate(MAX_ROWS);
    for e in relevant {
        let span = if e.first_ts == e.last_ts {
            String::new()
        } else {
            format!(" (until {})", &zone.format(e.last_ts)[11..])
        };
        let signal = match e.signal {
            Signal::Change => "change: ",
            Signal::Recovery => "recovery: ",
            Signal::Alert => "alert: ",
            Signal::Error => "",
        };
        rows.push((
            e.first_ts,
            format!(
                "| {} | {}{}{} | {} | {} | {} |",
                &zone.format(e.first_ts)[11..],
                signal,
                md(&e.title, 160),
                span,
                e.source.map_or("-", |s| s.as_str()),
                thousands(e.count),
                e.id
            ),
        ));
    }
    rows.push((
        i.start_ts,
        format!(
            "| {} | **OUTAGE BEGINS**: {} | | | |",
            &zone.format(i.start_ts)[11..],
            i.milestones.first_symptom.title
        ),
    ));
    rows.push((
        i.end_ts,
        format!(
            "| {} | **OUTAGE ENDS**: {} | | | |",
            &zone.format(i.end_ts)[11..],
            i.milestones.recovery.title
        ),
    ));
    rows.sort_by_key(|(t, _)| *t);
    (rows, dropped)
}

fn write_incident(out: &mut dyn Write, i: &Incident, zone: &Zone) -> io::Result<()> {
    writeln!(
        out,
        "### Incident {}: {} – {} {}\n",
        i.id,
        zone.format(i.start_ts),
        &zone.format(i.end_ts)[11..],
        zone.name()
    )?;
    let Some(im) = &i.impact else {
        writeln!(
            out,
            "For {}, the logs recorded errors well above their usual rate. They hold no requests, so what users saw is not measured here: add the load balancer's or web server's access logs.\n",
            human_duration(i.duration_seconds)
        )?;
        return write_cause(out, i);
    };
    writeln!(
        out,
        "For {}, {} of {} requests ({}) failed at the edge, against {} normally; {} of {} clients saw at least one failure. The 95th percentile latency was {} (normally {}).{}\n",
        human_duration(i.duration_seconds),
        thousands(im.requests_failed),
        thousands(im.requests_total),
        pct(im.error_rate),
        pct(im.baseline_error_rate),
        thousands(im.clients_affected),
        thousands(im.clients_total),
        latency(im.p95_latency_ms),
        latency(im.baseline_p95_latency_ms),
        if im.requests_lost_estimate > 0 {
            format!(
                " About {} expected requests never arrived.",
                thousands(im.requests_lost_estimate)
            )
        } else {
            String::new()
        }
    )?;
    write_cause(out, i)?;
    writeln!(
        out,
        "_Figures computed from {}._\n",
        md(&im.computed_from, 200)
    )?;
    Ok(())
}

fn write_cause(out: &mut dyn Write, i: &Incident) -> io::Result<()> {
    match &i.root_cause {
        Some(rc) => writeln!(
            out,
            "Probable root cause ({}): {}\n",
            rc.category.as_str(),
            md(&rc.summary, 400)
        ),
        None => writeln!(out, "The logs point to no probable root cause.\n"),
    }
}

/// The whole draft.
pub fn write_postmortem(out: &mut dyn Write, report: &Report, zone: &Zone) -> io::Result<()> {
    let title = match report.incidents.first().and_then(|i| i.root_cause.as_ref()) {
        Some(rc) => format!("{} incident", rc.category.as_str().replace('_', " ")),
        None if report.incidents.is_empty() => "no incident found".to_string(),
        None => "incident".to_string(),
    };
    let day = report
        .incidents
        .first()
        .map(|i| zone.format(i.start_ts)[..10].to_string())
        .unwrap_or_default();
    writeln!(out, "# Postmortem draft: {title} {day}\n")?;
    writeln!(
        out,
        "> Drafted by {} from {} log files ({} lines). Every figure comes from the logs; the parts only people can write are left for you. Times are {}.\n",
        report.generated_by,
        report.inputs.len(),
        thousands(report.stats.lines),
        zone.name()
    )?;

    writeln!(out, "## Issue Summary\n")?;
    if report.incidents.is_empty() {
        writeln!(
            out,
            "No incident was found: the edge's requests show no sustained rise in failures or latency.\n"
        )?;
    }
    for i in &report.incidents {
        write_incident(out, i, zone)?;
    }

    writeln!(out, "## Timeline\n")?;
    if report.incidents.is_empty() {
        super::timeline::write_markdown(out, report, zone)?;
    }
    for i in &report.incidents {
        if report.incidents.len() > 1 {
            writeln!(out, "### Incident {}\n", i.id)?;
        }
        let (rows, dropped) = timeline_rows(i, &report.timeline, zone);
        writeln!(out, "| Time | Event | Source | Count | Entry |")?;
        writeln!(out, "|---|---|---|--:|---|")?;
        for (_, row) in rows {
            writeln!(out, "{row}")?;
        }
        if dropped > 0 {
            writeln!(
                out,
                "\n{dropped} more entries around this incident are in the full timeline (`pmtrace --format json`)."
            )?;
        }
        writeln!(out)?;
    }

    writeln!(out, "## Root Cause and Resolution\n")?;
    for i in &report.incidents {
        if report.incidents.len() > 1 {
            writeln!(out, "### Incident {}\n", i.id)?;
        }
        match &i.root_cause {
            Some(rc) => {
                writeln!(
                    out,
                    "**Probable root cause ({}, confidence {:.2}):** {}\n",
                    rc.category.as_str(),
                    rc.confidence,
                    md(&rc.summary, 400)
                )?;
                if let Some(line) = &rc.earliest_causal_line {
                    writeln!(
                        out,
                        "Earliest causal line, {} at {}:\n\n> {}\n",
                        md(&line.location, 200),
                        line.time,
                        md(&line.text, 400)
                    )?;
                }
                for id in &rc.evidence {
                    if let Some(e) = report.timeline.iter().find(|e| e.id == *id) {
                        writeln!(
                            out,
                            "- {}: {} — {}× from {} to {}, {}",
                            e.id,
                            md(&e.title, 160),
                            thousands(e.count),
                            zone.format(e.first_ts),
                            &zone.format(e.last_ts)[11..],
                            md(&e.location, 200)
                        )?;
                    }
                }
                if !rc.evidence.is_empty() {
                    writeln!(out)?;
                }
            }
            None => writeln!(
                out,
                "No signal in the logs points to a cause; see the timeline.\n"
            )?,
        }
        if !i.candidates.is_empty() {
            writeln!(out, "Other candidates:\n")?;
            for c in i.candidates.iter().take(4) {
                writeln!(
                    out,
                    "- {} ({:.2}): {}",
                    c.category.as_str(),
                    c.score,
                    md(&c.summary, 300)
                )?;
            }
            writeln!(out)?;
        }
        match (&i.milestones.preceding_change, &i.milestones.mitigation) {
            (Some(change), _) => writeln!(
                out,
                "**What changed:** {} at {}.\n",
                md(&change.title, 200),
                change.time
            )?,
            (None, _) => writeln!(
                out,
                "**What changed:** no change is visible in the logs before the start.\n"
            )?,
        }
        match &i.milestones.mitigation {
            Some(m) => writeln!(
                out,
                "**Resolution:** {} at {} (the change or recovery closest to the end).\n",
                md(&m.title, 200),
                m.time
            )?,
            None => writeln!(
                out,
                "**Resolution:** not visible in the logs; describe what ended it.\n"
            )?,
        }
    }
    if report.incidents.is_empty() {
        writeln!(out, "Nothing to explain.\n")?;
    }

    writeln!(out, "## Corrective and Preventative Measures\n")?;
    writeln!(
        out,
        "_Suggestions from pmtrace, to be reviewed and turned into owned action items:_\n"
    )?;
    let mut listed: Vec<String> = Vec::new();
    for i in &report.incidents {
        for id in i.root_cause.iter().flat_map(|rc| rc.evidence.iter()) {
            if let Some(hint) = report
                .timeline
                .iter()
                .find(|e| e.id == *id)
                .and_then(|e| e.hint.clone())
                && !listed.contains(&hint)
            {
                listed.push(hint);
            }
        }
        if let Some(rc) = &i.root_cause {
            for s in suggestions(rc.category) {
                if !listed.iter().any(|l| l == s) {
                    listed.push(s.to_string());
                }
            }
        }
    }
    if listed.is_empty() {
        listed.push(
            "Keep the logs of this period: they are the evidence for the review.".to_string(),
        );
    }
    for s in listed {
        writeln!(out, "- [ ] {}", md(&s, 400))?;
    }
    writeln!(out)
}
