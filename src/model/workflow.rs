//! GitHub Actions workflows and composite actions.

use crate::source::{Node, Route, SourceFile};

/// A workflow file (`.github/workflows/*.yml`).
pub struct Workflow<'a> {
    pub file: &'a SourceFile,
    pub root: &'a Node,
}

impl<'a> Workflow<'a> {
    pub fn new(file: &'a SourceFile) -> Option<Self> {
        Some(Self {
            file,
            root: file.root.as_ref()?,
        })
    }

    /// Trigger names, whether `on` is a string, a list or a mapping.
    pub fn triggers(&self) -> Vec<&'a str> {
        let Some(on) = self.root.get("on") else {
            return Vec::new();
        };
        match on.as_map() {
            Some(_) => on.entries().map(|(name, _)| name).collect(),
            None => on.items().into_iter().filter_map(Node::as_str).collect(),
        }
    }

    pub fn has_trigger(&self, name: &str) -> bool {
        self.triggers().contains(&name)
    }

    /// Whether the workflow's input `name` (of `workflow_dispatch` or `workflow_call`) is
    /// declared with a type whose values cannot carry text: `boolean`, `number`, `choice` (one
    /// of the listed options) or `environment` (one of the repository's environments). An
    /// undeclared input, or one declared as a string under either trigger, is not.
    pub fn input_is_typed(&self, name: &str) -> bool {
        let mut declared = false;
        for trigger in ["workflow_dispatch", "workflow_call"] {
            let Some(inputs) = self
                .root
                .get("on")
                .and_then(|on| on.get(trigger))
                .and_then(|t| t.get("inputs"))
            else {
                continue;
            };
            let Some((_, input)) = inputs
                .entries()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
            else {
                continue;
            };
            let typed = input.get_str("type").is_some_and(|kind| {
                matches!(kind.trim(), "boolean" | "number" | "choice" | "environment")
            });
            if !typed {
                return false;
            }
            declared = true;
        }
        declared
    }

    pub fn jobs(&self) -> Vec<Job<'a>> {
        let Some(jobs) = self.root.get("jobs") else {
            return Vec::new();
        };
        jobs.entries()
            .map(|(id, node)| Job {
                id,
                node,
                route: Route::root().key("jobs").key(id),
            })
            .collect()
    }
}

/// One job under `jobs:`.
pub struct Job<'a> {
    pub id: &'a str,
    pub node: &'a Node,
    pub route: Route,
}

impl<'a> Job<'a> {
    pub fn steps(&self) -> Vec<Step<'a>> {
        steps_under(self.node.get("steps"), &self.route.key("steps"))
    }

    /// The environment name, from `environment: name` or `environment: {name: …}`.
    pub fn environment(&self) -> Option<&'a str> {
        let env = self.node.get("environment")?;
        let name = env.as_str().or_else(|| env.get_str("name"))?;
        (!name.trim().is_empty()).then_some(name)
    }

    /// A job that calls a reusable workflow (`jobs.<id>.uses`).
    pub fn uses(&self) -> Option<&'a str> {
        self.node.get_str("uses")
    }
}

/// The environment variables a step sees, by name: its workflow's `env`, then its job's, then
/// its own, each level overriding the one above (names compare case-insensitively, as
/// `env.NAME` does). `blocks` are the `env:` nodes from the outermost in.
pub fn layered_env<'a>(blocks: &[Option<&'a Node>]) -> Vec<(&'a str, &'a Node)> {
    let mut merged: Vec<(&'a str, &'a Node)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for block in blocks.iter().flatten() {
        for (name, value) in block.entries() {
            match index.get(&name.to_ascii_lowercase()) {
                Some(&at) => {
                    if let Some(slot) = merged.get_mut(at) {
                        *slot = (name, value);
                    }
                }
                None => {
                    index.insert(name.to_ascii_lowercase(), merged.len());
                    merged.push((name, value));
                }
            }
        }
    }
    merged
}

/// A composite action (`action.yml`).
pub struct Action<'a> {
    pub file: &'a SourceFile,
    pub root: &'a Node,
}

impl<'a> Action<'a> {
    pub fn new(file: &'a SourceFile) -> Option<Self> {
        Some(Self {
            file,
            root: file.root.as_ref()?,
        })
    }

    pub fn steps(&self) -> Vec<Step<'a>> {
        let route = Route::root().key("runs").key("steps");
        steps_under(self.root.at(&route), &route)
    }
}

fn steps_under<'a>(steps: Option<&'a Node>, route: &Route) -> Vec<Step<'a>> {
    let Some(items) = steps.and_then(Node::as_seq) else {
        return Vec::new();
    };
    items
        .iter()
        .enumerate()
        .map(|(index, node)| Step {
            node,
            route: route.index(index),
        })
        .collect()
}

/// One step, in a job or in a composite action.
pub struct Step<'a> {
    pub node: &'a Node,
    pub route: Route,
}

impl<'a> Step<'a> {
    pub fn uses(&self) -> Option<&'a str> {
        self.node.get_str("uses")
    }

    pub fn run(&self) -> Option<&'a str> {
        self.node.get_str("run")
    }

    /// An input under `with:`.
    pub fn with(&self, key: &str) -> Option<&'a Node> {
        self.node.get("with")?.get(key)
    }

    pub fn with_route(&self, key: &str) -> Route {
        self.route.key("with").key(key)
    }

    /// The action's `owner/repo` (and path), without the ref, lowercased.
    pub fn action_name(&self) -> Option<String> {
        let uses = self.uses()?;
        let name = uses.split('@').next().unwrap_or(uses);
        Some(name.to_ascii_lowercase())
    }

    /// True when the step uses `owner/repo` (any path, any ref).
    pub fn uses_action(&self, repo: &str) -> bool {
        self.action_name().is_some_and(|name| {
            name == repo
                || name
                    .strip_prefix(repo)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    }
}
