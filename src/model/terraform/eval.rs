//! Evaluates Terraform expressions against one module: references (`var`, `local`, `data`,
//! resources, `each`, `count`, `for` and `dynamic` iterators), string templates, `for`
//! expressions, conditionals and the functions policies are written with. Whatever is not
//! known statically stays [`Value::Unknown`], naming the expression.

use std::cell::Cell;

use hcl_edit::Span as _;
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::template::{Element, Template};

use super::Module;
use super::value::Value;

/// Steps one evaluation may take (references followed, values built): keeps a file whose
/// locals refer to each other many times over linear, not exponential.
const BUDGET: u32 = 20_000;
/// References followed inside one another (a local naming a local naming …).
const MAX_DEPTH: u32 = 64;

/// An evaluation in one module, with the iterator and `for` variables in scope.
pub struct Eval<'m> {
    pub module: &'m Module,
    bindings: Vec<(String, Value)>,
    budget: Cell<u32>,
    depth: Cell<u32>,
}

fn text_of<'s>(src: &'s str, expr: &Expression) -> &'s str {
    expr.span()
        .and_then(|r| src.get(r))
        .unwrap_or("expression")
        .trim()
}

impl<'m> Eval<'m> {
    pub fn new(module: &'m Module) -> Self {
        Self {
            module,
            bindings: Vec::new(),
            budget: Cell::new(BUDGET),
            depth: Cell::new(0),
        }
    }

    /// The same evaluation with `name` bound (a `dynamic` block's iterator).
    pub fn with(&self, name: &str, value: Value) -> Eval<'m> {
        let mut bindings = self.bindings.clone();
        bindings.push((name.to_string(), value));
        Eval {
            module: self.module,
            bindings,
            budget: Cell::new(self.budget.get()),
            depth: Cell::new(self.depth.get()),
        }
    }

    fn spend(&self) -> bool {
        let left = self.budget.get();
        if left == 0 {
            return false;
        }
        self.budget.set(left - 1);
        true
    }

    /// Evaluates `expr`, whose spans index `src`, nested one level deeper.
    pub fn nested(&self, expr: &Expression, src: &str) -> Value {
        let depth = self.depth.get();
        if depth >= MAX_DEPTH {
            return Value::unknown(text_of(src, expr));
        }
        self.depth.set(depth + 1);
        let value = self.expr(expr, src);
        self.depth.set(depth);
        value
    }

    pub fn expr(&self, expr: &Expression, src: &str) -> Value {
        if !self.spend() {
            return Value::unknown(text_of(src, expr));
        }
        match expr {
            Expression::Null(_) => Value::Null,
            Expression::Bool(b) => Value::Bool(*b.value()),
            Expression::Number(n) => n
                .value()
                .as_f64()
                .map_or_else(|| Value::unknown(text_of(src, expr)), Value::Number),
            Expression::String(s) => Value::String(s.value().to_string()),
            Expression::Array(array) => {
                Value::List(array.iter().map(|item| self.expr(item, src)).collect())
            }
            Expression::Object(object) => {
                let mut entries: Vec<(String, Value)> = Vec::new();
                for (key, value) in object.iter() {
                    let key = match key {
                        ObjectKey::Ident(ident) => ident.as_str().to_string(),
                        ObjectKey::Expression(e) => match self.expr(e, src) {
                            Value::String(s) => s,
                            other => match other.as_text() {
                                Some(text) => text,
                                None => return Value::unknown(text_of(src, expr)),
                            },
                        },
                    };
                    let value = self.expr(value.expr(), src);
                    // Terraform accepts a repeated key; the last one wins.
                    entries.retain(|(k, _)| *k != key);
                    entries.push((key, value));
                }
                Value::Map(entries)
            }
            Expression::StringTemplate(template) => self.template(template, src),
            Expression::HeredocTemplate(heredoc) => self.template(&heredoc.template, src),
            Expression::Parenthesis(inner) => self.expr(inner.inner(), src),
            Expression::Variable(name) => self.variable(name.as_str(), &[], src, expr),
            Expression::Traversal(traversal) => {
                let operators: Vec<&TraversalOperator> =
                    traversal.operators.iter().map(|o| o.value()).collect();
                match &traversal.expr {
                    Expression::Variable(name) => {
                        self.variable(name.as_str(), &operators, src, expr)
                    }
                    inner => {
                        let base = self.expr(inner, src);
                        self.apply(base, &operators, src, expr)
                    }
                }
            }
            Expression::Conditional(cond) => match self.expr(&cond.cond_expr, src) {
                Value::Bool(true) => self.expr(&cond.true_expr, src),
                Value::Bool(false) => self.expr(&cond.false_expr, src),
                _ => Value::unknown(text_of(src, expr)),
            },
            Expression::FuncCall(call) => {
                let name = call.name.name.as_str();
                let args: Vec<&Expression> = call.args.iter().collect();
                let value = if call.name.namespace.is_empty() {
                    super::functions::call(self, name, &args, call.args.expand_final(), src)
                } else {
                    None
                };
                value.unwrap_or_else(|| Value::unknown(text_of(src, expr)))
            }
            Expression::ForExpr(for_expr) => {
                let collection = self.expr(&for_expr.intro.collection_expr, src);
                let Some(items) = pairs(&collection) else {
                    return Value::unknown(text_of(src, expr));
                };
                let key_var = for_expr.intro.key_var.as_ref().map(|k| k.as_str());
                let value_var = for_expr.intro.value_var.as_str();
                let mut list = Vec::new();
                let mut map: Vec<(String, Value)> = Vec::new();
                for (key, value) in items {
                    let mut scope = self.with(value_var, value.clone());
                    if let Some(key_var) = key_var {
                        scope.bindings.push((key_var.to_string(), key));
                    }
                    if let Some(cond) = &for_expr.cond {
                        match scope.expr(&cond.expr, src) {
                            Value::Bool(true) => {}
                            Value::Bool(false) => continue,
                            _ => return Value::unknown(text_of(src, expr)),
                        }
                    }
                    let value = scope.expr(&for_expr.value_expr, src);
                    self.budget.set(scope.budget.get());
                    match &for_expr.key_expr {
                        Some(key_expr) => {
                            let Some(key) = scope.expr(key_expr, src).as_text() else {
                                return Value::unknown(text_of(src, expr));
                            };
                            if for_expr.grouping {
                                match map.iter_mut().find(|(k, _)| *k == key) {
                                    Some((_, Value::List(group))) => group.push(value),
                                    _ => map.push((key, Value::List(vec![value]))),
                                }
                            } else {
                                map.retain(|(k, _)| *k != key);
                                map.push((key, value));
                            }
                        }
                        None => list.push(value),
                    }
                }
                if for_expr.key_expr.is_some() {
                    Value::Map(map)
                } else {
                    Value::List(list)
                }
            }
            Expression::UnaryOp(op) => match (op.operator.value(), self.expr(&op.expr, src)) {
                (UnaryOperator::Not, Value::Bool(b)) => Value::Bool(!b),
                (UnaryOperator::Neg, Value::Number(n)) => Value::Number(-n),
                _ => Value::unknown(text_of(src, expr)),
            },
            Expression::BinaryOp(op) => {
                let lhs = self.expr(&op.lhs_expr, src);
                let rhs = self.expr(&op.rhs_expr, src);
                binary(*op.operator.value(), &lhs, &rhs)
                    .unwrap_or_else(|| Value::unknown(text_of(src, expr)))
            }
        }
    }

    fn template(&self, template: &Template, src: &str) -> Value {
        let mut out = String::new();
        let mut known = true;
        for element in template.iter() {
            match element {
                Element::Literal(text) => out.push_str(text.value()),
                Element::Interpolation(interpolation) => {
                    let value = self.expr(&interpolation.expr, src);
                    match (&value, value.as_text()) {
                        (Value::Unknown(text), _) => {
                            known = false;
                            out.push_str(text);
                        }
                        (_, Some(text)) => out.push_str(&text),
                        (_, None) => {
                            known = false;
                            out.push_str(&format!("${{{}}}", text_of(src, &interpolation.expr)));
                        }
                    }
                }
                Element::Directive(directive) => {
                    known = false;
                    let span = directive.span().and_then(|r| src.get(r)).unwrap_or("%{…}");
                    out.push_str(&format!("${{{}}}", span.trim()));
                }
            }
        }
        if known {
            Value::String(out)
        } else {
            Value::Unknown(out)
        }
    }

    /// A reference: `var.x`, `local.x`, `data.T.N.attr`, `T.N.attr`, `each.value`, or a bound
    /// iterator, followed by `operators`.
    fn variable(
        &self,
        root: &str,
        operators: &[&TraversalOperator],
        src: &str,
        whole: &Expression,
    ) -> Value {
        let unknown = || Value::unknown(text_of(src, whole));
        if let Some((_, value)) = self.bindings.iter().rev().find(|(name, _)| name == root) {
            return self.apply(value.clone(), operators, src, whole);
        }
        let attr = |i: usize| match operators.get(i) {
            Some(TraversalOperator::GetAttr(name)) => Some(name.as_str()),
            _ => None,
        };
        match root {
            "var" => {
                let Some(name) = attr(0) else {
                    return unknown();
                };
                let value = self.module.variable(self, name);
                self.apply(value, &operators[1..], src, whole)
            }
            "local" => {
                let Some(name) = attr(0) else {
                    return unknown();
                };
                let value = self.module.local(self, name);
                self.apply(value, &operators[1..], src, whole)
            }
            "data" => {
                let (Some(kind), Some(name)) = (attr(0), attr(1)) else {
                    return unknown();
                };
                self.resource(true, kind, name, &operators[2..], src, whole)
            }
            "module" | "path" | "terraform" | "each" | "count" | "self" => unknown(),
            kind if kind.contains('_') => {
                let Some(name) = attr(0) else {
                    return unknown();
                };
                self.resource(false, kind, name, &operators[1..], src, whole)
            }
            _ => unknown(),
        }
    }

    /// An attribute of a resource or data source; an instance index (`[0]`, `["a"]`) is
    /// passed over, all instances being alike as written.
    fn resource(
        &self,
        data: bool,
        kind: &str,
        name: &str,
        operators: &[&TraversalOperator],
        src: &str,
        whole: &Expression,
    ) -> Value {
        let mut rest = operators;
        if let Some(TraversalOperator::Index(_) | TraversalOperator::LegacyIndex(_)) = rest.first()
        {
            rest = &rest[1..];
        }
        let Some(TraversalOperator::GetAttr(attr)) = rest.first() else {
            return Value::unknown(text_of(src, whole));
        };
        match self.module.attribute(self, data, kind, name, attr.as_str()) {
            Some(value) => self.apply(value, &rest[1..], src, whole),
            None => Value::unknown(text_of(src, whole)),
        }
    }

    fn apply(
        &self,
        value: Value,
        operators: &[&TraversalOperator],
        src: &str,
        whole: &Expression,
    ) -> Value {
        let mut value = value;
        for (i, op) in operators.iter().enumerate() {
            if let Value::Unknown(_) = value {
                return Value::unknown(text_of(src, whole));
            }
            value = match op {
                TraversalOperator::GetAttr(name) => match value.get(name.as_str()) {
                    Some(v) => v.clone(),
                    None => return Value::unknown(text_of(src, whole)),
                },
                TraversalOperator::Index(index) => {
                    let index = self.expr(index, src);
                    match index_into(&value, &index) {
                        Some(v) => v,
                        None => return Value::unknown(text_of(src, whole)),
                    }
                }
                TraversalOperator::LegacyIndex(n) => {
                    match index_into(&value, &Value::Number(*n.value() as f64)) {
                        Some(v) => v,
                        None => return Value::unknown(text_of(src, whole)),
                    }
                }
                TraversalOperator::AttrSplat(_) | TraversalOperator::FullSplat(_) => {
                    let items = match value {
                        Value::List(items) => items,
                        Value::Null => Vec::new(),
                        other => vec![other],
                    };
                    let rest = &operators[i + 1..];
                    return Value::List(
                        items
                            .into_iter()
                            .map(|item| self.apply(item, rest, src, whole))
                            .collect(),
                    );
                }
            };
        }
        value
    }
}

/// The (key, value) pairs a `for` expression or `for_each` walks: a list by index, a map by key.
pub fn pairs(value: &Value) -> Option<Vec<(Value, Value)>> {
    match value {
        Value::List(items) => Some(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| (Value::Number(i as f64), v.clone()))
                .collect(),
        ),
        Value::Map(entries) => Some(
            entries
                .iter()
                .map(|(k, v)| (Value::String(k.clone()), v.clone()))
                .collect(),
        ),
        _ => None,
    }
}

fn index_into(value: &Value, index: &Value) -> Option<Value> {
    match (value, index) {
        (Value::List(items), Value::Number(n)) if *n >= 0.0 => items.get(*n as usize).cloned(),
        (Value::Map(_), _) => value.get(&index.as_text()?).cloned(),
        _ => None,
    }
}

fn binary(op: BinaryOperator, lhs: &Value, rhs: &Value) -> Option<Value> {
    use BinaryOperator as B;
    if !lhs.is_known() || !rhs.is_known() {
        return match (op, lhs, rhs) {
            (B::And, Value::Bool(false), _) | (B::And, _, Value::Bool(false)) => {
                Some(Value::Bool(false))
            }
            (B::Or, Value::Bool(true), _) | (B::Or, _, Value::Bool(true)) => {
                Some(Value::Bool(true))
            }
            _ => None,
        };
    }
    Some(match (op, lhs, rhs) {
        (B::Eq, a, b) => Value::Bool(a == b),
        (B::NotEq, a, b) => Value::Bool(a != b),
        (B::And, Value::Bool(a), Value::Bool(b)) => Value::Bool(*a && *b),
        (B::Or, Value::Bool(a), Value::Bool(b)) => Value::Bool(*a || *b),
        (B::Plus, Value::Number(a), Value::Number(b)) => Value::Number(a + b),
        (B::Minus, Value::Number(a), Value::Number(b)) => Value::Number(a - b),
        (B::Mul, Value::Number(a), Value::Number(b)) => Value::Number(a * b),
        (B::Div, Value::Number(a), Value::Number(b)) if *b != 0.0 => Value::Number(a / b),
        (B::Less, Value::Number(a), Value::Number(b)) => Value::Bool(a < b),
        (B::LessEq, Value::Number(a), Value::Number(b)) => Value::Bool(a <= b),
        (B::Greater, Value::Number(a), Value::Number(b)) => Value::Bool(a > b),
        (B::GreaterEq, Value::Number(a), Value::Number(b)) => Value::Bool(a >= b),
        _ => return None,
    })
}
