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

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

mod fields;
use fields::*;

/// A batch that does not fit its table's contract, with the column named.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    #[error("{table}: column {column} is missing")]
    Missing { table: &'static str, column: String },
    #[error("{table}: there is no column {column} in the contract")]
    Unknown { table: &'static str, column: String },
    #[error("{table}: column {column} is {found}, the contract says {expected}")]
    Type {
        table: &'static str,
        column: String,
        found: DataType,
        expected: DataType,
    },
    #[error("{table}: the columns do not make a batch")]
    Batch {
        table: &'static str,
        #[source]
        source: arrow::error::ArrowError,
    },
}

/// Every table friktion writes to the lake (marts are defined by the SQL models instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LakeTable {
    Municipality,
    County,
    PeerGroup,
    PeerGroupMember,
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
    KoladaKpi,
    KoladaValue,
    KoladaQuarantine,
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

    /// A batch of the table's file columns, given by name in any order: writers never depend
    /// on the contract's column order, and a column missing, unknown or of another type is
    /// named.
    pub fn batch(&self, columns: Vec<(&str, ArrayRef)>) -> Result<RecordBatch, ContractError> {
        let schema = self.file_schema();
        let table = self.name;
        if let Some((c, _)) = columns.iter().find(|(c, _)| schema.index_of(c).is_err()) {
            return Err(ContractError::Unknown {
                table,
                column: c.to_string(),
            });
        }
        let mut ordered = Vec::with_capacity(schema.fields().len());
        for f in schema.fields() {
            let Some((_, a)) = columns.iter().find(|(c, _)| c == f.name()) else {
                return Err(ContractError::Missing {
                    table,
                    column: f.name().clone(),
                });
            };
            if a.data_type() != f.data_type() {
                return Err(ContractError::Type {
                    table,
                    column: f.name().clone(),
                    found: a.data_type().clone(),
                    expected: f.data_type().clone(),
                });
            }
            ordered.push(a.clone());
        }
        RecordBatch::try_new(schema, ordered)
            .map_err(|source| ContractError::Batch { table, source })
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
    pub const ALL: [LakeTable; 22] = [
        LakeTable::Municipality,
        LakeTable::County,
        LakeTable::PeerGroup,
        LakeTable::PeerGroupMember,
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
        LakeTable::KoladaKpi,
        LakeTable::KoladaValue,
        LakeTable::KoladaQuarantine,
        LakeTable::Ledger,
        LakeTable::TestResult,
    ];

    /// The quarantine tables keep rejected input as it came, raw text and all: nothing in them
    /// has been pseudonymised or redacted, so only analysts read them.
    pub fn holds_raw_input(self) -> bool {
        matches!(
            self,
            LakeTable::SurveyQuarantine
                | LakeTable::LogQuarantine
                | LakeTable::ProjectQuarantine
                | LakeTable::KoladaQuarantine
        )
    }

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
            PeerGroup => (
                "peer_group",
                "SKR's kommungrupper (kommungruppsindelning), each revision: code, names in Swedish and English, main group. Källa: Kolada / SKR.",
                "revision × kommungrupp",
                &[],
                peer_group_fields,
            ),
            PeerGroupMember => (
                "peer_group_member",
                "Each kommun's kommungrupp in each revision.",
                "revision × kommun",
                &[],
                peer_group_member_fields,
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
            KoladaKpi => (
                "kolada_kpi",
                "Kolada's KPI definitions (the API's /kpi): id, title, description, operating area, municipality type. Källa: Kolada.",
                "one row per Kolada KPI",
                &[],
                kolada_kpi_fields,
            ),
            KoladaValue => (
                "kolada_value",
                "Published Kolada KPI values as downloaded (API JSON or CSV export), beside friktion's own measures. Källa: Kolada.",
                "kpi × kommun × period × gender",
                &[],
                kolada_value_fields,
            ),
            KoladaQuarantine => (
                "kolada_quarantine",
                "Kolada values that could not be loaded, with the reason.",
                "one rejected value",
                &[],
                quarantine_fields,
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

#[cfg(test)]
mod tests {
    use arrow::datatypes::TimeUnit;

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

    #[test]
    fn a_batch_is_built_by_column_name_and_a_missing_or_mistyped_column_is_named() {
        use arrow::array::{BinaryArray, StringArray};
        let def = LakeTable::County.def();
        let s = |v: &str| Arc::new(StringArray::from(vec![v])) as ArrayRef;
        let geometry = Arc::new(BinaryArray::from_iter_values([b"x"])) as ArrayRef;
        // Any order: the contract's order is the file's.
        let b = def
            .batch(vec![
                ("geometry", geometry.clone()),
                ("name", s("Uppsala")),
                ("lan_kod", s("03")),
            ])
            .unwrap();
        assert_eq!(b.schema(), def.file_schema());
        let e = def.batch(vec![("lan_kod", s("03")), ("geometry", geometry.clone())]);
        assert_eq!(e.unwrap_err().to_string(), "county: column name is missing");
        let e = def.batch(vec![
            ("lan_kod", s("03")),
            ("name", s("x")),
            ("geometry", s("x")),
        ]);
        assert!(
            e.unwrap_err()
                .to_string()
                .contains("column geometry is Utf8")
        );
        let e = def.batch(vec![("lan", s("03"))]);
        assert_eq!(
            e.unwrap_err().to_string(),
            "county: there is no column lan in the contract"
        );
    }
}
