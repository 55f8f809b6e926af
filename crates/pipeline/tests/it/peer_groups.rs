//! SKR's kommungrupper as the peer groups of the benchmark (Källa: Kolada / SKR).

use std::collections::BTreeMap;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::Float64Type;
use friktion_pipeline::RunOptions;
use friktion_report::i18n::Lang;

use crate::Project;

fn strings(b: &[RecordBatch], c: &str) -> Vec<String> {
    b.iter()
        .flat_map(|b| {
            let a = arrow::compute::cast(
                b.column_by_name(c).unwrap(),
                &arrow::datatypes::DataType::Utf8,
            )
            .unwrap();
            let s = a.as_string::<i32>();
            (0..s.len())
                .map(|i| s.value(i).to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn floats(b: &[RecordBatch], c: &str) -> Vec<Option<f64>> {
    b.iter()
        .flat_map(|b| {
            let a = b.column_by_name(c).unwrap().as_primitive::<Float64Type>();
            (0..a.len())
                .map(|i| a.is_valid(i).then(|| a.value(i)))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn every_kommun_is_benchmarked_against_its_kommungrupp_by_default() {
    let p = Project::new();
    p.run().ok();
    // All 290 kommuner have a group of the 2023 revision, in groups of SKR's sizes.
    let m = p.query("SELECT kommun_kod, peer_group, peer_group_version FROM municipality");
    assert_eq!(strings(&m, "kommun_kod").len(), 290);
    assert!(strings(&m, "peer_group").iter().all(|g| g.len() == 2));
    assert!(
        strings(&m, "peer_group_version")
            .iter()
            .all(|v| v == "2023")
    );
    let sizes = p.query(
        "SELECT g.gruppkod, g.kommuner, COUNT(*) AS members FROM peer_group g \
         JOIN peer_group_member m ON m.version = g.version AND m.gruppkod = g.gruppkod \
         GROUP BY g.gruppkod, g.kommuner ORDER BY g.gruppkod",
    );
    let got: Vec<String> = strings(&sizes, "gruppkod")
        .into_iter()
        .zip(strings(&sizes, "members"))
        .zip(strings(&sizes, "kommuner"))
        .map(|((g, n), k)| {
            assert_eq!(n, k);
            format!("{g} {n}")
        })
        .collect();
    assert_eq!(
        got,
        [
            "A1 3", "A2 43", "B3 23", "B4 63", "B5 24", "C6 27", "C7 51", "C8 35", "C9 21"
        ]
    );

    // A kommun's peer mean is the weighted mean over every respondent of its kommungrupp, and
    // its county mean over its county's; computed here from the respondents.
    let r = p.query(
        "SELECT r.wave_id, r.weight, r.minutes_lost, g.gruppkod, m.lan_name \
         FROM survey_respondent r JOIN peer_group_member g ON g.kommun_kod = r.kommun_kod \
         JOIN municipality m ON m.kommun_kod = r.kommun_kod WHERE r.minutes_lost IS NOT NULL",
    );
    let (waves, groups, lans) = (
        strings(&r, "wave_id"),
        strings(&r, "gruppkod"),
        strings(&r, "lan_name"),
    );
    let (w, x) = (floats(&r, "weight"), floats(&r, "minutes_lost"));
    let mut sums: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
    for i in 0..waves.len() {
        for key in [groups[i].clone(), format!("län {}", lans[i])] {
            let s = sums.entry((waves[i].clone(), key)).or_default();
            s.0 += w[i].unwrap() * x[i].unwrap();
            s.1 += w[i].unwrap();
        }
    }
    let b = p.query(
        "SELECT wave_id, kommun_kod, peer_group, peer_group_name, lan_name, peer_mean_minutes, \
         county_mean_minutes FROM kommun_benchmark",
    );
    let (bw, bg, bl) = (
        strings(&b, "wave_id"),
        strings(&b, "peer_group"),
        strings(&b, "lan_name"),
    );
    let (pm, cm) = (
        floats(&b, "peer_mean_minutes"),
        floats(&b, "county_mean_minutes"),
    );
    assert!(bw.len() >= 20, "{bw:?}");
    for i in 0..bw.len() {
        let mean = |k: String| {
            let (s, w) = sums[&(bw[i].clone(), k)];
            s / w
        };
        assert!((pm[i].unwrap() - mean(bg[i].clone())).abs() < 1e-9, "{i}");
        assert!(
            (cm[i].unwrap() - mean(format!("län {}", bl[i]))).abs() < 1e-9,
            "{i}"
        );
    }
    assert!(strings(&b, "peer_group_name").contains(&"Pendlingskommun nära storstad".into()));

    // The kommun pages name the group in words, in Swedish and in English.
    let sv = std::fs::read_to_string(p.run().report().with_file_name("kommun/0163.html")).unwrap();
    assert!(
        sv.contains("<td>Pendlingskommun nära storstad</td>"),
        "{sv}"
    );
    let en = p.run_opts(&RunOptions {
        lang: Lang::En,
        ..RunOptions::default()
    });
    let en = std::fs::read_to_string(en.report().with_file_name("kommun/0163.html")).unwrap();
    assert!(
        en.contains("<td>Commuter municipality near a large city</td>"),
        "{en}"
    );
    // The bar chart names the group alone (its colour marks it as the peer group).
    assert!(en.contains(">\nCommuter municipality near a large city\n</text>"));
}

#[test]
fn without_a_kommungrupp_file_the_county_is_the_peer_group_and_a_named_revision_must_exist() {
    let p = Project::new();
    let cfg = p.config();
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("peer_group_version = \"2027\"\n{text}")).unwrap();
    let e = p.run_with(&RunOptions::default()).unwrap_err();
    let e = friktion_core::error_chain(&e);
    assert!(e.contains("no kommungrupp-2027.csv (found: 2023)"), "{e}");

    std::fs::write(&cfg, text).unwrap();
    std::fs::remove_file(p.path().join("sample-data/reference/kommungrupp-2023.csv")).unwrap();
    let o = p.run();
    o.ok();
    assert!(
        o.told().contains("benchmarked against their county"),
        "{}",
        o.told()
    );
    let b = p.query("SELECT DISTINCT peer_group, lan_name FROM kommun_benchmark");
    assert_eq!(strings(&b, "peer_group"), strings(&b, "lan_name"));
}
