//! Moodle's GIFT question format, read as Moodle's importer reads it
//! (`question/format/gift/format.php`, 5.1; summarised in `../shared/moodle/README.md` §5):
//! blank-line separated blocks, `//` comment lines (with `[id:...]` and `[tag:...]`), the
//! escapes `\\ \: \# \= \{ \} \~ \n`, `$CATEGORY:` blocks, `::title::`, `[html]`-style format
//! prefixes, `####` general feedback, and the type found from the answer block: none ->
//! description, `{}` -> essay, `{#...}` -> numerical, `~` -> multiple choice, `=` with `->` ->
//! matching, `T`/`TRUE`/`F`/`FALSE` -> true/false, else short answer. Grades must be ones
//! Moodle accepts ("match grades: error"), and any error refuses the file ("stop on error").
//!
//! Where Moodle is lax we refuse: a numerical answer that is not a number (Moodle turns it
//! into `*`, full credit for any answer) is an error here.

use super::question::{
    self, valid_fraction, Choice, ImportError, Kind, NumericalAnswer, Question, MAX_QUESTIONS,
};

/// Private-use stand-ins for escaped characters while a block is parsed.
const ESCAPES: [(char, char); 7] = [
    ('\\', '\u{E000}'),
    (':', '\u{E001}'),
    ('#', '\u{E002}'),
    ('=', '\u{E003}'),
    ('{', '\u{E004}'),
    ('}', '\u{E005}'),
    ('~', '\u{E006}'),
];

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\\' {
            if let Some(&n) = it.peek() {
                if let Some((_, p)) = ESCAPES.iter().find(|(e, _)| *e == n) {
                    out.push(*p);
                    it.next();
                    continue;
                }
                if n == 'n' {
                    out.push('\n');
                    it.next();
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

fn unescape(s: &str) -> String {
    s.chars()
        .map(|c| ESCAPES.iter().find(|(_, p)| *p == c).map_or(c, |(e, _)| *e))
        .collect()
}

/// A text with its optional `[format]` prefix split off.
fn format_of(s: &str) -> (Option<&'static str>, &str) {
    let t = s.trim_start();
    for f in ["html", "moodle", "plain", "markdown"] {
        if let Some(rest) = t
            .strip_prefix('[')
            .and_then(|r| r.strip_prefix(f))
            .and_then(|r| r.strip_prefix(']'))
        {
            return (Some(f), rest);
        }
    }
    (None, s)
}

fn clean(s: &str) -> String {
    let (_, t) = format_of(s);
    unescape(t.trim())
}

fn feedback(s: Option<&str>) -> Option<String> {
    s.map(clean).filter(|f| !f.is_empty())
}

/// `%N%` at the start of `s`: the fraction and the rest.
fn weight(s: &str) -> Option<(f64, &str)> {
    let rest = s.strip_prefix('%')?;
    let end = rest.find('%')?;
    let n = &rest[..end];
    let ok = !n.is_empty()
        && n.strip_prefix('-')
            .unwrap_or(n)
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.')
        && n.chars().any(|c| c.is_ascii_digit());
    if !ok {
        return None;
    }
    Some((n.parse::<f64>().ok()? / 100.0, &rest[end + 1..]))
}

struct Block {
    line: usize,
    text: String,
    idnumber: Option<String>,
    tags: Vec<String>,
}

fn metadata(comment: &str, idnumber: &mut Option<String>, tags: &mut Vec<String>) {
    let mut rest = comment;
    while let Some(start) = rest.find('[') {
        let after = &rest[start + 1..];
        let (key, body) = if let Some(b) = after.strip_prefix("id:") {
            ("id", b)
        } else if let Some(b) = after.strip_prefix("tag:") {
            ("tag", b)
        } else {
            rest = after;
            continue;
        };
        // `\]` escapes a bracket inside the value.
        let mut value = String::new();
        let mut chars = body.char_indices();
        let mut end = None;
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' if body[i + 1..].starts_with(']') => {
                    value.push(']');
                    chars.next();
                }
                ']' => {
                    end = Some(i);
                    break;
                }
                _ => value.push(c),
            }
        }
        let Some(end) = end else { return };
        let value = value.trim().to_owned();
        if !value.is_empty() {
            if key == "id" {
                idnumber.get_or_insert(value);
            } else {
                tags.push(value);
            }
        }
        rest = &body[end + 1..];
    }
}

fn blocks(text: &str) -> Vec<Block> {
    let lines: Vec<&str> =
        if text.lines().next().is_some_and(|l| l.contains('\r')) && !text.contains('\n') {
            text.split('\r').collect()
        } else {
            text.lines().collect()
        };
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    let mut idnumber = None;
    let mut tags = Vec::new();
    for (i, raw) in lines.iter().enumerate() {
        let line = raw.trim();
        // PHP's empty(): a line of just "0" ends the block too (Moodle's quirk, kept).
        if line.is_empty() || line == "0" {
            if let Some(b) = current.take() {
                out.push(b);
            }
            continue;
        }
        if let Some(c) = line.strip_prefix("//") {
            metadata(c, &mut idnumber, &mut tags);
            continue;
        }
        match &mut current {
            Some(b) => {
                b.text.push('\n');
                b.text.push_str(line);
            }
            None => {
                current = Some(Block {
                    line: i + 1,
                    text: line.to_owned(),
                    idnumber: idnumber.take(),
                    tags: std::mem::take(&mut tags),
                })
            }
        }
    }
    if let Some(b) = current {
        out.push(b);
    }
    out
}

fn category_path(raw: &str) -> String {
    let mut parts: Vec<&str> = raw
        .split('/')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if parts
        .first()
        .is_some_and(|p| p.starts_with('$') && p.ends_with('$') && p.len() > 1)
    {
        parts.remove(0);
    }
    if parts.first() != Some(&"top") {
        parts.insert(0, "top");
    }
    parts.join("/")
}

/// Reads a GIFT file: every question, or every error (nothing is kept when there is one).
pub fn parse(text: &str) -> Result<Vec<Question>, Vec<ImportError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // The stand-ins for escapes cannot come from the file itself.
    let text: String = text
        .chars()
        .map(|c| {
            if ('\u{E000}'..='\u{E006}').contains(&c) {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect();
    let mut questions = Vec::new();
    let mut errors = Vec::new();
    let mut category = String::new();
    for b in blocks(&text) {
        if let Some(rest) = b.text.strip_prefix("$CATEGORY:") {
            category = category_path(rest);
            continue;
        }
        if questions.len() >= MAX_QUESTIONS {
            errors.push(ImportError {
                line: b.line,
                message: format!("at most {MAX_QUESTIONS} questions per file"),
            });
            break;
        }
        match question(&b, &category) {
            Ok(q) => questions.push(q),
            Err(message) => errors.push(ImportError {
                line: b.line,
                message,
            }),
        }
        if errors.len() >= 100 {
            break;
        }
    }
    question::outcome(questions, errors)
}

fn question(b: &Block, category: &str) -> Result<Question, String> {
    let text = escape(&b.text);
    let (title, rest) = match text.strip_prefix("::") {
        Some(after) => match after.find("::") {
            Some(end) => (Some(unescape(after[..end].trim())), &after[end + 2..]),
            None => (None, text.as_str()),
        },
        None => (None, text.as_str()),
    };
    let (format, rest) = format_of(rest);
    let format = format.unwrap_or("moodle");
    let (open, close) = (rest.find('{'), rest.find('}'));
    let (qtext, block) = match (open, close) {
        (None, None) => (unescape(rest.trim()), None),
        (Some(o), Some(c)) if o < c => {
            let before = rest[..o].trim_end();
            let after = rest[c + 1..].trim();
            let t = if after.is_empty() {
                before.to_owned()
            } else {
                format!("{before} _____ {after}")
            };
            (unescape(t.trim()), Some(&rest[o + 1..c]))
        }
        _ => return Err("Could not find {...} around answers".into()),
    };
    let name = title.filter(|t| !t.is_empty()).unwrap_or_else(|| {
        let plain: String = qtext.chars().take(80).collect();
        plain.replace('\n', " ")
    });
    let name: String = name.chars().take(255).collect();
    let mut general_feedback = None;
    let kind = match block {
        None => Kind::Description,
        Some(block) => {
            let block = match block.rfind("####") {
                Some(i) => {
                    general_feedback = feedback(Some(&block[i + 4..]));
                    &block[..i]
                }
                None => block,
            };
            kind(block)?
        }
    };
    if qtext.is_empty() && !matches!(kind, Kind::Description) {
        return Err("the question has no text".into());
    }
    if qtext.is_empty() {
        return Err("a block with no text and no answers".into());
    }
    Ok(Question {
        category: category.to_owned(),
        name,
        idnumber: b.idnumber.clone(),
        tags: b.tags.clone(),
        text: qtext,
        format: format.to_owned(),
        general_feedback,
        kind,
        line: b.line,
    })
}

fn check_fraction(f: f64, raw: &str) -> Result<f64, String> {
    if valid_fraction(f) {
        Ok(f)
    } else {
        Err(format!(
            "`{}` is not a grade Moodle accepts (e.g. %50%, %33.33333%, %25%, %-100%)",
            unescape(raw.trim())
        ))
    }
}

fn kind(block: &str) -> Result<Kind, String> {
    let trimmed = block.trim();
    if trimmed.is_empty() {
        return Ok(Kind::Essay);
    }
    if let Some(num) = trimmed.strip_prefix('#') {
        return numerical(num);
    }
    if trimmed.contains('~') {
        return multichoice(trimmed);
    }
    if trimmed.contains('=') && trimmed.contains("->") {
        return matching(trimmed);
    }
    let head = trimmed.split('#').next().unwrap_or_default().trim();
    if ["T", "TRUE", "F", "FALSE"].contains(&head) {
        let mut fb = trimmed.split('#').skip(1);
        return Ok(Kind::TrueFalse {
            answer: head.starts_with('T'),
            feedback_wrong: feedback(fb.next()),
            feedback_right: feedback(fb.next()),
        });
    }
    shortanswer(trimmed)
}

fn split_feedback(s: &str) -> (&str, Option<String>) {
    match s.split_once('#') {
        Some((a, f)) => (a, feedback(Some(f))),
        None => (s, None),
    }
}

fn multichoice(block: &str) -> Result<Kind, String> {
    let single = block.contains('=');
    let marked = block.replace('=', "~=");
    let mut choices = Vec::new();
    for part in marked.split('~').skip(1) {
        let part = part.trim_start();
        let (fraction, rest, raw) = if let Some(r) = part.strip_prefix('=') {
            (1.0, r, "=")
        } else if let Some((w, r)) = weight(part) {
            (w, r, &part[..part.len() - r.len()])
        } else {
            (0.0, part, "~")
        };
        let fraction = check_fraction(fraction, raw)?;
        let (text, fb) = split_feedback(rest);
        choices.push(Choice {
            text: clean(text),
            fraction,
            feedback: fb,
        });
    }
    if choices.len() < 2 {
        return Err("There is an error in the question. There are not enough answers for this question type".into());
    }
    if choices.iter().all(|c| c.fraction <= 0.0) {
        return Err("no answer gives credit (mark one with = or a positive %N%)".into());
    }
    Ok(Kind::MultiChoice { single, choices })
}

fn shortanswer(block: &str) -> Result<Kind, String> {
    let mut answers = Vec::new();
    let parts: Vec<&str> = block.split('=').collect();
    let parts = if parts.first().is_some_and(|p| p.trim().is_empty()) {
        &parts[1..]
    } else {
        &parts[..]
    };
    for part in parts {
        let part = part.trim_start();
        let (fraction, rest) = match weight(part) {
            Some((w, r)) => (check_fraction(w, &part[..part.len() - r.len()])?, r),
            None => (1.0, part),
        };
        let (text, fb) = split_feedback(rest);
        let text = clean(text);
        if text.is_empty() {
            return Err("a short answer is empty".into());
        }
        answers.push(Choice {
            text,
            fraction,
            feedback: fb,
        });
    }
    if answers.is_empty() || answers.iter().all(|a| a.fraction <= 0.0) {
        return Err("There is an error in the question. There are not enough answers for this question type".into());
    }
    Ok(Kind::ShortAnswer { answers })
}

fn matching(block: &str) -> Result<Kind, String> {
    let mut pairs = Vec::new();
    let mut distractors = Vec::new();
    let mut entries = 0;
    for part in block.split('=').skip(1) {
        entries += 1;
        let Some((left, right)) = part.split_once("->") else {
            return Err("Matching question answers are improperly formatted".into());
        };
        let (left, right) = (clean(left), clean(right));
        if right.is_empty() {
            return Err("Matching question answers are improperly formatted".into());
        }
        if left.is_empty() {
            distractors.push(right);
        } else {
            pairs.push((left, right));
        }
    }
    if entries < 2 || pairs.is_empty() {
        return Err("There is an error in the question. There are not enough answers for this question type".into());
    }
    Ok(Kind::Matching { pairs, distractors })
}

fn number(s: &str) -> Result<f64, String> {
    let t = unescape(s.trim());
    t.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("`{t}` is not a number (use . as the decimal separator)"))
}

fn numerical(block: &str) -> Result<Kind, String> {
    let (main, catch_all) = match block.split_once('~') {
        Some((m, c)) => (m, Some(c)),
        None => (block, None),
    };
    let mut answers = Vec::new();
    let parts: Vec<&str> = if main.contains('=') {
        main.split('=').skip(1).collect()
    } else {
        vec![main]
    };
    for part in parts {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (fraction, rest) = match weight(part) {
            Some((w, r)) => (check_fraction(w, &part[..part.len() - r.len()])?, r),
            None => (1.0, part),
        };
        let (value, fb) = split_feedback(rest);
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let (v, tolerance) = if let Some((lo, hi)) = value.split_once("..") {
            let (lo, hi) = (number(lo)?, number(hi)?);
            if hi < lo {
                return Err(format!("the range {lo}..{hi} ends before it starts"));
            }
            ((lo + hi) / 2.0, (hi - lo) / 2.0)
        } else if let Some((v, t)) = value.split_once(':') {
            let t = unescape(t.trim())
                .parse::<f64>()
                .ok()
                .filter(|t| t.is_finite() && *t >= 0.0)
                .ok_or_else(|| {
                    format!(
                        "the tolerance `{}` is not a number (errornotnumbers)",
                        unescape(t.trim())
                    )
                })?;
            (number(v)?, t)
        } else {
            (number(value)?, 0.0)
        };
        answers.push(NumericalAnswer {
            value: Some(v),
            tolerance,
            fraction,
            feedback: fb,
        });
    }
    if answers.is_empty() {
        return Err("No answers found for numerical question".into());
    }
    if let Some(c) = catch_all {
        let (_, fb) = split_feedback(c);
        answers.push(NumericalAnswer {
            value: None,
            tolerance: 0.0,
            fraction: 0.0,
            feedback: fb,
        });
    }
    Ok(Kind::Numerical { answers })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Question {
        let mut q = parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"));
        assert_eq!(q.len(), 1, "{q:?}");
        q.remove(0)
    }

    fn error(s: &str) -> String {
        let e = parse(s).expect_err(s);
        e[0].message.clone()
    }

    #[test]
    fn the_readme_examples_import_as_moodle_imports_them() {
        let q = one("// [id:MC-1] [tag:colours]\n::Q2:: What's between orange and green in the spectrum? {\n  =yellow # right; good!\n  ~red # [html]wrong, it's <b>yellow</b>\n  ~blue # wrong\n  #### General feedback: ROYGBIV.\n}");
        assert_eq!(q.name, "Q2");
        assert_eq!(q.idnumber.as_deref(), Some("MC-1"));
        assert_eq!(q.tags, ["colours"]);
        assert_eq!(
            q.general_feedback.as_deref(),
            Some("General feedback: ROYGBIV.")
        );
        let Kind::MultiChoice { single, choices } = &q.kind else {
            panic!("{q:?}")
        };
        assert!(single);
        assert_eq!(choices.len(), 3);
        assert_eq!(choices[0].fraction, 1.0);
        assert_eq!(choices[0].feedback.as_deref(), Some("right; good!"));
        assert_eq!(
            choices[1].feedback.as_deref(),
            Some("wrong, it's <b>yellow</b>")
        );

        let q = one("::colours:: Which are primary colours of light? {\n  ~%50%red\n  ~%50%blue\n  ~%-100%brown # no\n}");
        let Kind::MultiChoice { single, choices } = &q.kind else {
            panic!()
        };
        assert!(!single, "no = : checkboxes");
        assert_eq!(choices[2].fraction, -1.0);

        let q = one("Grant is {~buried =entombed ~living} in Grant's tomb.");
        assert_eq!(q.text, "Grant is _____ in Grant's tomb.");

        assert!(matches!(
            one("Capital of France? {=Paris}").kind,
            Kind::ShortAnswer { .. }
        ));
        let q = one("::TF1:: The sun rises in the east. {TRUE#No, it rises in the east.#Correct.}");
        assert_eq!(
            q.kind,
            Kind::TrueFalse {
                answer: true,
                feedback_wrong: Some("No, it rises in the east.".into()),
                feedback_right: Some("Correct.".into())
            }
        );
        assert!(matches!(
            one("Is water wet? {true}").kind,
            Kind::ShortAnswer { .. }
        ));
        let q = one(
            "Who's buried in Grant's tomb? {=Grant =%50%Ulysses Grant #half right =no one #joke}",
        );
        let Kind::ShortAnswer { answers } = &q.kind else {
            panic!()
        };
        assert_eq!(answers.len(), 3);
        assert_eq!(answers[1].fraction, 0.5);
        let q = one("::Capitals:: Match the country to its capital. {\n  =Canada -> Ottawa\n  =Italy -> Rome\n  =Japan -> Tokyo\n  = -> Paris\n}");
        assert_eq!(
            q.kind,
            Kind::Matching {
                pairs: vec![
                    ("Canada".into(), "Ottawa".into()),
                    ("Italy".into(), "Rome".into()),
                    ("Japan".into(), "Tokyo".into())
                ],
                distractors: vec!["Paris".into()]
            }
        );
        let q = one("What is pi to 2 d.p.? {#3.14..3.15}");
        let Kind::Numerical { answers } = &q.kind else {
            panic!()
        };
        assert!((answers[0].value.unwrap() - 3.145).abs() < 1e-9);
        assert!((answers[0].tolerance - 0.005).abs() < 1e-9);
        let q = one(
            "When was Grant born? {#\n  =1822:0 #Correct!\n  =%50%1822:2 #Close\n  ~#Wrong year\n}",
        );
        let Kind::Numerical { answers } = &q.kind else {
            panic!()
        };
        assert_eq!(answers.len(), 3);
        assert_eq!(answers[1].fraction, 0.5);
        assert_eq!(answers[2].value, None);
        assert_eq!(answers[2].feedback.as_deref(), Some("Wrong year"));
        assert_eq!(
            one("::Essay1:: Describe your learning goals. {}").kind,
            Kind::Essay
        );
        assert_eq!(
            one("::Intro:: The next questions are about colours.").kind,
            Kind::Description
        );
        let q = one("::Q\\: escaped colon:: [html]What is <b>2 \\= 2</b>? {=yes =true}");
        assert_eq!(q.name, "Q: escaped colon");
        assert_eq!(q.format, "html");
        assert_eq!(q.text, "What is <b>2 = 2</b>?");
        let q = one("::Braces:: Write the set \\{1,2\\} in words. {=one and two}");
        assert_eq!(q.text, "Write the set {1,2} in words.");
    }

    #[test]
    fn categories_apply_to_the_questions_after_them() {
        let qs = parse("$CATEGORY: $course$/top/Week 1\n\nQ1 {T}\n\n$CATEGORY: Week 2\n\nQ2 {F}")
            .unwrap();
        assert_eq!(qs[0].category, "top/Week 1");
        assert_eq!(qs[1].category, "top/Week 2");
        assert_eq!(qs[1].line, 7);
    }

    #[test]
    fn each_malformed_question_is_refused_with_its_line_and_moodles_reason() {
        assert_eq!(error("Question {=a"), "Could not find {...} around answers");
        assert!(error("Pick {~a}").contains("not enough answers"));
        assert!(error("Match {=a->1}").contains("not enough answers"));
        assert_eq!(
            error("Match {=a->1 =b}"),
            "Matching question answers are improperly formatted"
        );
        assert_eq!(error("Num {#}"), "No answers found for numerical question");
        assert!(error("Num {#5:abc}").contains("errornotnumbers"));
        assert!(error("Weights {~%33%a ~%67%b}").contains("not a grade Moodle accepts"));
        assert!(error("Num {#abc}").contains("not a number"));
        assert_eq!(error("\n\n// only a comment\n"), "no questions in file");
        let e = parse("Good {T}\n\nBad {=a\n\nAlso good {F}\n\nBad again {~x}").unwrap_err();
        assert_eq!(e.iter().map(|e| e.line).collect::<Vec<_>>(), [3, 7]);
    }

    #[test]
    fn escapes_and_comments_follow_moodle() {
        let q = one("// a comment\nA \\~tilde\\, a \\#hash and a line\\nbreak {=ok}");
        assert_eq!(q.text, "A ~tilde\\, a #hash and a line\nbreak");
        let q = one("Text // not a comment {T}");
        assert_eq!(q.text, "Text // not a comment");
    }
}
