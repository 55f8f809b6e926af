//! The report's one palette, Okabe and Ito's colours that readers with any common colour
//! vision deficiency can tell apart. A kommun, its peer group and the country keep their
//! colours on every page and in every chart.

use plotters::style::RGBColor;

/// A kommun (on the national page: every kommun).
pub const KOMMUN: &str = "#0072b2";
/// The kommun's peer group (SKR kommungrupp) or county.
pub const PEER: &str = "#d55e00";
/// The country: the reference every comparison is drawn against.
pub const COUNTRY: &str = "#222222";
/// The kommun's county, beside its peer group.
pub const COUNTY_RGB: RGBColor = RGBColor(0x00, 0x9e, 0x73);
/// Text in charts.
pub const TEXT: &str = "#1a1a1a";

pub const KOMMUN_RGB: RGBColor = RGBColor(0x00, 0x72, 0xb2);
pub const PEER_RGB: RGBColor = RGBColor(0xd5, 0x5e, 0x00);
pub const COUNTRY_RGB: RGBColor = RGBColor(0x22, 0x22, 0x22);

/// Lines of a chart with several series (survey waves, solutions), in this order.
pub const SERIES: [RGBColor; 7] = [
    KOMMUN_RGB,
    PEER_RGB,
    RGBColor(0x00, 0x9e, 0x73),
    RGBColor(0xcc, 0x79, 0xa7),
    RGBColor(0x56, 0xb4, 0xe9),
    RGBColor(0xe6, 0x9f, 0x00),
    COUNTRY_RGB,
];

/// Who a bar or line stands for; each keeps its colour everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ink {
    #[default]
    Kommun,
    Peer,
    County,
    Country,
}

impl Ink {
    pub fn rgb(self) -> RGBColor {
        match self {
            Ink::Kommun => KOMMUN_RGB,
            Ink::Peer => PEER_RGB,
            Ink::County => COUNTY_RGB,
            Ink::Country => COUNTRY_RGB,
        }
    }
}
