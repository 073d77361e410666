//! Every shape error of a JSON body at once: a body serde refused is checked again, field by
//! field, against the JSON Schema of its type (the one the OpenAPI document publishes).
//!
//! serde stops at the first wrong field, so an integrator who sent three wrong fields would
//! learn of them one request at a time. The schema walk below finds the unknown, missing and
//! mistyped fields of the whole body, nested objects and list items included. It runs only
//! after serde refused the body, and serde's own finding is always among those reported, so a
//! construct the walk does not understand can only make it report less, never accept a body.
//!
//! Like serde's rewritten messages in [`crate::extract`], a finding names the field and what
//! was expected, never the value sent.

use std::collections::HashMap;

use serde_json::Value;
use utoipa::ToSchema;

/// A field of the wrong shape: its dotted path, and what was wrong, without the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `employment.valid_from`, `scopes[0].category_code`.
    pub field: String,
    /// `expected a string`, `is required`, `is not a field of this request`.
    pub reason: String,
}

/// Every field of `body` whose shape the schema of `T` does not allow.
pub(crate) fn findings<T: ToSchema>(body: &Value) -> Vec<Finding> {
    let mut named = Vec::new();
    T::schemas(&mut named);
    let to_json = |schema| serde_json::to_value(schema).unwrap_or(Value::Null);
    let definitions: HashMap<String, Value> =
        named.into_iter().map(|(name, schema)| (name, to_json(schema))).collect();
    let walk = Walk { definitions };
    let mut found = Vec::new();
    walk.check(body, &to_json(T::schema()), "", &mut found);
    found
}

struct Walk {
    /// The schemas `$ref`s name, by name.
    definitions: HashMap<String, Value>,
}

impl Walk {
    fn resolve<'a>(&'a self, schema: &'a Value) -> Option<&'a Value> {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.strip_prefix("#/components/schemas/")?;
                self.definitions.get(name)
            }
            None => Some(schema),
        }
    }

    fn check(&self, value: &Value, schema: &Value, path: &str, found: &mut Vec<Finding>) {
        // A schema the walk cannot read (an unknown reference) accepts anything.
        let Some(schema) = self.resolve(schema) else { return };
        if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
            for part in all {
                self.check(value, part, path, found);
            }
        }
        if let Some(branches) = schema.get("oneOf").or_else(|| schema.get("anyOf")) {
            self.check_branches(
                value,
                branches.as_array().map_or(&[][..], Vec::as_slice),
                path,
                found,
            );
        }
        let types: Vec<&str> = match schema.get("type") {
            Some(Value::String(kind)) => vec![kind.as_str()],
            Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
            _ if schema.get("properties").is_some() => vec!["object"],
            _ => Vec::new(),
        };
        if !types.is_empty() && !types.iter().any(|kind| is_of_type(value, kind)) {
            let wanted = types.iter().find(|kind| **kind != "null").unwrap_or(&"null");
            return report(found, path, format!("expected {}", type_words(wanted, schema)));
        }
        if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
            && !allowed.contains(value)
        {
            return report(found, path, format!("expected {}", one_of(allowed)));
        }
        match value {
            Value::String(text) => check_format(text, schema, path, found),
            Value::Number(number) => {
                let low = schema.get("minimum").and_then(Value::as_f64);
                let high = schema.get("maximum").and_then(Value::as_f64);
                let n = number.as_f64().unwrap_or_default();
                if low.is_some_and(|low| n < low) || high.is_some_and(|high| n > high) {
                    report(found, path, format!("expected {}", type_words("integer", schema)));
                }
            }
            Value::Object(fields) => self.check_object(fields, schema, path, found),
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (index, item) in items.iter().enumerate() {
                        // serde_path_to_error's notation, so the two findings of one field meet.
                        self.check(item, item_schema, &format!("{path}[{index}]"), found);
                    }
                }
            }
            _ => {}
        }
    }

    /// `oneOf`/`anyOf`: a value that fits a branch is fine. An optional value (a branch and
    /// `null`) that fits neither is reported as its one real branch reports it; a choice
    /// between several real branches is left to serde's own finding.
    fn check_branches(
        &self,
        value: &Value,
        branches: &[Value],
        path: &str,
        found: &mut Vec<Finding>,
    ) {
        let fits = |branch: &Value| {
            let mut trial = Vec::new();
            self.check(value, branch, path, &mut trial);
            trial
        };
        let mut real =
            branches.iter().filter(|branch| branch.get("type") != Some(&Value::from("null")));
        if branches.iter().any(|branch| fits(branch).is_empty()) {
            return;
        }
        if let (Some(only), None) = (real.next(), real.next()) {
            found.extend(fits(only));
        }
    }

    fn check_object(
        &self,
        fields: &serde_json::Map<String, Value>,
        schema: &Value,
        path: &str,
        found: &mut Vec<Finding>,
    ) {
        let properties = schema.get("properties").and_then(Value::as_object);
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
        for (name, value) in fields {
            match properties.and_then(|properties| properties.get(name)) {
                Some(property) => self.check(value, property, &join(path, name), found),
                None if closed => {
                    report(found, &join(path, name), "is not a field of this request".to_owned())
                }
                None => {}
            }
        }
        let required = schema.get("required").and_then(Value::as_array);
        for name in required.into_iter().flatten().filter_map(Value::as_str) {
            if !fields.contains_key(name) {
                report(found, &join(path, name), "is required".to_owned());
            }
        }
    }
}

fn report(found: &mut Vec<Finding>, path: &str, reason: String) {
    found.push(Finding { field: path.to_owned(), reason });
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() { name.to_owned() } else { format!("{path}.{name}") }
}

fn is_of_type(value: &Value, kind: &str) -> bool {
    match kind {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "null" => value.is_null(),
        // A type the walk does not know: not its business.
        _ => true,
    }
}

/// A JSON Schema type in words for an integrator, as [`crate::extract`] words serde's.
fn type_words(kind: &str, schema: &Value) -> String {
    let format = schema.get("format").and_then(Value::as_str);
    let words = match (kind, format) {
        ("string", Some("date")) => "a date (YYYY-MM-DD)",
        ("string", Some("uuid")) => "a UUID",
        ("string", _) => "a string",
        ("integer", _) => {
            let bound = |key| schema.get(key).and_then(Value::as_i64);
            return match (bound("minimum"), bound("maximum")) {
                (Some(low), Some(high)) => format!("a whole number from {low} to {high}"),
                (Some(low), None) => format!("a whole number from {low}"),
                _ => "a whole number".to_owned(),
            };
        }
        ("number", _) => "a number",
        ("boolean", _) => "true or false",
        ("object", _) => "an object",
        ("array", _) => "a list",
        _ => "null",
    };
    words.to_owned()
}

/// The values of an enumeration, as serde lists a `#[derive(Deserialize)]` enum's variants.
fn one_of(allowed: &[Value]) -> String {
    let names: Vec<String> = allowed
        .iter()
        .map(|value| {
            format!("`{}`", value.as_str().map_or_else(|| value.to_string(), str::to_owned))
        })
        .collect();
    match names.as_slice() {
        [one] => one.clone(),
        [first, second] => format!("{first} or {second}"),
        _ => format!("one of {}", names.join(", ")),
    }
}

fn check_format(text: &str, schema: &Value, path: &str, found: &mut Vec<Finding>) {
    let fits = match schema.get("format").and_then(Value::as_str) {
        Some("date") => hocba_domain::dates::parse(text).is_some(),
        Some("uuid") => uuid::Uuid::parse_str(text).is_ok(),
        _ => true,
    };
    if !fits {
        report(found, path, format!("expected {}", type_words("string", schema)));
    }
}
