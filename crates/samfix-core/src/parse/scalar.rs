//! Scalars read as YAML 1.1 reads them, and how they are written.

/// How a boolean is written: `true`, `True` or `TRUE` (and their `false`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolSpelling {
    /// `true` and `false`.
    Lower,
    /// `True` and `False`.
    Title,
    /// `TRUE` and `FALSE`.
    Upper,
}

impl BoolSpelling {
    /// The spelling of an untagged plain scalar, if it is one of the six boolean words
    /// (`yes` and friends don't say how to write `true`).
    pub(super) fn of_word(text: &str) -> Option<Self> {
        match text {
            "true" | "false" => Some(BoolSpelling::Lower),
            "True" | "False" => Some(BoolSpelling::Title),
            "TRUE" | "FALSE" => Some(BoolSpelling::Upper),
            _ => None,
        }
    }

    /// The word for `value` in this spelling.
    pub fn word(self, value: bool) -> &'static str {
        match (self, value) {
            (BoolSpelling::Lower, true) => "true",
            (BoolSpelling::Lower, false) => "false",
            (BoolSpelling::Title, true) => "True",
            (BoolSpelling::Title, false) => "False",
            (BoolSpelling::Upper, true) => "TRUE",
            (BoolSpelling::Upper, false) => "FALSE",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// How a scalar is written.
pub enum ScalarStyle {
    /// Without quotes.
    Plain,
    /// In single quotes, `'...'`.
    SingleQuoted,
    /// In double quotes, `"..."`, with escapes.
    DoubleQuoted,
    /// A literal block, `|`.
    Literal,
    /// A folded block, `>`.
    Folded,
}

/// A YAML scalar read the way SAM tooling reads it (PyYAML, YAML 1.1 core types).
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved<'a> {
    /// `null`, `~` or nothing.
    Null,
    /// `true`/`false`, `yes`/`no` or `on`/`off`, in lower, title or upper case.
    Bool(bool),
    /// An integer: decimal, `0x` hex, `0b` binary or `0` octal, with `_` allowed.
    Int(i128),
    /// A float, as its text lowercased and without `_`.
    Float(String),
    /// Anything else: a string.
    Str(&'a str),
}

/// YAML 1.1 resolution of a plain scalar, as PyYAML's SafeLoader does it.
pub fn resolve_plain(text: &str) -> Resolved<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Resolved::Bool(true)
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Resolved::Bool(false)
        }
        _ => {}
    }
    // Numbers start with a sign, a digit or a dot; most scalars are words, and resolving
    // runs for every scalar of the file.
    if !text.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.')) {
        return Resolved::Str(text);
    }
    if let Some(int) = parse_yaml11_int(text) {
        return Resolved::Int(int);
    }
    if is_yaml11_float(text) {
        return Resolved::Float(text.replace('_', "").to_ascii_lowercase());
    }
    Resolved::Str(text)
}

fn parse_yaml11_int(text: &str) -> Option<i128> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let digits = digits.replace('_', "");
    if digits.is_empty() || digits.contains(':') {
        return None;
    }
    let magnitude = if let Some(hex) = digits.strip_prefix("0x") {
        i128::from_str_radix(hex, 16).ok()?
    } else if let Some(bin) = digits.strip_prefix("0b") {
        i128::from_str_radix(bin, 2).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        i128::from_str_radix(&digits[1..], 8).ok()?
    } else if digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse().ok()?
    } else {
        return None;
    };
    Some(if negative { -magnitude } else { magnitude })
}

fn is_yaml11_float(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let body = lower.trim_start_matches(['-', '+']);
    if matches!(body, ".inf" | ".nan") {
        return true;
    }
    let body = body.replace('_', "");
    let (mantissa, exponent) = match body.split_once('e') {
        Some((m, e)) => (m.to_string(), Some(e.to_string())),
        None => (body.clone(), None),
    };
    let Some((whole, fraction)) = mantissa.split_once('.') else {
        return false;
    };
    let digits_ok = whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
        && !(whole.is_empty() && fraction.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.trim_start_matches(['-', '+']);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    digits_ok && exponent_ok
}
