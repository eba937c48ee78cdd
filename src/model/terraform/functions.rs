//! The Terraform functions policies and trust conditions are built with. A function not
//! listed here, or given an unknown argument, leaves its call unknown.

use hcl_edit::expr::Expression;

use super::eval::Eval;
use super::value::Value;

/// Calls `name`; `None` leaves the call unknown. `expand` is a final `...` argument.
pub fn call(ev: &Eval, name: &str, args: &[&Expression], expand: bool, src: &str) -> Option<Value> {
    // `try` and `can` evaluate lazily: the first argument that is known wins.
    match name {
        "try" => {
            return args.iter().map(|a| ev.expr(a, src)).find(Value::is_known);
        }
        // Whether an expression fails is not known statically.
        "can" => return None,
        _ => {}
    }
    let mut values: Vec<Value> = args.iter().map(|a| ev.expr(a, src)).collect();
    if expand && let Some(Value::List(last)) = values.pop() {
        values.extend(last);
    }
    let strings = |values: &[Value]| -> Option<Vec<String>> {
        values
            .iter()
            .map(|v| match v {
                Value::Unknown(_) => None,
                other => other.as_text(),
            })
            .collect()
    };
    let first = values.first();
    Some(match name {
        "jsonencode" => {
            // Kept as a structure: a policy written with `jsonencode` is read as the document.
            first?.clone()
        }
        "jsondecode" => {
            let Value::String(text) = first? else {
                return None;
            };
            let node = crate::source::yaml::parse(text).ok()?;
            Value::from_node(&node)
        }
        "format" => format(&values)?,
        "concat" => {
            let mut out = Vec::new();
            for value in &values {
                match value {
                    Value::List(items) => out.extend(items.iter().cloned()),
                    _ => return None,
                }
            }
            Value::List(out)
        }
        "merge" => {
            let mut out: Vec<(String, Value)> = Vec::new();
            for value in &values {
                match value {
                    Value::Map(entries) => {
                        for (k, v) in entries {
                            out.retain(|(key, _)| key != k);
                            out.push((k.clone(), v.clone()));
                        }
                    }
                    Value::Null => {}
                    _ => return None,
                }
            }
            Value::Map(out)
        }
        "flatten" => {
            fn walk(value: &Value, out: &mut Vec<Value>) -> Option<()> {
                match value {
                    Value::List(items) => {
                        for item in items {
                            walk(item, out)?;
                        }
                    }
                    Value::Unknown(_) => return None,
                    other => out.push(other.clone()),
                }
                Some(())
            }
            let mut out = Vec::new();
            walk(first?, &mut out)?;
            Value::List(out)
        }
        "lookup" => {
            let key = values.get(1)?.as_text()?;
            match first? {
                Value::Map(_) => match first?.get(&key) {
                    Some(v) => v.clone(),
                    None => values.get(2)?.clone(),
                },
                _ => return None,
            }
        }
        "coalesce" => values
            .iter()
            .take_while(|v| !matches!(v, Value::Unknown(_)))
            .find(|v| !matches!(v, Value::Null) && *v != &Value::String(String::new()))
            .cloned()?,
        "coalescelist" => values
            .iter()
            .take_while(|v| !matches!(v, Value::Unknown(_)))
            .find(|v| matches!(v, Value::List(items) if !items.is_empty()))
            .cloned()?,
        "tolist" | "toset" => match first? {
            Value::List(items) => {
                let mut items = items.clone();
                if name == "toset" {
                    let mut unique: Vec<Value> = Vec::new();
                    for item in items.drain(..) {
                        if !unique.contains(&item) {
                            unique.push(item);
                        }
                    }
                    items = unique;
                }
                Value::List(items)
            }
            _ => return None,
        },
        "distinct" => call_distinct(first?)?,
        "compact" => match first? {
            Value::List(items) => Value::List(
                items
                    .iter()
                    .filter(|v| !matches!(v, Value::Null) && *v != &Value::String(String::new()))
                    .cloned()
                    .collect(),
            ),
            _ => return None,
        },
        "tostring" => Value::String(strings(&values[..1.min(values.len())])?.pop()?),
        "tonumber" => Value::Number(first?.as_text()?.parse().ok()?),
        "tomap" => match first? {
            map @ Value::Map(_) => map.clone(),
            _ => return None,
        },
        "join" => {
            let separator = first?.as_text()?;
            let mut parts = Vec::new();
            for list in &values[1..] {
                let Value::List(items) = list else {
                    return None;
                };
                parts.extend(strings(items)?);
            }
            Value::String(parts.join(&separator))
        }
        "split" => {
            let texts = strings(&values)?;
            let [separator, text] = texts.as_slice() else {
                return None;
            };
            Value::List(
                text.split(separator.as_str())
                    .map(|s| Value::String(s.to_string()))
                    .collect(),
            )
        }
        "lower" | "upper" | "trimspace" => {
            let text = strings(&values)?.pop()?;
            Value::String(match name {
                "lower" => text.to_lowercase(),
                "upper" => text.to_uppercase(),
                _ => text.trim().to_string(),
            })
        }
        "replace" => {
            let texts = strings(&values)?;
            let [text, from, to] = texts.as_slice() else {
                return None;
            };
            // A `/…/` pattern is a regular expression, which this does not evaluate.
            if from.len() > 1 && from.starts_with('/') && from.ends_with('/') {
                return None;
            }
            Value::String(text.replace(from.as_str(), to))
        }
        "trimprefix" | "trimsuffix" => {
            let texts = strings(&values)?;
            let [text, part] = texts.as_slice() else {
                return None;
            };
            Value::String(
                if name == "trimprefix" {
                    text.strip_prefix(part.as_str())
                } else {
                    text.strip_suffix(part.as_str())
                }
                .unwrap_or(text)
                .to_string(),
            )
        }
        "length" => Value::Number(match first? {
            Value::List(items) => items.len(),
            Value::Map(entries) => entries.len(),
            Value::String(s) => s.chars().count(),
            _ => return None,
        } as f64),
        "element" => {
            let Value::List(items) = first? else {
                return None;
            };
            let Value::Number(n) = values.get(1)? else {
                return None;
            };
            if items.is_empty() || *n < 0.0 {
                return None;
            }
            items.get(*n as usize % items.len())?.clone()
        }
        "keys" | "values" => {
            let Value::Map(entries) = first? else {
                return None;
            };
            Value::List(
                entries
                    .iter()
                    .map(|(k, v)| {
                        if name == "keys" {
                            Value::String(k.clone())
                        } else {
                            v.clone()
                        }
                    })
                    .collect(),
            )
        }
        "contains" => {
            let Value::List(items) = first? else {
                return None;
            };
            if !first?.is_known() || !values.get(1)?.is_known() {
                return None;
            }
            Value::Bool(items.contains(values.get(1)?))
        }
        _ => return None,
    })
}

fn call_distinct(value: &Value) -> Option<Value> {
    let Value::List(items) = value else {
        return None;
    };
    let mut unique: Vec<Value> = Vec::new();
    for item in items {
        if !unique.contains(item) {
            unique.push(item.clone());
        }
    }
    Some(Value::List(unique))
}

/// `format` with the verbs used in practice: `%s`, `%d`, `%v`, `%q` and `%%`.
fn format(values: &[Value]) -> Option<Value> {
    let Value::String(spec) = values.first()? else {
        return None;
    };
    let mut out = String::new();
    let mut args = values[1..].iter();
    let mut chars = spec.chars();
    let mut known = true;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '%' => out.push('%'),
            verb @ ('s' | 'd' | 'v' | 'q') => {
                let arg = args.next()?;
                if let Value::Unknown(text) = arg {
                    known = false;
                    out.push_str(text);
                    continue;
                }
                let text = arg.as_text()?;
                if verb == 'q' {
                    out.push_str(&format!("{text:?}"));
                } else {
                    out.push_str(&text);
                }
            }
            _ => return None,
        }
    }
    Some(if known {
        Value::String(out)
    } else {
        Value::Unknown(out)
    })
}
