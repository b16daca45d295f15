//! Writes the central syslog server's file (rsyslog's RFC 3339 file format, in the log host's
//! zone, so every line carries a non-UTC offset): lines from every host of the site, the
//! network and service changes among cron runs, logins and timers.

use super::fmt::push_iso;
use super::plan::Plan;

pub fn stamp(plan: &Plan, buf: &mut Vec<u8>, t: i64) {
    push_iso(buf, t, plan.syslog_offset, 6, false);
    buf.push(b' ');
}

/// `host tag[pid]: message`.
pub fn line(host: &str, tag: &str, pid: u64, msg: &str) -> String {
    format!("{host} {tag}[{pid}]: {msg}")
}

/// A sudo command as sudo logs it (the command line is the change's own record).
pub fn sudo(host: &str, pid: u64, user: &str, command: &str) -> String {
    line(
        host,
        "sudo",
        pid,
        &format!("  {user} : TTY=pts/0 ; PWD=/home/{user} ; USER=root ; COMMAND={command}"),
    )
}
