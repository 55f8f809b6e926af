//! The lake contract: the Arrow schema of every table that one stage writes and the next reads.
//!
//! Conventions, which every reader (DuckDB, polars, pyarrow, Spark) can rely on:
//! - codes (kommun_kod, lan_kod, verksamhet, …) are strings, because leading zeros matter;
//! - timestamps are UTC microseconds, dates are `Date32`;
//! - every fact row keeps its lineage (`source_file`, `source_line`) back to the input line;
//! - partition columns are hive directories (`wave_id=vision-2019/`) and are *not* stored in
//!   the files. Their values are strings: tell your reader so, or it may guess a number
//!   (DuckDB: `hive_types={'wave_id': 'VARCHAR'}`, polars: `hive_schema={'wave_id': pl.String}`).
//!
//! The schema returned by [`TableDef::schema`] is the *logical* table: file columns followed by
//! partition columns, in that order, which is also how DuckDB and polars present them.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// Every table friktion writes to the lake (marts are defined by the SQL models instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LakeTable {
    Municipality,
    County,
    SurveyResponse,
    SurveyAnswer,
    SurveyQuarantine,
    ItEvent,
    ItFrictionDaily,
    LogQuarantine,
    Project,
    ProjectStage,
    ProjectFactor,
    ProjectQuarantine,
    KeyFactor,
    KeyFactorItem,
    CostAssumption,
    Ledger,
    TestResult,
}

/// What a table is, where it lives under the lake root and how it is laid out.
#[derive(Debug, Clone)]
pub struct TableDef {
    pub table: LakeTable,
    /// Directory name under the lake root, and the SQL name of the table.
    pub name: &'static str,
    pub description: &'static str,
    pub grain: &'static str,
    /// Hive partition columns, outermost first. Always strings.
    pub partition_cols: &'static [&'static str],
    file_fields: fn() -> Vec<Field>,
}

impl TableDef {
    /// The columns stored inside each Parquet file (partition columns excluded).
    pub fn file_schema(&self) -> SchemaRef {
        Arc::new(Schema::new((self.file_fields)()))
    }

    /// The logical schema: file columns, then partition columns as strings.
    pub fn schema(&self) -> SchemaRef {
        let mut fields = (self.file_fields)();
        fields.extend(
            self.partition_cols
                .iter()
                .map(|c| Field::new(*c, DataType::Utf8, false)),
        );
        Arc::new(Schema::new(fields))
    }
}

impl LakeTable {
    pub const ALL: [LakeTable; 17] = [
        LakeTable::Municipality,
        LakeTable::County,
        LakeTable::SurveyResponse,
        LakeTable::SurveyAnswer,
        LakeTable::SurveyQuarantine,
        LakeTable::ItEvent,
        LakeTable::ItFrictionDaily,
        LakeTable::LogQuarantine,
        LakeTable::Project,
        LakeTable::ProjectStage,
        LakeTable::ProjectFactor,
        LakeTable::ProjectQuarantine,
        LakeTable::KeyFactor,
        LakeTable::KeyFactorItem,
        LakeTable::CostAssumption,
        LakeTable::Ledger,
        LakeTable::TestResult,
    ];

    pub fn def(self) -> TableDef {
        use LakeTable::*;
        let (name, description, grain, partition_cols, file_fields): (
            _,
            _,
            _,
            &'static [&str],
            fn() -> Vec<Field>,
        ) = match self {
            Municipality => (
                "municipality",
                "The 290 municipalities (SCB), their county and peer group, with boundaries.",
                "one row per kommun",
                &[],
                municipality_fields,
            ),
            County => (
                "county",
                "The 21 counties (län, SCB) with boundaries.",
                "one row per län",
                &[],
                county_fields,
            ),
            SurveyResponse => (
                "survey_response",
                "Key fields of each staff-survey response, pseudonymised.",
                "respondent × wave",
                &["wave_id"],
                survey_response_fields,
            ),
            SurveyAnswer => (
                "survey_answer",
                "Every survey item answered, long form; free text redacted.",
                "respondent × item",
                &["wave_id"],
                survey_answer_fields,
            ),
            SurveyQuarantine => (
                "survey_quarantine",
                "Survey input rows or values that could not be loaded, with the reason.",
                "one rejected row or value",
                &[],
                quarantine_fields,
            ),
            ItEvent => (
                "it_event",
                "One normalised event from a system log; users pseudonymised, messages redacted.",
                "one log event",
                &["day"],
                it_event_fields,
            ),
            ItFrictionDaily => (
                "it_friction_daily",
                "Log-derived friction per day, municipality and system.",
                "day × kommun × system",
                &[],
                it_friction_daily_fields,
            ),
            LogQuarantine => (
                "log_quarantine",
                "Log lines that could not be parsed, with the reason and a bounded sample.",
                "one rejected line",
                &[],
                quarantine_fields,
            ),
            Project => (
                "project",
                "One implementation project of a digital solution or welfare technology.",
                "one project",
                &[],
                project_fields,
            ),
            ProjectStage => (
                "project_stage",
                "When a project entered each stage.",
                "project × stage",
                &[],
                project_stage_fields,
            ),
            ProjectFactor => (
                "project_factor",
                "Assessment of a project on each key factor.",
                "project × key factor",
                &[],
                project_factor_fields,
            ),
            ProjectQuarantine => (
                "project_quarantine",
                "Project records or values that could not be loaded, with the reason.",
                "one rejected row or value",
                &[],
                quarantine_fields,
            ),
            KeyFactor => (
                "key_factor",
                "The key-factor catalogue (pipelines/key_factors.toml): names and descriptions in Swedish and English.",
                "one row per key factor",
                &[],
                key_factor_fields,
            ),
            KeyFactorItem => (
                "key_factor_item",
                "Survey items read as evidence on a key factor, from the catalogue.",
                "key factor × survey item",
                &[],
                key_factor_item_fields,
            ),
            CostAssumption => (
                "cost_assumption",
                "The cost model's assumptions (pipelines/assumptions.toml), each set versioned: employees, working days, hours, salary, payroll overhead, source.",
                "assumption set × version",
                &[],
                cost_assumption_fields,
            ),
            Ledger => (
                "_ledger",
                "One row per source file and run: what was read, written, quarantined or skipped.",
                "source file × run",
                &[],
                ledger_fields,
            ),
            TestResult => (
                "_tests",
                "One row per data test and run: what was checked, how it went, and the failing rows.",
                "data test × run",
                &[],
                test_result_fields,
            ),
        };
        TableDef {
            table: self,
            name,
            description,
            grain,
            partition_cols,
            file_fields,
        }
    }

    pub fn name(self) -> &'static str {
        self.def().name
    }

    pub fn from_name(name: &str) -> Option<LakeTable> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
}

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

fn municipality_fields() -> Vec<Field> {
    vec![
        utf8("kommun_kod", false),
        utf8("name", false),
        utf8("lan_kod", false),
        utf8("lan_name", false),
        // SKR kommungrupp when a peer-group file is configured; null means "use the county".
        utf8("peer_group", true),
        Field::new("geometry", DataType::Binary, false),
    ]
}

fn county_fields() -> Vec<Field> {
    vec![
        utf8("lan_kod", false),
        utf8("name", false),
        Field::new("geometry", DataType::Binary, false),
    ]
}

fn survey_response_fields() -> Vec<Field> {
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

fn survey_answer_fields() -> Vec<Field> {
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
fn quarantine_fields() -> Vec<Field> {
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

fn it_event_fields() -> Vec<Field> {
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

fn it_friction_daily_fields() -> Vec<Field> {
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

fn project_fields() -> Vec<Field> {
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

fn project_stage_fields() -> Vec<Field> {
    let mut f = vec![
        utf8("project_id", false),
        utf8("stage", false),
        date("entered_on", false),
    ];
    f.extend(lineage());
    f
}

fn project_factor_fields() -> Vec<Field> {
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

fn key_factor_fields() -> Vec<Field> {
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

fn key_factor_item_fields() -> Vec<Field> {
    vec![utf8("factor_id", false), utf8("item_id", false)]
}

fn cost_assumption_fields() -> Vec<Field> {
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

fn test_result_fields() -> Vec<Field> {
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

fn ledger_fields() -> Vec<Field> {
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
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_a_unique_name_and_round_trips() {
        let mut names: Vec<_> = LakeTable::ALL.iter().map(|t| t.name()).collect();
        for t in LakeTable::ALL {
            assert_eq!(LakeTable::from_name(t.name()), Some(t));
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), LakeTable::ALL.len());
    }

    #[test]
    fn partition_columns_come_last_as_strings_and_are_not_in_files() {
        for t in LakeTable::ALL {
            let def = t.def();
            let logical = def.schema();
            let file = def.file_schema();
            assert_eq!(
                logical.fields().len(),
                file.fields().len() + def.partition_cols.len()
            );
            for (i, p) in def.partition_cols.iter().enumerate() {
                let f = logical.field(file.fields().len() + i);
                assert_eq!(f.name(), p);
                assert_eq!(f.data_type(), &DataType::Utf8);
                assert!(
                    file.field_with_name(p).is_err(),
                    "{p} stored in files of {}",
                    def.name
                );
            }
        }
    }

    #[test]
    fn fact_tables_carry_lineage_and_codes_are_strings() {
        for t in LakeTable::ALL {
            let s = t.def().schema();
            for code in [
                "kommun_kod",
                "lan_kod",
                "verksamhet",
                "occupation",
                "wave_id",
            ] {
                if let Ok(f) = s.field_with_name(code) {
                    assert_eq!(f.data_type(), &DataType::Utf8, "{code} in {}", t.name());
                }
            }
            if let Ok(f) = s.field_with_name("ts") {
                assert_eq!(
                    f.data_type(),
                    &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
                );
            }
        }
        for t in [
            LakeTable::SurveyResponse,
            LakeTable::SurveyAnswer,
            LakeTable::ItEvent,
            LakeTable::Project,
            LakeTable::ProjectStage,
            LakeTable::ProjectFactor,
        ] {
            let s = t.def().schema();
            assert!(s.field_with_name("source_file").is_ok(), "{}", t.name());
            assert!(s.field_with_name("source_line").is_ok(), "{}", t.name());
        }
        let q = LakeTable::SurveyQuarantine.def().schema();
        for c in ["source_file", "source_line", "field", "raw_value", "reason"] {
            assert!(q.field_with_name(c).is_ok(), "{c}");
        }
    }
}
