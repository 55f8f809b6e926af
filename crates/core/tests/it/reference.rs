use std::sync::LazyLock;

use friktion_core::Reference;
use friktion_core::reference::{CodeError, NameError};

static REF: LazyLock<Reference> =
    LazyLock::new(|| Reference::load(&crate::reference_dir()).unwrap());

#[test]
fn all_290_municipalities_and_21_counties_load_and_validate() {
    let codes: Vec<&str> = REF.kommuner().map(|k| k.kommun_kod.as_str()).collect();
    assert_eq!(codes.len(), 290);
    assert_eq!(REF.lan().count(), 21);
    let lan: Vec<&str> = REF.lan().map(|l| l.lan_kod.as_str()).collect();
    assert_eq!(
        lan,
        [
            "01", "03", "04", "05", "06", "07", "08", "09", "10", "12", "13", "14", "17", "18",
            "19", "20", "21", "22", "23", "24", "25"
        ]
    );
    for k in REF.kommuner() {
        assert_eq!(REF.validate_kommun_kod(&k.kommun_kod).unwrap().name, k.name);
        // Every name resolves back to its own code, as written and in upper case.
        assert_eq!(
            REF.lookup_name(&k.name).unwrap().kommun_kod,
            k.kommun_kod,
            "{}",
            k.name
        );
        assert_eq!(
            REF.lookup_name(&k.name.to_uppercase()).unwrap().kommun_kod,
            k.kommun_kod
        );
        assert_eq!(
            REF.lookup_name(&format!("{} kommun", k.name))
                .unwrap()
                .kommun_kod,
            k.kommun_kod
        );
        assert!(!k.geometry.is_empty());
        assert!(REF.lan_by_code(&k.lan_kod).is_some());
    }
    assert_eq!(REF.kommun("0180").unwrap().name, "Stockholm");
    assert_eq!(REF.kommun("1480").unwrap().name, "Göteborg");
}

#[test]
fn names_resolve_in_the_forms_people_write() {
    for (input, code) in [
        ("Göteborgs Stad", "1480"),
        ("Göteborg", "1480"),
        ("Göteborgs kommun", "1480"),
        ("GÖTEBORG", "1480"),
        ("  göteborgs   stad ", "1480"),
        ("Goteborg", "1480"),
        ("Malmö stad", "1280"),
        ("Malmö", "1280"),
        ("Stockholms stad", "0180"),
        ("Region Gotland", "0980"),
        ("Falu kommun", "2080"),
        ("Upplands Väsby kommun", "0114"),
        ("Borås Stad", "1490"),
        ("Västerås stad", "1980"),
        ("1480", "1480"),
        // Spreadsheets store codes as numbers and drop the leading zero.
        ("180", "0180"),
        ("180.0", "0180"),
        (" 0114 ", "0114"),
    ] {
        let got = REF
            .resolve(input)
            .unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(got.kommun_kod, code, "{input}");
    }
}

#[test]
fn an_unknown_name_gives_a_clear_error_with_suggestions() {
    let e = REF.lookup_name("Götebrg").unwrap_err();
    assert!(matches!(e, NameError::Unknown { .. }));
    let msg = e.to_string();
    assert!(
        msg.contains("Götebrg") && msg.contains("Göteborg (1480)"),
        "{msg}"
    );
    let e = REF.lookup_name("Atlantis").unwrap_err().to_string();
    assert_eq!(e, "unknown municipality 'Atlantis'");
    assert_eq!(REF.lookup_name("  ").unwrap_err(), NameError::Empty);
}

#[test]
fn bad_codes_say_what_is_wrong() {
    assert_eq!(
        REF.validate_kommun_kod("180").unwrap_err(),
        CodeError::Format("180".into())
    );
    assert_eq!(
        REF.validate_kommun_kod("01a0").unwrap_err(),
        CodeError::Format("01a0".into())
    );
    assert_eq!(
        REF.validate_kommun_kod("0280").unwrap_err(),
        CodeError::UnknownLan {
            code: "0280".into(),
            lan: "02".into()
        }
    );
    assert_eq!(
        REF.validate_kommun_kod("0199").unwrap_err(),
        CodeError::Unknown("0199".into())
    );
}

#[test]
fn counties_and_regions_resolve() {
    for (input, code) in [
        ("Skåne län", "12"),
        ("Region Skåne", "12"),
        ("Västra Götalandsregionen", "14"),
        ("Region Västra Götaland", "14"),
        ("Region Stockholm", "01"),
        ("Region Sörmland", "04"),
        ("Region Jämtland Härjedalen", "23"),
        ("Region Dalarna", "20"),
        ("Region Kalmar län", "08"),
        ("Region Gotland", "09"),
        ("14", "14"),
    ] {
        assert_eq!(
            REF.lookup_lan(input)
                .unwrap_or_else(|e| panic!("{input}: {e}"))
                .lan_kod,
            code,
            "{input}"
        );
    }
    assert!(REF.lookup_lan("Region Atlantis").is_err());
}

#[test]
fn a_missing_reference_directory_is_a_clear_error() {
    let e = Reference::load(std::path::Path::new("/nonexistent/ref"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("/nonexistent/ref/municipalities.geoparquet"),
        "{e}"
    );
}
