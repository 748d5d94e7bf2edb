//! Moodle's Aiken format (`question/format/aiken/format.php`; `../shared/moodle/README.md`
//! §5.3): single-answer multiple choice, one question per line, choices `A)` or `A.`, then
//! `ANSWER: X` naming the right choice by position. Lines are trimmed and those shorter than
//! two characters ignored. Errors carry Moodle's words and the line (counted over the whole
//! file, blank lines included); any error refuses the file.
//!
//! Where Moodle is lax we refuse: an `ANSWER:` letter naming no choice (Moodle stores an
//! out-of-range answer) and a question still open at the end of the file (Moodle drops it
//! silently) are errors here.

use super::question::{self, Choice, ImportError, Kind, Question, MAX_QUESTIONS};

struct Open {
    line: usize,
    text: String,
    choices: Vec<String>,
}

fn choice(line: &str) -> Option<&str> {
    let mut c = line.chars();
    let (a, b) = (c.next()?, c.next()?);
    (a.is_ascii_uppercase() && (b == ')' || b == '.')).then(|| line[2..].trim())
}

/// Reads an Aiken file: every question, or every error (nothing is kept when there is one).
pub fn parse(text: &str) -> Result<Vec<Question>, Vec<ImportError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut questions = Vec::new();
    let mut errors = Vec::new();
    let mut open: Option<Open> = None;
    // Lines end with \n, \r\n or (old Macs) \r; each counts once.
    let text = text.replace("\r\n", "\n");
    for (i, raw) in text.split(['\n', '\r']).enumerate() {
        let number = i + 1;
        let line = raw.trim();
        if line.chars().count() < 2 {
            continue;
        }
        let err = |message: String| ImportError {
            line: number,
            message,
        };
        if let Some(rest) = line.strip_prefix("ANSWER:") {
            let Some(q) = open.take() else {
                errors.push(err("Question not started".into()));
                continue;
            };
            if q.choices.len() < 2 {
                errors.push(err("Question must have at least 2 answers".into()));
                continue;
            }
            let letter = rest.trim().chars().next();
            let position = letter
                .filter(char::is_ascii_uppercase)
                .map(|l| (l as u8 - b'A') as usize)
                .filter(|p| *p < q.choices.len());
            let Some(right) = position else {
                errors.push(err(format!(
                    "`ANSWER: {}` names no choice (the question has {}: A to {})",
                    rest.trim(),
                    q.choices.len(),
                    (b'A' + u8::try_from(q.choices.len() - 1).unwrap_or(25).min(25)) as char
                )));
                continue;
            };
            if questions.len() >= MAX_QUESTIONS {
                errors.push(err(format!("at most {MAX_QUESTIONS} questions per file")));
                break;
            }
            questions.push(Question {
                category: String::new(),
                name: q.text.chars().take(80).collect(),
                idnumber: None,
                tags: Vec::new(),
                text: q.text,
                format: "html".into(),
                general_feedback: None,
                kind: Kind::MultiChoice {
                    single: true,
                    choices: q
                        .choices
                        .into_iter()
                        .enumerate()
                        .map(|(i, text)| Choice {
                            text,
                            fraction: if i == right { 1.0 } else { 0.0 },
                            feedback: None,
                        })
                        .collect(),
                },
                line: q.line,
            });
        } else if let Some(text) = choice(line) {
            match &mut open {
                Some(q) => q.choices.push(text.to_owned()),
                None => errors.push(err("Question not started".into())),
            }
        } else {
            if open.is_some() {
                errors.push(err(
                    "Question not completed before next question start".into()
                ));
            }
            open = Some(Open {
                line: number,
                text: line.to_owned(),
                choices: Vec::new(),
            });
        }
        if errors.len() >= 100 {
            break;
        }
    }
    if let Some(q) = open {
        errors.push(ImportError {
            line: q.line,
            message: "the question has no `ANSWER:` line".into(),
        });
    }
    question::outcome(questions, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_example_imports_with_the_right_answers() {
        let qs = parse("What is the capital of France?\nA) Berlin\nB) Paris\nC) Madrid\nANSWER: B\n\nWhich symbol means \"less than\"?\nA. <\nB. >\nANSWER: A\n").unwrap();
        assert_eq!(qs.len(), 2);
        let Kind::MultiChoice { single, choices } = &qs[0].kind else {
            panic!()
        };
        assert!(single);
        assert_eq!(choices[1].text, "Paris");
        assert_eq!(choices[1].fraction, 1.0);
        assert_eq!(choices[0].fraction, 0.0);
        assert_eq!(qs[1].line, 7);
        let Kind::MultiChoice { choices, .. } = &qs[1].kind else {
            panic!()
        };
        assert_eq!(choices[0].text, "<", "stored as text, escaped when shown");
    }

    #[test]
    fn each_malformed_question_is_refused_with_moodles_line_and_reason() {
        let e = parse("A question with too few answers\nA) Only one\nANSWER: A\n").unwrap_err();
        assert_eq!(
            e[0].to_string(),
            "line 3: Question must have at least 2 answers"
        );
        let e = parse("A) Orphan choice\n").unwrap_err();
        assert_eq!(e[0].to_string(), "line 1: Question not started");
        let e = parse(
            "First question without an answer line\nSecond question\nA) x\nB) y\nANSWER: A\n",
        )
        .unwrap_err();
        assert_eq!(
            e[0].to_string(),
            "line 2: Question not completed before next question start"
        );
        let e = parse("Q?\nA) x\nB) y\nANSWER: D\n").unwrap_err();
        assert!(e[0].message.contains("names no choice"), "{e:?}");
        let e = parse("Q?\r\nA) x\r\nB) y\r\n").unwrap_err();
        assert_eq!(
            e[0].to_string(),
            "line 1: the question has no `ANSWER:` line"
        );
        let e = parse("ok?\r\nA) x\r\nB) y\r\nANSWER: A\r\nA) stray\r\n").unwrap_err();
        assert_eq!(e[0].line, 5, "CRLF lines are counted once");
    }
}
