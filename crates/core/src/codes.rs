//! Canonical codes for the categorical fields, with Swedish and English labels.
//!
//! Instruments map whatever a survey wrote onto these codes; reports show the labels. Codes are
//! ASCII, lower case and stable: changing one breaks every mart that groups by it.

/// A code with its labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    pub code: &'static str,
    pub sv: &'static str,
    pub en: &'static str,
}

const fn c(code: &'static str, sv: &'static str, en: &'static str) -> Code {
    Code { code, sv, en }
}

/// Employer types. Regions are employers too (health care), though reports are per kommun.
pub const EMPLOYER_TYPES: &[Code] = &[
    c("kommun", "Kommun", "Municipality"),
    c("region", "Region", "Region"),
];

/// Areas of municipal activity (verksamhetsområden).
pub const VERKSAMHET: &[Code] = &[
    c("aldreomsorg", "Äldreomsorg", "Elderly care"),
    c("funktionsstod", "Funktionsstöd (LSS)", "Disability support"),
    c("ifo", "Individ- och familjeomsorg", "Social services"),
    c("halso_sjukvard", "Hälso- och sjukvård", "Health care"),
    c("forskola", "Förskola", "Preschool"),
    c("skola", "Skola", "School"),
    c("teknik", "Teknisk verksamhet", "Technical services"),
    c("kultur_fritid", "Kultur och fritid", "Culture and leisure"),
    c(
        "administration",
        "Administration och stöd",
        "Administration and support",
    ),
];

pub const OCCUPATION: &[Code] = &[
    c("underskoterska", "Undersköterska", "Assistant nurse"),
    c("vardbitrade", "Vårdbiträde", "Care assistant"),
    c("sjukskoterska", "Sjuksköterska", "Nurse"),
    c("socialsekreterare", "Socialsekreterare", "Social worker"),
    c(
        "bistandshandlaggare",
        "Biståndshandläggare",
        "Needs assessor",
    ),
    c("larare", "Lärare", "Teacher"),
    c("forskollarare", "Förskollärare", "Preschool teacher"),
    c("administrator", "Administratör", "Administrator"),
    c("chef", "Chef", "Manager"),
    c("ingenjor", "Ingenjör/tekniker", "Engineer/technician"),
    c("it", "IT-personal", "IT staff"),
];

pub fn find(codes: &'static [Code], code: &str) -> Option<&'static Code> {
    codes.iter().find(|c| c.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_ascii_lowercase() {
        for list in [EMPLOYER_TYPES, VERKSAMHET, OCCUPATION] {
            let mut seen = std::collections::HashSet::new();
            for c in list {
                assert!(seen.insert(c.code), "duplicate {}", c.code);
                assert!(
                    c.code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                    "{} is not ascii lower case",
                    c.code
                );
            }
        }
        assert_eq!(find(VERKSAMHET, "ifo").unwrap().en, "Social services");
        assert!(find(VERKSAMHET, "nope").is_none());
    }
}

/// A Kolada KPI id: a capital letter and five digits (N00945, U21340).
pub fn is_kolada_kpi_id(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 6 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit)
}

/// The prefix of friktion's own KPI ids in the Kolada-shaped export: a namespace Kolada's
/// ids (a letter and five digits) can never enter.
pub const OWN_KPI_PREFIX: &str = "FRIKTION_";
