//! Closed vocabularies of the EU micro-credential elements.
//!
//! Each value has a short code (used in achievement definitions), a concept IRI (carried in
//! the credential) and labels in English and Romanian. Where the European Learning Model has a
//! controlled vocabulary (EU Vocabularies, `http://data.europa.eu/snb/...`) the IRI is the
//! EU concept, so the Europass export maps one to one; where it has none, the IRI is in our
//! namespace `https://w3id.org/microcred/vocab#` (listed in docs/data-model.md).

use super::error::ModelError;

macro_rules! vocabulary {
    (
        $(#[$doc:meta])*
        $name:ident, element = $element:literal, scheme = $scheme:literal {
            $( $(#[$vdoc:meta])* $variant:ident = ($code:literal, $iri:literal, $en:literal, $ro:literal), )+
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )+
        }

        impl $name {
            /// Concept scheme the IRIs belong to.
            pub const SCHEME: &'static str = $scheme;
            /// Every value, in definition order.
            pub const ALL: &'static [Self] = &[ $( Self::$variant, )+ ];

            /// Short code used in achievement definitions.
            pub fn code(self) -> &'static str {
                match self { $( Self::$variant => $code, )+ }
            }

            /// Concept IRI carried in the credential.
            pub fn iri(self) -> &'static str {
                match self { $( Self::$variant => $iri, )+ }
            }

            /// Human label in `lang` (`ro` or English).
            pub fn label(self, lang: &str) -> &'static str {
                match (self, lang) {
                    $( (Self::$variant, "ro") => $ro, (Self::$variant, _) => $en, )+
                }
            }

            /// Parses a short code.
            pub fn from_code(code: &str) -> Result<Self, ModelError> {
                Self::ALL.iter().copied().find(|v| v.code() == code).ok_or_else(|| {
                    ModelError::new($element, "", format!(
                        "`{code}` is not one of: {}",
                        Self::ALL.iter().map(|v| v.code()).collect::<Vec<_>>().join(", ")
                    ))
                })
            }

            /// Parses a concept IRI.
            pub fn from_iri(iri: &str) -> Result<Self, ModelError> {
                Self::ALL.iter().copied().find(|v| v.iri() == iri).ok_or_else(|| {
                    ModelError::new($element, "", format!(
                        "`{iri}` is not a concept of {}", $scheme
                    ))
                })
            }
        }
    };
}

vocabulary! {
    /// Annex I element 10, form of participation: ELM "learning and assessment mode"
    /// (`elm:mode`).
    ParticipationForm, element = "participationForm", scheme = "http://data.europa.eu/snb/learning-assessment/25831c2" {
        /// Online.
        Online = ("online", "http://data.europa.eu/snb/learning-assessment/920fbb3cbe", "Online", "Online"),
        /// On site (presential).
        Onsite = ("onsite", "http://data.europa.eu/snb/learning-assessment/9191af2ed9", "On site", "Cu prezență fizică"),
        /// Blended.
        Blended = ("blended", "http://data.europa.eu/snb/learning-assessment/e92d221e4d", "Blended", "Mixt"),
    }
}

vocabulary! {
    /// ELM learning setting (`elm:learningSetting`): formal or non-formal learning.
    LearningSetting, element = "learningSetting", scheme = "http://data.europa.eu/snb/learning-setting/25831c2" {
        /// Formal learning.
        Formal = ("formal", "http://data.europa.eu/snb/learning-setting/6fd4685715", "Formal learning", "Învățare formală"),
        /// Non-formal learning.
        NonFormal = ("non-formal", "http://data.europa.eu/snb/learning-setting/e207a81fc7", "Non-formal learning", "Învățare non-formală"),
    }
}

vocabulary! {
    /// Optional element: supervision and identity verification during assessment
    /// (`elm:idVerification`, EU "supervision-verification" scheme).
    ///
    /// The EU concepts for the three supervised cases are not yet confirmed here: they use our
    /// namespace until they are (docs/data-model.md lists them).
    Supervision, element = "supervision", scheme = "http://data.europa.eu/snb/supervision-verification/25831c2" {
        /// Unsupervised, with no identity verification.
        UnsupervisedNoId = ("unsupervised-no-id", "http://data.europa.eu/snb/supervision-verification/c598449d64", "Unsupervised, with no identity verification", "Fără supraveghere, fără verificarea identității"),
        /// Unsupervised, with identity verification.
        UnsupervisedWithId = ("unsupervised-with-id", "http://data.europa.eu/snb/supervision-verification/df2880c5cb", "Unsupervised, with identity verification", "Fără supraveghere, cu verificarea identității"),
        /// Supervised, with no identity verification.
        SupervisedNoId = ("supervised-no-id", "https://w3id.org/microcred/vocab#supervised-no-id", "Supervised, with no identity verification", "Cu supraveghere, fără verificarea identității"),
        /// Supervised online, with identity verification.
        SupervisedOnlineWithId = ("supervised-online-with-id", "https://w3id.org/microcred/vocab#supervised-online-with-id", "Supervised online, with identity verification", "Cu supraveghere online, cu verificarea identității"),
        /// Supervised on site, with identity verification.
        SupervisedOnsiteWithId = ("supervised-onsite-with-id", "https://w3id.org/microcred/vocab#supervised-onsite-with-id", "Supervised on site, with identity verification", "Cu supraveghere la fața locului, cu verificarea identității"),
    }
}

vocabulary! {
    /// Annex I element 9, type of assessment.
    AssessmentType, element = "assessmentType", scheme = "https://w3id.org/microcred/vocab#AssessmentType" {
        /// Online quiz (e.g. a Moodle quiz).
        OnlineQuiz = ("online-quiz", "https://w3id.org/microcred/vocab#assessment-online-quiz", "Online quiz", "Test online"),
        /// Written examination.
        WrittenExam = ("written-exam", "https://w3id.org/microcred/vocab#assessment-written-exam", "Written examination", "Examen scris"),
        /// Oral examination.
        OralExam = ("oral-exam", "https://w3id.org/microcred/vocab#assessment-oral-exam", "Oral examination", "Examen oral"),
        /// Practical examination.
        PracticalExam = ("practical-exam", "https://w3id.org/microcred/vocab#assessment-practical-exam", "Practical examination", "Examen practic"),
        /// Project.
        Project = ("project", "https://w3id.org/microcred/vocab#assessment-project", "Project", "Proiect"),
        /// Portfolio.
        Portfolio = ("portfolio", "https://w3id.org/microcred/vocab#assessment-portfolio", "Portfolio", "Portofoliu"),
        /// Assignment (e.g. a Moodle assignment).
        Assignment = ("assignment", "https://w3id.org/microcred/vocab#assessment-assignment", "Assignment", "Temă"),
        /// Peer assessment.
        PeerAssessment = ("peer-assessment", "https://w3id.org/microcred/vocab#assessment-peer", "Peer assessment", "Evaluare colegială"),
    }
}

vocabulary! {
    /// Annex I element 11, type of quality assurance used to underpin the micro-credential.
    QualityAssuranceType, element = "qualityAssurance", scheme = "https://w3id.org/microcred/vocab#QualityAssuranceType" {
        /// The provider is accredited by a competent authority.
        AccreditedProvider = ("accredited-provider", "https://w3id.org/microcred/vocab#qa-accredited-provider", "Accredited provider", "Furnizor acreditat"),
        /// Internal quality assurance.
        Internal = ("internal", "https://w3id.org/microcred/vocab#qa-internal", "Internal quality assurance", "Asigurarea internă a calității"),
        /// External quality assurance.
        External = ("external", "https://w3id.org/microcred/vocab#qa-external", "External quality assurance", "Asigurarea externă a calității"),
        /// Both internal and external quality assurance.
        InternalAndExternal = ("internal-and-external", "https://w3id.org/microcred/vocab#qa-internal-and-external", "Internal and external quality assurance", "Asigurarea internă și externă a calității"),
    }
}

vocabulary! {
    /// Annex I element 8, cycle of the Qualifications Framework of the European Higher
    /// Education Area, if applicable.
    QfEheaCycle, element = "qfEheaCycle", scheme = "https://w3id.org/microcred/vocab#QfEheaCycle" {
        /// Short cycle (within or linked to the first cycle).
        Short = ("short", "https://w3id.org/microcred/vocab#qf-ehea-short-cycle", "Short cycle", "Ciclu scurt"),
        /// First cycle (bachelor).
        First = ("first", "https://w3id.org/microcred/vocab#qf-ehea-first-cycle", "First cycle", "Ciclul I (licență)"),
        /// Second cycle (master).
        Second = ("second", "https://w3id.org/microcred/vocab#qf-ehea-second-cycle", "Second cycle", "Ciclul II (master)"),
        /// Third cycle (doctorate).
        Third = ("third", "https://w3id.org/microcred/vocab#qf-ehea-third-cycle", "Third cycle", "Ciclul III (doctorat)"),
    }
}

vocabulary! {
    /// Optional element: integration / stackability options.
    Integration, element = "stackability", scheme = "https://w3id.org/microcred/vocab#Integration" {
        /// A stand-alone micro-credential.
        Standalone = ("standalone", "https://w3id.org/microcred/vocab#standalone", "Stand-alone", "De sine stătătoare"),
        /// Can be combined (stacked) into a larger credential.
        Stackable = ("stackable", "https://w3id.org/microcred/vocab#stackable", "Stackable into a larger credential", "Cumulabilă într-o calificare mai amplă"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_iris_round_trip() {
        for v in ParticipationForm::ALL {
            assert_eq!(ParticipationForm::from_code(v.code()).unwrap(), *v);
            assert_eq!(ParticipationForm::from_iri(v.iri()).unwrap(), *v);
        }
        assert_eq!(
            ParticipationForm::from_code("remote")
                .unwrap_err()
                .to_string(),
            "participationForm: `remote` is not one of: online, onsite, blended"
        );
    }
}
