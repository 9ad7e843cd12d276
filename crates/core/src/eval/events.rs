//! The events JSONL that `tandem duplex --events` writes: one object per line with `t_ms` (audio
//! time since the start) and `kind`; the other fields depend on the kind.

use std::path::Path;

use super::EvalError;

/// One event, with its kind-specific fields kept as JSON.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Event {
    pub t_ms: u64,
    pub kind: String,
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl Event {
    /// A string field (`text`, `speech`, `phrase`...), when present.
    pub fn str(&self, field: &str) -> Option<&str> {
        self.fields.get(field).and_then(|v| v.as_str())
    }
}

/// Parses events JSONL; blank lines are skipped, anything else malformed is an error naming the
/// line.
pub fn parse(path: &Path, text: &str) -> Result<Vec<Event>, EvalError> {
    let mut events = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let err = |message: String| EvalError::Events {
            path: path.to_owned(),
            line: i + 1,
            message,
        };
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| err(e.to_string()))?;
        let serde_json::Value::Object(mut fields) = value else {
            return Err(err("not a JSON object".into()));
        };
        let t_ms = fields
            .remove("t_ms")
            .and_then(|v| v.as_f64())
            .filter(|t| *t >= 0.0)
            .ok_or_else(|| err("no non-negative number `t_ms`".into()))?;
        let kind = match fields.remove("kind") {
            Some(serde_json::Value::String(k)) => k,
            _ => return Err(err("no string `kind`".into())),
        };
        events.push(Event {
            t_ms: t_ms.round() as u64,
            kind,
            fields,
        });
    }
    Ok(events)
}

/// Reads and parses an events file.
pub fn load(path: &Path) -> Result<Vec<Event>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(path, &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines_and_names_the_bad_one() {
        let p = Path::new("e.jsonl");
        let ok = "{\"t_ms\": 1200, \"kind\": \"speak_start\", \"text\": \"Hi.\", \"speech\": \"answer\"}\n\n{\"t_ms\":1.6,\"kind\":\"barge_in\"}\n";
        let ev = parse(p, ok).unwrap();
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].kind, "speak_start");
        assert_eq!(ev[0].str("text"), Some("Hi."));
        assert_eq!(ev[1].t_ms, 2);
        let bad = "{\"t_ms\": 1, \"kind\": \"floor\"}\n{\"kind\": \"floor\"}\n";
        let e = parse(p, bad).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("t_ms"), "{e}");
    }
}
