//! The printable certificate: an A4 PDF (`krilla`) with selectable text in DejaVu Sans
//! (embedded, subset; it covers Romanian ă â î ș ț and Cyrillic), the institution with its
//! uploaded logo, the learner,
//! the title, every EU element of the Council Recommendation 2022/C 243/02 Annex I in the
//! learner's language (en/ro), the date of issuing, and the QR code of the verification page
//! with its short URL printed under it.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;
use microcred_core::model::MicroCredential;

use crate::db::credentials::CredentialRow;
use crate::error::IssuerError;
use crate::Issuer;

const REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

const WIDTH: f32 = 595.28;
const HEIGHT: f32 = 841.89;
const MARGIN: f32 = 56.0;

/// The words of the certificate, per language.
struct Words {
    heading: &'static str,
    certifies: &'static str,
    awarded: &'static str,
    outcomes: &'static str,
    workload: &'static str,
    eqf: &'static str,
    assessment: &'static str,
    participation: &'static str,
    setting: &'static str,
    quality: &'static str,
    criteria: &'static str,
    prerequisites: &'static str,
    supervision: &'static str,
    stackability: &'static str,
    grade: &'static str,
    period: &'static str,
    issued: &'static str,
    valid_until: &'static str,
    awarding_body: &'static str,
    verify: &'static str,
}

const EN: Words = Words {
    heading: "MICRO-CREDENTIAL",
    certifies: "This certifies that",
    awarded: "has been awarded the micro-credential",
    outcomes: "Learning outcomes",
    workload: "Notional workload",
    eqf: "Level (EQF)",
    assessment: "Type of assessment",
    participation: "Form of participation",
    setting: "Learning setting",
    quality: "Quality assurance",
    criteria: "Assessment criteria",
    prerequisites: "Prerequisites",
    supervision: "Supervision and identity verification",
    stackability: "Integration / stackability",
    grade: "Grade",
    period: "Learning period",
    issued: "Date of issuing",
    valid_until: "Valid until",
    awarding_body: "Awarding body",
    verify: "Verify this certificate:",
};

const RO: Words = Words {
    heading: "MICRO-CREDENȚIAL",
    certifies: "Se certifică faptul că",
    awarded: "a obținut micro-credențialul",
    outcomes: "Rezultatele învățării",
    workload: "Volumul de muncă",
    eqf: "Nivelul (CEC)",
    assessment: "Tipul evaluării",
    participation: "Forma de participare",
    setting: "Contextul învățării",
    quality: "Asigurarea calității",
    criteria: "Criteriile de evaluare",
    prerequisites: "Condiții prealabile",
    supervision: "Supravegherea și verificarea identității",
    stackability: "Integrare / cumulare",
    grade: "Nota",
    period: "Perioada învățării",
    issued: "Data eliberării",
    valid_until: "Valabil până la",
    awarding_body: "Furnizorul",
    verify: "Verificați acest certificat:",
};

/// Splits `text` into lines of at most `width` characters, at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for para in text.lines() {
        let mut current = String::new();
        for word in para.split_whitespace() {
            if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
                lines.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        if !current.is_empty() {
            lines.push(current);
        }
    }
    lines
}

struct Writer<'a, 'b> {
    surface: &'a mut Surface<'b>,
    regular: Font,
    bold: Font,
    y: f32,
}

impl Writer<'_, '_> {
    fn colour(&mut self, r: u8, g: u8, b: u8) {
        self.surface.set_fill(Some(Fill {
            paint: rgb::Color::new(r, g, b).into(),
            opacity: NormalizedF32::ONE,
            rule: Default::default(),
        }));
    }

    fn line(&mut self, text: &str, size: f32, bold: bool, x: f32) {
        let font = if bold {
            self.bold.clone()
        } else {
            self.regular.clone()
        };
        self.y += size * 1.25;
        self.surface.draw_text(
            Point::from_xy(x, self.y),
            font,
            size,
            text,
            false,
            TextDirection::Auto,
        );
    }

    fn paragraph(&mut self, text: &str, size: f32, bold: bool, width: usize) {
        for l in wrap(text, width) {
            self.line(&l, size, bold, MARGIN);
        }
    }

    /// A label and its value, the value wrapped beside the label column.
    fn element(&mut self, label: &str, value: &str) {
        if value.trim().is_empty() {
            return;
        }
        self.colour(90, 90, 90);
        self.y += 4.0;
        self.line(label, 8.5, true, MARGIN);
        self.colour(20, 20, 20);
        for l in wrap(value, 95) {
            self.line(&l, 9.0, false, MARGIN);
        }
    }
}

fn date(t: time::OffsetDateTime) -> String {
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

/// Largest box the institution's logo is fitted into, top right (points).
const LOGO_BOX: (f32, f32) = (150.0, 60.0);

/// The certificate of `cred` in `lang` (`en` or `ro`), with the institution's `logo` (PNG)
/// when it has uploaded one.
pub fn certificate(
    app: &Issuer,
    cred: &CredentialRow,
    lang: &str,
    logo: Option<&[u8]>,
) -> Result<Vec<u8>, IssuerError> {
    let what = || format!("credential {} (document)", cred.code);
    let doc: serde_json::Value =
        serde_json::from_str(&cred.document).map_err(|e| IssuerError::stored(what(), e))?;
    let mc = MicroCredential::from_json(&doc).map_err(|e| IssuerError::stored(what(), e))?;
    let lang = if lang == "ro" { "ro" } else { "en" };
    let w = if lang == "ro" { &RO } else { &EN };
    let d = &mc.achievement.definition;
    let verify_url = app.urls.verification_page(&cred.code);

    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!("{} - {}", d.title.get(lang), mc.learner.name))
            .authors(vec![mc.issuer.legal_name.clone()])
            .language(lang.to_owned())
            .creator("microcred".to_owned()),
    );
    let regular = Font::new(REGULAR.to_vec().into(), 0).ok_or_else(|| {
        IssuerError::internal("the certificate font", "DejaVuSans.ttf unreadable")
    })?;
    let bold = Font::new(BOLD.to_vec().into(), 0).ok_or_else(|| {
        IssuerError::internal("the certificate font", "DejaVuSans-Bold.ttf unreadable")
    })?;
    let mut page = document
        .start_page_with(PageSettings::from_wh(WIDTH, HEIGHT).expect("A4 is a valid page size"));
    let mut surface = page.surface();

    // A band in EU blue along the top.
    let band = {
        let mut pb = PathBuilder::new();
        pb.push_rect(
            krilla::geom::Rect::from_xywh(0.0, 0.0, WIDTH, 10.0).expect("valid rectangle"),
        );
        pb.finish().expect("a rectangle")
    };
    surface.set_fill(Some(Fill {
        paint: rgb::Color::new(0, 51, 153).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }));
    surface.draw_path(&band);

    // The institution's logo, top right, fitted into LOGO_BOX keeping its proportions.
    let mut name_width = 60;
    if let Some(png) = logo {
        let image = Image::from_png(png.to_vec().into(), true)
            .map_err(|e| IssuerError::stored("the institution's logo", e))?;
        let (w, h) = image.size();
        let scale = (LOGO_BOX.0 / w.max(1) as f32).min(LOGO_BOX.1 / h.max(1) as f32);
        let (w, h) = (w as f32 * scale, h as f32 * scale);
        surface.push_transform(&Transform::from_translate(WIDTH - MARGIN - w, 24.0));
        surface.draw_image(
            image,
            Size::from_wh(w, h).expect("a logo has a positive size"),
        );
        surface.pop();
        name_width = 38;
    }

    let mut wr = Writer {
        surface: &mut surface,
        regular,
        bold,
        y: 30.0,
    };
    wr.colour(0, 51, 153);
    wr.paragraph(&mc.issuer.legal_name, 15.0, true, name_width);
    wr.colour(110, 110, 110);
    wr.line(w.heading, 10.0, false, MARGIN);
    wr.y += 18.0;
    wr.colour(20, 20, 20);
    wr.line(w.certifies, 11.0, false, MARGIN);
    wr.y += 4.0;
    wr.paragraph(&mc.learner.name, 24.0, true, 36);
    wr.y += 10.0;
    wr.line(w.awarded, 11.0, false, MARGIN);
    wr.y += 2.0;
    wr.colour(0, 51, 153);
    wr.paragraph(d.title.get(lang), 17.0, true, 48);
    wr.y += 10.0;

    let outcomes: Vec<String> = d
        .learning_outcomes
        .iter()
        .map(|o| format!("• {}", o.title.get(lang)))
        .collect();
    wr.element(w.outcomes, &outcomes.join("\n"));
    let mut workload = Vec::new();
    if let Some(e) = d.workload.ects() {
        workload.push(format!("{} ECTS", f64::from(e.hundredths()) / 100.0));
    }
    if let Some(h) = d.workload.hours() {
        workload.push(format!("{} h", h.get()));
    }
    wr.element(w.workload, &workload.join(" / "));
    let mut eqf = format!("EQF {}", d.eqf_level.get());
    if let Some(c) = d.qf_ehea_cycle {
        eqf.push_str(&format!(", QF-EHEA: {}", c.label(lang)));
    }
    wr.element(w.eqf, &eqf);
    wr.element(w.assessment, d.assessment_type.label(lang));
    wr.element(w.participation, d.participation_form.label(lang));
    if let Some(s) = d.learning_setting {
        wr.element(w.setting, s.label(lang));
    }
    let mut qa = d.quality_assurance.kind.label(lang).to_owned();
    if let Some(n) = &d.quality_assurance.note {
        qa.push_str(&format!(" - {}", n.get(lang)));
    }
    wr.element(w.quality, &qa);
    wr.element(w.criteria, d.criteria.get(lang));
    if let Some(p) = &d.prerequisites {
        wr.element(w.prerequisites, p.get(lang));
    }
    if let Some(s) = d.supervision {
        wr.element(w.supervision, s.label(lang));
    }
    if let Some(s) = &d.stackability {
        wr.element(w.stackability, s.integration.label(lang));
    }
    if let Some(g) = &mc.grade {
        wr.element(w.grade, g);
    }
    if let (Some(a), Some(b)) = (mc.activity_start, mc.activity_end) {
        wr.element(w.period, &format!("{} - {}", date(a), date(b)));
    }
    let a = &mc.issuer.address;
    let place = [a.locality.clone(), Some(a.country.as_str().to_owned())]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    wr.element(
        w.awarding_body,
        &format!(
            "{} ({}; {})",
            mc.issuer.legal_name, mc.issuer.registration_number, place
        ),
    );
    wr.element(w.issued, &date(mc.issued));
    if let Some(v) = mc.valid_until {
        wr.element(w.valid_until, &date(v));
    }

    // The QR code of the verification page, bottom right, with the words and the short URL
    // beside it; on a page of its own when the elements filled this one.
    // 100 pt is 35 mm: phones read it from arm's length.
    let side = 100.0;
    let (qx, qy) = (WIDTH - MARGIN - side, HEIGHT - 40.0 - side);
    let overflow = wr.y > qy - 12.0;
    let short = verify_url
        .split_once("://")
        .map(|(_, r)| r.to_owned())
        .unwrap_or(verify_url.clone());
    let qr = microcred_core::qr::png(&microcred_core::qr::qr_url(&app.urls, &cred.code));
    let image = Image::from_png(qr.into(), false)
        .map_err(|e| IssuerError::internal("the certificate's QR code", e))?;
    let draw_qr = |surface: &mut Surface<'_>| {
        surface.push_transform(&Transform::from_translate(qx, qy));
        surface.draw_image(
            image.clone(),
            Size::from_wh(side, side).expect("a positive size"),
        );
        surface.pop();
        let mut wr = Writer {
            surface,
            regular: Font::new(REGULAR.to_vec().into(), 0).expect("read above"),
            bold: Font::new(BOLD.to_vec().into(), 0).expect("read above"),
            y: qy + side / 2.0 - 16.0,
        };
        wr.colour(90, 90, 90);
        wr.line(w.verify, 9.0, false, MARGIN);
        wr.colour(20, 20, 20);
        wr.line(&short, 9.0, true, MARGIN);
    };
    if overflow {
        surface.finish();
        page.finish();
        let mut page = document.start_page_with(
            PageSettings::from_wh(WIDTH, HEIGHT).expect("A4 is a valid page size"),
        );
        let mut surface = page.surface();
        draw_qr(&mut surface);
        surface.finish();
        page.finish();
    } else {
        draw_qr(&mut surface);
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| IssuerError::internal("the certificate PDF", format!("{e:?}")))
}
