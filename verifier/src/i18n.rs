//! The public pages' words in English and Romanian, and the choice between them
//! (`?lang=` first, then `Accept-Language`, RFC 9110 §12.5.4).

use std::collections::BTreeMap;

/// A supported page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Romanian.
    Ro,
}

impl Lang {
    /// The code (`en`, `ro`).
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Ro => "ro",
        }
    }

    /// `?lang=` wins; else the first supported language of `Accept-Language` by weight.
    pub fn choose(query: Option<&str>, accept_language: Option<&str>) -> Self {
        match query {
            Some("ro") => return Self::Ro,
            Some("en") => return Self::En,
            _ => {}
        }
        let mut best: Option<(f32, Self)> = None;
        for part in accept_language.unwrap_or("").split(',') {
            let mut it = part.trim().split(';');
            let tag = it.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = it
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|v| v.parse::<f32>().ok())
                })
                .unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("ro") | Some("mo") => Self::Ro,
                Some("en") => Self::En,
                _ => continue,
            };
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Self::En)
    }
}

const WORDS: &[(&str, &str, &str)] = &[
    ("sealed_title", "European Digital Credential (Europass), sealed", "Credențial digital european (Europass), sigilat"),
    ("seal_valid", "Seal valid", "Sigiliu valid"),
    ("seal_valid_text", "The electronic seal matches this credential and was made while the seal certificate was valid.", "Sigiliul electronic corespunde acestui credențial și a fost aplicat cât timp certificatul sigiliului era valabil."),
    ("seal_invalid", "Seal not valid", "Sigiliu nevalid"),
    ("seal_invalid_text", "The electronic seal does not match this credential, or was made outside the certificate's validity. Do not rely on it.", "Sigiliul electronic nu corespunde acestui credențial sau a fost aplicat în afara valabilității certificatului. Nu vă bazați pe el."),
    ("sealed_by", "Sealed by", "Sigilat de"),
    ("certificate_issuer", "Certificate issued by", "Certificat emis de"),
    ("sealed_at", "Sealed at", "Sigilat la"),
    ("certificate_validity", "Certificate valid", "Certificat valabil"),
    ("expired_since", "the certificate has expired since (the seal stays valid: it was made in time)", "certificatul a expirat între timp (sigiliul rămâne valid: a fost aplicat la timp)"),
    ("qualified", "Qualified certificate for electronic seals (eIDAS)", "Certificat calificat pentru sigilii electronice (eIDAS)"),
    ("not_qualified", "The certificate does not say it is qualified", "Certificatul nu se declară calificat"),
    ("chain_not_checked", "The certificate chains of the seal and of the timestamp authority were not checked against the EU Trusted List (no trust anchors are configured).", "Lanțurile certificatelor sigiliului și ale autorității de marcare temporală nu au fost verificate în Lista de încredere a UE (nu sunt configurate ancore de încredere)."),
    ("timestamped", "Trusted timestamp (RFC 3161): the seal existed at", "Marcă temporală de încredere (RFC 3161): sigiliul exista la"),
    ("content_timestamped", "The content was timestamped at", "Conținutul a primit marcă temporală la"),
    ("timestamp_invalid", "Timestamp not valid", "Marcă temporală nevalidă"),
    ("no_timestamp", "No trusted timestamp: the sealing time is the sealer's own claim.", "Fără marcă temporală de încredere: momentul sigilării este declarat de cel care a sigilat."),
    ("awarding_body", "Awarding body", "Instituția emitentă"),
    ("learner", "Learner", "Titular"),
    ("credential_title", "Credential", "Credențial"),
    ("title", "Credential verification", "Verificarea certificatului"),
    ("valid", "Valid", "Valid"),
    ("valid_text", "This credential is genuine and in force.", "Acest certificat este autentic și valabil."),
    ("not_genuine", "Not genuine", "Neautentic"),
    ("unconfirmed", "What the document says - not confirmed", "Ce scrie în document - neconfirmat"),
    ("unconfirmed_text", "The signature does not confirm these claims: anyone may have written or changed them.", "Semnătura nu confirmă aceste date: oricine le-ar fi putut scrie sau modifica."),
    ("not_genuine_text", "The signature does not match or the issuer cannot be confirmed. Do not rely on this credential.", "Semnătura nu corespunde sau emitentul nu poate fi confirmat. Nu vă bazați pe acest certificat."),
    ("expired", "Expired", "Expirat"),
    ("expired_text", "This credential was genuine but is no longer valid.", "Acest certificat a fost autentic, dar nu mai este valabil."),
    ("not_yet_valid", "Not yet valid", "Încă nu este valabil"),
    ("not_yet_valid_text", "This credential is not valid yet.", "Acest certificat nu este încă valabil."),
    ("invalid", "Not valid", "Nevalid"),
    ("invalid_text", "This credential did not pass every check.", "Acest certificat nu a trecut toate verificările."),
    ("revoked", "Revoked", "Revocat"),
    ("revoked_text", "The issuer has withdrawn this credential. It is no longer valid.", "Emitentul a retras acest certificat. Nu mai este valabil."),
    ("suspended", "Suspended", "Suspendat"),
    ("suspended_text", "The issuer has suspended this credential. It is not valid while suspended.", "Emitentul a suspendat acest certificat. Nu este valabil cât timp este suspendat."),
    ("status_unknown", "Status unknown", "Statut necunoscut"),
    ("status_unknown_text", "The signature is genuine, but whether the credential was withdrawn could not be checked. Try again later.", "Semnătura este autentică, dar nu s-a putut verifica dacă certificatul a fost retras. Încercați mai târziu."),
    ("since", "Since", "Din"),
    ("superseded", "Superseded", "Înlocuit"),
    ("superseded_text", "The issuer has replaced this credential with a newer one (a renewal or a correction). This one is no longer valid.", "Emitentul a înlocuit acest certificat cu unul nou (o reînnoire sau o corectare). Acesta nu mai este valabil."),
    ("replacement", "See the credential that replaces it", "Vedeți certificatul care îl înlocuiește"),
    ("issuer_as_stated", "as stated in the credential; this issuer is not registered here", "așa cum apare în certificat; acest emitent nu este înregistrat aici"),
    ("issued_by", "Issued by", "Emis de"),
    ("awarding_body", "Awarding body", "Instituția emitentă"),
    ("registration_number", "Registration number", "Număr de înregistrare"),
    ("country", "Country", "Țara"),
    ("address", "Address", "Adresa"),
    ("awarded_to", "Awarded to", "Acordat lui"),
    ("issued_on", "Date of issue", "Data emiterii"),
    ("valid_until", "Valid until", "Valabil până la"),
    ("no_end", "No end date", "Fără termen"),
    ("learning_outcomes", "Learning outcomes", "Rezultatele învățării"),
    ("workload", "Notional workload", "Volumul de muncă"),
    ("ects", "ECTS credits", "credite ECTS"),
    ("hours", "hours", "ore"),
    ("eqf_level", "EQF level", "Nivelul EQF"),
    ("cycle", "QF-EHEA cycle", "Ciclul QF-EHEA"),
    ("assessment", "Type of assessment", "Tipul evaluării"),
    ("participation", "Form of participation", "Forma de participare"),
    ("quality_assurance", "Quality assurance", "Asigurarea calității"),
    ("learning_setting", "Learning setting", "Contextul învățării"),
    ("criteria", "Assessment criteria", "Criteriile de evaluare"),
    ("prerequisites", "Prerequisites", "Condiții de înscriere"),
    ("supervision", "Supervision and identity verification", "Supravegherea și verificarea identității"),
    ("grade", "Grade", "Nota"),
    ("stackability", "Integration / stackability", "Integrare / cumulare"),
    ("further_information", "Further information", "Informații suplimentare"),
    ("learning_period", "Learning period", "Perioada de învățare"),
    ("checks", "Checks", "Verificări"),
    ("passed", "passed", "trecută"),
    ("failed", "failed", "eșuată"),
    ("skipped", "not checked", "neverificată"),
    ("download", "Download the signed credential (JSON)", "Descărcați certificatul semnat (JSON)"),
    ("qr", "QR code of this page", "Codul QR al acestei pagini"),
    ("not_found_title", "No such credential", "Certificat inexistent"),
    ("not_found_text", "No credential has this verification code. Check the code or scan the QR code again.", "Niciun certificat nu are acest cod de verificare. Verificați codul sau scanați din nou codul QR."),
    ("verify_title", "Verify any credential", "Verificați orice certificat"),
    ("verify_intro", "Paste a Verifiable Credential (JSON) or upload its file. Nothing you send is stored.", "Lipiți un certificat verificabil (JSON) sau încărcați fișierul. Nimic din ce trimiteți nu este păstrat."),
    ("paste", "Paste the credential", "Lipiți certificatul"),
    ("upload", "Or upload the file", "Sau încărcați fișierul"),
    ("verify_button", "Verify", "Verificați"),
    ("verify_another", "Verify another credential", "Verificați alt certificat"),
    ("credential", "Credential", "Certificat"),
    ("issuer_id", "Issuer identifier", "Identificatorul emitentului"),
    ("bad_input", "This is not a credential we can read", "Acesta nu este un certificat pe care îl putem citi"),
    ("dataModel", "Data model (W3C VC)", "Modelul de date (W3C VC)"),
    ("proof", "Signature", "Semnătura"),
    ("issuerBinding", "Issuer binding", "Legătura cu emitentul"),
    ("validityWindow", "Validity period", "Perioada de valabilitate"),
    ("schema", "Schema conformance", "Conformitatea cu schema"),
    ("status", "Status", "Statutul"),
];

const COUNTRIES: &[(&str, &str, &str)] = &[
    ("AL", "Albania", "Albania"),
    ("AT", "Austria", "Austria"),
    ("BA", "Bosnia and Herzegovina", "Bosnia și Herțegovina"),
    ("BE", "Belgium", "Belgia"),
    ("BG", "Bulgaria", "Bulgaria"),
    ("CH", "Switzerland", "Elveția"),
    ("CY", "Cyprus", "Cipru"),
    ("CZ", "Czechia", "Cehia"),
    ("DE", "Germany", "Germania"),
    ("DK", "Denmark", "Danemarca"),
    ("EE", "Estonia", "Estonia"),
    ("ES", "Spain", "Spania"),
    ("FI", "Finland", "Finlanda"),
    ("FR", "France", "Franța"),
    ("GB", "United Kingdom", "Regatul Unit"),
    ("GE", "Georgia", "Georgia"),
    ("GR", "Greece", "Grecia"),
    ("HR", "Croatia", "Croația"),
    ("HU", "Hungary", "Ungaria"),
    ("IE", "Ireland", "Irlanda"),
    ("IS", "Iceland", "Islanda"),
    ("IT", "Italy", "Italia"),
    ("LI", "Liechtenstein", "Liechtenstein"),
    ("LT", "Lithuania", "Lituania"),
    ("LU", "Luxembourg", "Luxemburg"),
    ("LV", "Latvia", "Letonia"),
    ("MD", "Republic of Moldova", "Republica Moldova"),
    ("ME", "Montenegro", "Muntenegru"),
    ("MK", "North Macedonia", "Macedonia de Nord"),
    ("MT", "Malta", "Malta"),
    ("NL", "Netherlands", "Țările de Jos"),
    ("NO", "Norway", "Norvegia"),
    ("PL", "Poland", "Polonia"),
    ("PT", "Portugal", "Portugalia"),
    ("RO", "Romania", "România"),
    ("RS", "Serbia", "Serbia"),
    ("SE", "Sweden", "Suedia"),
    ("SI", "Slovenia", "Slovenia"),
    ("SK", "Slovakia", "Slovacia"),
    ("TR", "Türkiye", "Turcia"),
    ("UA", "Ukraine", "Ucraina"),
];

/// A country's name in `lang` with its code (`Republic of Moldova (MD)`), or the code alone
/// for countries without a name here.
pub fn country(code: &str, lang: Lang) -> String {
    match COUNTRIES.iter().find(|(c, _, _)| *c == code) {
        Some((c, en, ro)) => format!("{} ({c})", if lang == Lang::Ro { ro } else { en }),
        None => code.to_owned(),
    }
}

/// Every word of `lang`, keyed by name.
pub fn words(lang: Lang) -> BTreeMap<&'static str, &'static str> {
    WORDS
        .iter()
        .map(|(k, en, ro)| (*k, if lang == Lang::Ro { *ro } else { *en }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_are_named_in_the_page_language() {
        assert_eq!(country("MD", Lang::Ro), "Republica Moldova (MD)");
        assert_eq!(country("RO", Lang::En), "Romania (RO)");
        assert_eq!(country("JP", Lang::En), "JP");
    }

    #[test]
    fn the_query_wins_then_accept_language_by_weight() {
        assert_eq!(Lang::choose(Some("ro"), Some("en")), Lang::Ro);
        assert_eq!(
            Lang::choose(None, Some("de-DE, ro;q=0.8, en;q=0.5")),
            Lang::Ro
        );
        assert_eq!(Lang::choose(None, Some("ro;q=0.3, en-GB;q=0.9")), Lang::En);
        assert_eq!(Lang::choose(None, None), Lang::En);
    }
}
