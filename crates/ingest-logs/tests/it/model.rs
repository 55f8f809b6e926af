//! The friction model against a computation by hand.

use std::sync::Arc;

use arrow::array::{Float64Array, StringArray, TimestampMicrosecondArray};
use friktion_core::LakeTable;
use friktion_ingest_logs::friction;

use super::*;

struct E(
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    &'static str,
    Option<f64>,
);

fn batch(events: &[E]) -> RecordBatch {
    let ts = |hm: &str| utc(&format!("2026-10-26T{hm}:00Z")).timestamp_micros();
    let schema = Arc::new(
        LakeTable::ItEvent
            .def()
            .file_schema()
            .project(
                &friction::INPUT_COLUMNS
                    .iter()
                    .map(|c| LakeTable::ItEvent.def().file_schema().index_of(c).unwrap())
                    .collect::<Vec<_>>(),
            )
            .unwrap(),
    );
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(
                TimestampMicrosecondArray::from_iter_values(events.iter().map(|e| ts(e.3)))
                    .with_timezone("UTC"),
            ),
            Arc::new(StringArray::from_iter(events.iter().map(|e| e.1))),
            Arc::new(StringArray::from_iter(events.iter().map(|e| Some(e.0)))),
            Arc::new(StringArray::from_iter(events.iter().map(|e| e.2))),
            Arc::new(StringArray::from_iter_values(events.iter().map(|e| e.4))),
            Arc::new(Float64Array::from_iter(events.iter().map(|e| e.5))),
        ],
    )
    .unwrap()
}

#[test]
fn minutes_sessions_and_latency_quantiles_by_hand() {
    let k = Some("0180");
    let mut ev = vec![
        // User a: two sessions (69 minutes apart).
        E("lifecare", k, Some("a"), "08:00", "login_ok", Some(180.0)),
        E("lifecare", k, Some("a"), "08:05", "request", Some(500.0)),
        E(
            "lifecare",
            k,
            Some("a"),
            "08:10",
            "slow_response",
            Some(5000.0),
        ), // 3 s over 2 s: 0.05
        E("lifecare", k, Some("a"), "08:20", "error", None), // 2
        E("lifecare", k, Some("a"), "08:21", "timeout", Some(30000.0)), // 1 + 0.5
        E("lifecare", k, Some("a"), "09:30", "login_ok", None), // new session, free
        E("lifecare", k, Some("a"), "09:35", "session_lost", None), // 2
        E("lifecare", k, Some("a"), "09:36", "login_ok", None), // already counted
        E("lifecare", k, Some("a"), "09:40", "request", None),
        E("lifecare", k, Some("a"), "09:45", "login_ok", None), // mid-session: 2
        // User b: two failed sign-ins, then in, then a crash.
        E("lifecare", k, Some("b"), "10:00", "login_failed", None), // 1
        E("lifecare", k, Some("b"), "10:01", "login_failed", None), // 1
        E("lifecare", k, Some("b"), "10:02", "login_ok", None),
        E("lifecare", k, Some("b"), "10:30", "crash", None), // 10
        // Without a user: counted as an event and an error, not in minutes.
        E("lifecare", k, None, "11:00", "error", None),
        // Another system.
        E("idp", None, Some("a"), "07:59", "login_ok", None),
    ];
    // User c: a stuck client, capped at a working day.
    for m in 0..50 {
        let hm: &'static str = Box::leak(format!("12:{m:02}").into_boxed_str());
        ev.push(E("lifecare", k, Some("c"), hm, "crash", None));
    }
    let b = batch(&ev);
    let out = friction::daily(
        NaiveDate::from_ymd_opt(2026, 10, 26).unwrap(),
        &[b],
        &catalog(),
    )
    .unwrap();
    assert_eq!(out.schema(), LakeTable::ItFrictionDaily.def().file_schema());
    assert_eq!(out.num_rows(), 2);
    let col = |n: &str| out.column_by_name(n).unwrap().clone();
    let i64s = |n: &str| col(n).as_primitive::<Int64Type>().values().to_vec();
    let f64s = |n: &str| {
        col(n)
            .as_primitive::<Float64Type>()
            .iter()
            .collect::<Vec<_>>()
    };
    let strs = |n: &str| {
        let c = col(n);
        let c = c.as_string::<i32>();
        (0..c.len())
            .map(|i| c.is_valid(i).then(|| c.value(i).to_string()))
            .collect::<Vec<_>>()
    };
    // Null kommun sorts first.
    assert_eq!(strs("kommun_kod"), [None, Some("0180".into())]);
    assert_eq!(
        strs("system_id"),
        [Some("idp".into()), Some("lifecare".into())]
    );
    assert_eq!(i64s("users"), [1, 3]);
    assert_eq!(i64s("sessions"), [1, 4]);
    assert_eq!(i64s("events"), [1, 65]);
    assert_eq!(i64s("errors"), [0, 2]);
    assert_eq!(i64s("failed_logins"), [0, 2]);
    assert_eq!(i64s("timeouts"), [0, 1]);
    assert_eq!(i64s("slow_responses"), [0, 1]);
    assert_eq!(i64s("crashes"), [0, 51]);
    assert_eq!(i64s("relogins"), [0, 2]);
    let p50 = f64s("p50_latency_ms");
    let p95 = f64s("p95_latency_ms");
    assert_eq!(p50, [None, Some(2750.0)]);
    // 4 values 180, 500, 5000, 30000: position 0.95 × 3 = 2.85.
    assert!((p95[1].unwrap() - (5000.0 + 25000.0 * 0.85)).abs() < 1e-9);
    let minutes = f64s("minutes_lost");
    let want = (0.05 + 2.0 + 1.5 + 2.0 + 2.0) + 12.0 + 480.0;
    assert!((minutes[1].unwrap() - want).abs() < 1e-9, "{minutes:?}");
    assert_eq!(minutes[0], Some(0.0));
    let per_user = f64s("est_minutes_lost_per_user");
    assert!((per_user[1].unwrap() - want / 3.0).abs() < 1e-9);
}

#[test]
fn a_day_without_users_has_no_minutes() {
    let b = batch(&[E(
        "lifecare",
        Some("0180"),
        None,
        "08:00",
        "error",
        Some(10.0),
    )]);
    let out = friction::daily(
        NaiveDate::from_ymd_opt(2026, 10, 26).unwrap(),
        &[b],
        &catalog(),
    )
    .unwrap();
    let m = out.column_by_name("minutes_lost").unwrap();
    assert!(m.is_null(0));
    assert_eq!(
        out.column_by_name("users")
            .unwrap()
            .as_primitive::<Int64Type>()
            .value(0),
        0
    );
}

#[test]
fn a_day_read_in_parts_and_merged_is_the_day_read_whole() {
    let (k, s) = (Some("0180"), Some("0181"));
    let all = [
        E("lifecare", k, Some("a"), "08:00", "login_ok", Some(180.0)),
        E("idp", s, Some("b"), "08:01", "login_failed", None),
        // User d, one instant, two lines: a request, then a sign-in in the middle of the
        // session (a re-login) — only in this order.
        E("lifecare", k, Some("d"), "09:00", "request", Some(40.0)),
        E("lifecare", k, Some("a"), "08:30", "timeout", Some(30000.0)),
        E("lifecare", k, Some("d"), "09:00", "login_ok", None),
        E("idp", None, Some("a"), "07:59", "error", None),
        E(
            "lifecare",
            s,
            Some("b"),
            "10:00",
            "slow_response",
            Some(9000.0),
        ),
        E("lifecare", k, Some("e"), "11:00", "crash", None),
        E("lifecare", k, None, "11:05", "error", Some(12.0)),
    ];
    let day = NaiveDate::from_ymd_opt(2026, 10, 26).unwrap();
    let whole = friction::daily(day, &[batch(&all)], &catalog()).unwrap();
    // Cut so that d's two lines and a's lines fall in different parts, and each part meets
    // its users, kommuner and systems in another order than the whole does.
    let parts: Vec<friction::DayEvents> = [&all[..2], &all[2..4], &all[4..]]
        .into_iter()
        .map(|p| {
            let mut d = friction::DayEvents::default();
            d.add(&batch(p)).unwrap();
            d
        })
        .collect();
    let merged = friction::DayEvents::merge(parts)
        .finish(day, &catalog())
        .unwrap();
    assert_eq!(merged, whole);
    let relogins = whole
        .column_by_name("relogins")
        .unwrap()
        .as_primitive::<Int64Type>()
        .values()
        .to_vec();
    assert_eq!(
        relogins.iter().sum::<i64>(),
        1,
        "d's sign-in after its request"
    );
    assert_eq!(
        friction::DayEvents::merge(vec![])
            .finish(day, &catalog())
            .unwrap()
            .num_rows(),
        0
    );
}

/// The re-login rule reads a user's events in input order where their times are equal: the
/// day's sort must be stable. Thousands of lines at one instant, so that a sort that is not
/// would reorder them (small inputs are sorted by insertion, which keeps order anyway).
#[test]
fn events_at_one_instant_keep_their_input_order() {
    let k = Some("0180");
    let lines: Vec<E> = (0..4000)
        .map(|i| {
            let kind = if i % 2 == 0 { "request" } else { "login_ok" };
            let user = if i % 3 == 0 { "x" } else { "y" };
            E("lifecare", k, Some(user), "09:00", kind, Some(10.0))
        })
        .collect();
    let out = friction::daily(
        NaiveDate::from_ymd_opt(2026, 10, 26).unwrap(),
        &[batch(&lines)],
        &catalog(),
    )
    .unwrap();
    // Per user, a sign-in straight after one of that user's requests is a re-login.
    let mut want = 0;
    for u in ["x", "y"] {
        let kinds: Vec<&str> = lines
            .iter()
            .filter(|e| e.2 == Some(u))
            .map(|e| e.4)
            .collect();
        want += kinds
            .windows(2)
            .filter(|w| w == &["request", "login_ok"])
            .count() as i64;
    }
    let relogins = out
        .column_by_name("relogins")
        .unwrap()
        .as_primitive::<Int64Type>()
        .value(0);
    assert_eq!(relogins, want);
}
