//! A municipality's own staff survey (medarbetarenkät) with IT items, as the survey tool's
//! Excel export looks: a title above the header, banded minutes, agreement labels in the
//! "Stämmer …" form, answer dates as date cells.

use friktion_core::Kommun;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use crate::survey::{Scale, agreement, respondents};

pub const HEADER: [&str; 9] = [
    "Svars-ID",
    "Kommunkod",
    "Förvaltning",
    "Befattning",
    "Ungefär hur mycket arbetstid per dag förlorar du på grund av krånglande IT-system?",
    "Har du varit med och valt eller infört något IT-stöd?",
    "Jag har fått tillräcklig utbildning i de IT-system jag använder",
    "IT-stödet underlättar mitt arbete",
    "Svarsdatum",
];

/// Förvaltningar in the order of the calibrated verksamhet table.
const FORVALTNING: [&str; 9] = [
    "Vård- och omsorgsförvaltningen",
    "Funktionsstödsförvaltningen",
    "Socialförvaltningen",
    "Hälso- och sjukvårdsenheten",
    "Förskoleförvaltningen",
    "Utbildningsförvaltningen",
    "Samhällsbyggnadsförvaltningen",
    "Kultur- och fritidsförvaltningen",
    "Kommunledningsförvaltningen",
];

fn band(m: f64) -> &'static str {
    match m {
        m if m < 0.5 => "Ingen tid",
        m if m <= 15.0 => "1–15 minuter",
        m if m <= 30.0 => "16–30 minuter",
        m if m <= 60.0 => "31–60 minuter",
        _ => "Mer än en timme",
    }
}

const STAMMER: Scale = Scale {
    labels: [
        "Stämmer helt",
        "Stämmer till stor del",
        "Stämmer delvis",
        "Stämmer till liten del",
        "Stämmer inte alls",
    ],
    dont_know: "Vet ej",
    dont_know_share: 0.04,
    fully: 0.4,
};

/// The XLSX bytes of one municipality's survey; deterministic for a seed.
pub fn generate(k: &Kommun, year: u16, n: usize, seed: u64) -> Result<Vec<u8>, XlsxError> {
    let mut rng = ChaCha8Rng::seed_from_u64(
        seed ^ u64::from(year) ^ k.kommun_kod.parse::<u64>().unwrap_or(0) << 20,
    );
    let mut wb = Workbook::new();
    // A fixed creation time keeps the file byte-identical between runs.
    wb.set_properties(
        &DocProperties::new().set_creation_datetime(&ExcelDateTime::from_ymd(year, 11, 1)?),
    );
    let ws = wb.add_worksheet();
    ws.set_name("Svar")?;
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    ws.write_string_with_format(
        0,
        0,
        format!("Medarbetarenkät {year} – {} kommun", k.name),
        &bold,
    )?;
    ws.write_string(1, 0, format!("Export {year}-11-01, alla svar"))?;
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string_with_format(2, c as u16, *h, &bold)?;
    }
    for (i, r) in respondents(&mut rng, year, n).iter().enumerate() {
        let row = 3 + i as u32;
        ws.write_string(row, 0, format!("{}-{:05}", k.kommun_kod, 1 + i * 7))?;
        // Kommunkod as text, as a careful export writes it (a number would lose the 0 of 0604).
        ws.write_string(row, 1, &k.kommun_kod)?;
        ws.write_string(row, 2, FORVALTNING[r.verksamhet])?;
        ws.write_string(row, 3, r.occupation)?;
        ws.write_string(row, 4, band(r.minutes))?;
        ws.write_string(row, 5, if r.involved { "Ja" } else { "Nej" })?;
        ws.write_string(row, 6, agreement(&mut rng, &STAMMER, 0.55))?;
        ws.write_string(
            row,
            7,
            agreement(&mut rng, &STAMMER, if r.involved { 0.85 } else { 0.65 }),
        )?;
        let day = ExcelDateTime::from_ymd(year, 10, rng.random_range(1..=28))?;
        ws.write_datetime_with_format(row, 8, &day, &date)?;
    }
    wb.save_to_buffer()
}
