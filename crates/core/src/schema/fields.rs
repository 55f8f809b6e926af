//! Each table's columns, in the order the files store them. Comments say what a column means
//! where its name does not.

use arrow::datatypes::{DataType, Field, TimeUnit};

fn utf8(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Utf8, nullable)
}

fn f64(name: &str) -> Field {
    Field::new(name, DataType::Float64, true)
}

fn i64(name: &str) -> Field {
    Field::new(name, DataType::Int64, true)
}

fn ts(name: &str, nullable: bool) -> Field {
    Field::new(
        name,
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        nullable,
    )
}

fn date(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::Date32, nullable)
}

fn lineage() -> [Field; 2] {
    [
        utf8("source_file", false),
        Field::new("source_line", DataType::Int64, false),
    ]
}

pub(super) fn municipality_fields() -> Vec<Field> {
    vec![
        utf8("kommun_kod", false),
        utf8("name", false),
        utf8("lan_kod", false),
        utf8("lan_name", false),
        // The SKR kommungrupp (A1 … C9) of the revision benchmarked against, in peer_group;
        // null when the reference has no kommungrupp file (the benchmark then uses the county).
        utf8("peer_group", true),
        utf8("peer_group_version", true),
        Field::new("geometry", DataType::Binary, false),
    ]
}

pub(super) fn peer_group_fields() -> Vec<Field> {
    vec![
        // The revision (2023): a later one sits beside it.
        utf8("version", false),
        utf8("gruppkod", false),
        utf8("name", false),
        utf8("name_en", false),
        // A, B or C, and its name.
        utf8("main_group", false),
        utf8("main_group_name", false),
        utf8("main_group_name_en", false),
        // Kolada's id for the group's unweighted mean (G92793 …).
        utf8("kolada_group_id", true),
        i64("kommuner"),
    ]
}

pub(super) fn peer_group_member_fields() -> Vec<Field> {
    vec![
        utf8("version", false),
        utf8("kommun_kod", false),
        utf8("gruppkod", false),
    ]
}

pub(super) fn county_fields() -> Vec<Field> {
    vec![
        utf8("lan_kod", false),
        utf8("name", false),
        Field::new("geometry", DataType::Binary, false),
    ]
}

pub(super) fn survey_response_fields() -> Vec<Field> {
    let mut f = vec![
        utf8("respondent_key", false),
        utf8("employer_type", true),
        utf8("kommun_kod", true),
        utf8("lan_kod", true),
        utf8("verksamhet", true),
        utf8("occupation", true),
        f64("minutes_lost"),
        f64("minutes_lost_low"),
        f64("minutes_lost_high"),
        Field::new("involved_in_procurement", DataType::Boolean, true),
        Field::new("needs_training", DataType::Boolean, true),
        Field::new("weight", DataType::Float64, false),
        // A later answer by a respondent already seen in the wave: kept, flagged, never counted.
        Field::new("is_duplicate", DataType::Boolean, false),
        ts("submitted_at", true),
    ];
    f.extend(lineage());
    f
}

pub(super) fn survey_answer_fields() -> Vec<Field> {
    let mut f = vec![
        utf8("respondent_key", false),
        utf8("item_id", false),
        f64("value_num"),
        utf8("value_label", true),
    ];
    f.extend(lineage());
    f
}

/// Shared by every `*_quarantine` table.
pub(super) fn quarantine_fields() -> Vec<Field> {
    vec![
        utf8("source_file", false),
        // Null when the problem is with the whole file (say, its encoding).
        Field::new("source_line", DataType::Int64, true),
        utf8("field", true),
        utf8("raw_value", true),
        utf8("reason", false),
        // "row_rejected": the row is not in the table; "value_nulled": the row is, without this value.
        utf8("action", false),
        utf8("run_id", false),
    ]
}

pub(super) fn it_event_fields() -> Vec<Field> {
    let mut f = vec![
        ts("ts", false),
        utf8("kommun_kod", true),
        utf8("system_id", true),
        utf8("verksamhet", true),
        utf8("user_key", true),
        utf8("session_id", true),
        utf8("event_type", false),
        Field::new("status", DataType::Int32, true),
        f64("latency_ms"),
        utf8("host", true),
        utf8("message", true),
        // URL path without the query string, redacted like messages.
        utf8("path", true),
        utf8("source_format", false),
    ];
    f.extend(lineage());
    f
}

pub(super) fn it_friction_daily_fields() -> Vec<Field> {
    vec![
        date("day", false),
        utf8("kommun_kod", true),
        utf8("system_id", true),
        i64("users"),
        i64("sessions"),
        i64("events"),
        i64("errors"),
        i64("failed_logins"),
        i64("timeouts"),
        i64("slow_responses"),
        i64("crashes"),
        i64("relogins"),
        f64("p50_latency_ms"),
        f64("p95_latency_ms"),
        // Estimated by the friction model (docs/LOGS.md), from identified users' events.
        f64("minutes_lost"),
        f64("est_minutes_lost_per_user"),
    ]
}

pub(super) fn project_fields() -> Vec<Field> {
    let mut f = vec![
        utf8("project_id", false),
        utf8("kommun_kod", false),
        utf8("name", true),
        utf8("solution", true),
        utf8("track", true),
        f64("budget_planned_sek"),
        f64("cost_actual_sek"),
        i64("users_target"),
        i64("users_reached"),
        // The stage the export gives as current, in the stage vocabulary.
        utf8("status", true),
        // The date the records describe: projects not live by then are censored at it.
        date("data_date", false),
        // Why the timeline cannot be used for time measures (dates out of order, live without
        // a decision); null when it can. The project still counts in the funnel and budgets.
        utf8("timeline_issue", true),
    ];
    f.extend(lineage());
    f
}

pub(super) fn project_stage_fields() -> Vec<Field> {
    let mut f = vec![
        utf8("project_id", false),
        utf8("stage", false),
        date("entered_on", false),
    ];
    f.extend(lineage());
    f
}

pub(super) fn project_factor_fields() -> Vec<Field> {
    let mut f = vec![
        utf8("project_id", false),
        utf8("factor_id", false),
        Field::new("score", DataType::Int32, true),
        utf8("direction", true),
        date("assessed_on", true),
    ];
    f.extend(lineage());
    f
}

pub(super) fn key_factor_fields() -> Vec<Field> {
    vec![
        utf8("factor_id", false),
        Field::new("position", DataType::Int32, false),
        utf8("name_sv", false),
        utf8("name_en", false),
        utf8("description_sv", false),
        utf8("description_en", false),
        utf8("enabling_sv", true),
        utf8("restricting_sv", true),
        utf8("enabling_en", true),
        utf8("restricting_en", true),
    ]
}

pub(super) fn key_factor_item_fields() -> Vec<Field> {
    vec![utf8("factor_id", false), utf8("item_id", false)]
}

pub(super) fn cost_assumption_fields() -> Vec<Field> {
    vec![
        utf8("assumption_set", false),
        i64("version"),
        utf8("description", false),
        // The description in English, for the English report.
        utf8("description_en", true),
        f64("employees"),
        f64("working_days_per_year"),
        f64("hours_per_month"),
        f64("monthly_salary_sek"),
        f64("payroll_overhead"),
        utf8("source", false),
        // What a published figure said, where the set reproduces one.
        f64("published_minutes_per_day"),
        f64("published_cost_sek"),
    ]
}

pub(super) fn kolada_kpi_fields() -> Vec<Field> {
    let b = |n: &str| Field::new(n, DataType::Boolean, true);
    vec![
        utf8("kpi_id", false),
        utf8("title", true),
        utf8("description", true),
        b("is_divided_by_gender"),
        // K (kommun), L (region), A (both).
        utf8("municipality_type", true),
        utf8("auspice", true),
        utf8("operating_area", true),
        utf8("perspective", true),
        utf8("prel_publication_date", true),
        utf8("publication_date", true),
        utf8("publ_period", true),
        b("has_ou_data"),
    ]
}

pub(super) fn kolada_value_fields() -> Vec<Field> {
    let mut f = vec![
        utf8("kpi_id", false),
        // 0000 is the whole of Sweden, as in Kolada.
        utf8("kommun_kod", false),
        Field::new("period", DataType::Int32, false),
        // T total, K women, M men.
        utf8("gender", false),
        f64("value"),
        // How many the value rests on, where Kolada says.
        i64("count"),
        utf8("status", true),
        // The file says its figures are made up (the bundled demo's are): never Kolada's.
        Field::new("synthetic", DataType::Boolean, false),
    ];
    f.extend(lineage());
    f
}

pub(super) fn test_result_fields() -> Vec<Field> {
    vec![
        utf8("run_id", false),
        ts("checked_at", false),
        // The model or lake table tested.
        utf8("target", false),
        // "not_null(kommun_kod)", "row_count_change", "freshness(ts)", …
        utf8("test", false),
        // "error" or "warn": whether a failure fails the run.
        utf8("severity", false),
        // "pass", "fail", or "error" (the test itself could not run).
        utf8("status", false),
        i64("failing_rows"),
        // What was measured, where a number says it: rows, days since the newest row.
        f64("observed"),
        utf8("message", true),
    ]
}

pub(super) fn ledger_fields() -> Vec<Field> {
    vec![
        utf8("source_file", false),
        utf8("source_kind", false),
        utf8("content_hash", false),
        // Hash of everything besides the bytes that shapes the output (instrument, wave, key).
        utf8("config_hash", false),
        i64("rows_read"),
        i64("rows_written"),
        i64("rows_quarantined"),
        // "ingested", "replaced" (the file changed since it was last loaded) or "skipped".
        utf8("action", false),
        utf8("run_id", false),
        ts("ingested_at", false),
        // The file's size and modification time when it was read, and the hash of the
        // settings known before reading it: when all three match the last sighting, the next
        // run skips the file without reading it. Empty in ledgers written before they existed.
        i64("source_bytes"),
        ts("source_modified", true),
        utf8("settings_hash", true),
    ]
}
