//! Branch protection rules as the API returns them, and the rule that applies to a branch,
//! chosen as the forge chooses it (`models/git/protected_branch.go`): by `priority`, then plain
//! names before globs, then age (the API lists rules oldest first); first match wins.

use serde::Deserialize;

use super::patterns::branch_glob;

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct BranchProtection {
    /// Deprecated; empty for glob rules.
    #[serde(default)]
    pub branch_name: String,
    #[serde(default)]
    pub rule_name: String,
    /// Gitea only; Forgejo has no priority.
    #[serde(default)]
    pub priority: Option<i64>,
    /// Required: a rule without it is not the shape the forges answer, and reading it as
    /// "status checks off" would turn a changed API into a clean result.
    pub enable_status_check: bool,
    /// `null` when the web UI saved the rule with status checks off; the key itself must be there.
    #[serde(deserialize_with = "present_or_null")]
    pub status_check_contexts: Option<Vec<String>>,
    #[serde(default)]
    pub created_at: Option<String>,
}

impl BranchProtection {
    pub fn name(&self) -> &str {
        if self.rule_name.is_empty() {
            &self.branch_name
        } else {
            &self.rule_name
        }
    }

    fn is_glob(&self) -> bool {
        self.name().contains(['*', '?', '\\', '[', ']', '{', '}'])
    }

    pub fn applies_to(&self, branch: &str) -> bool {
        let name = self.name();
        if !self.is_glob() {
            return name.eq_ignore_ascii_case(branch);
        }
        // An invalid glob falls back to comparing the name literally, as the forge does.
        match branch_glob(name) {
            Ok(g) => g.is_match(branch),
            Err(_) => name == branch,
        }
    }
}

/// `GET /repos/{o}/{r}/branches/{branch}` as the forges answer it (`services/convert` `ToBranch`):
/// the status checks of the rule the forge applies to the branch, with no rule selection of ours.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct BranchStatus {
    pub name: String,
    /// Whether any rule applies; without one the other fields are false and empty.
    pub protected: bool,
    /// Required, as in a rule: an answer without it is not the shape the forges send.
    pub enable_status_check: bool,
    /// `null` when the rule was saved with status checks off; the key itself must be there.
    #[serde(deserialize_with = "present_or_null")]
    pub status_check_contexts: Option<Vec<String>>,
    /// The rule's name, filled for repository admins only (empty for anyone else).
    #[serde(default)]
    pub effective_branch_protection_name: String,
}

impl BranchStatus {
    pub fn from_value(v: serde_json::Value) -> Result<BranchStatus, String> {
        serde_json::from_value(v).map_err(|e| format!("not a branch with its protection: {e}"))
    }
}

/// A key that must be present, with a value or `null`.
fn present_or_null<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<String>>, D::Error> {
    Option::<Vec<String>>::deserialize(d)
}

/// `--protection-file`: one rule or a list of rules, as the API returns them.
pub fn parse_rules(text: &str) -> Result<Vec<BranchProtection>, String> {
    let v: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    rules_from_value(v)
}

/// Rules from JSON already read: one rule or a list, each with a name, `enable_status_check`
/// and `status_check_contexts` (or it is not what the forges answer).
pub fn rules_from_value(v: serde_json::Value) -> Result<Vec<BranchProtection>, String> {
    let rules: Vec<BranchProtection> = match v {
        serde_json::Value::Array(_) => serde_json::from_value(v),
        other => serde_json::from_value(other).map(|r| vec![r]),
    }
    .map_err(|e| format!("not a branch protection rule or list of rules: {e}"))?;
    if let Some(r) = rules.iter().find(|r| r.name().is_empty()) {
        return Err(format!(
            "a branch protection rule has neither rule_name nor branch_name ({} required context(s))",
            r.status_check_contexts.as_ref().map_or(0, Vec::len)
        ));
    }
    Ok(rules)
}

/// The rule the forge applies to `branch`, if any.
pub fn select<'a>(rules: &'a [BranchProtection], branch: &str) -> Option<&'a BranchProtection> {
    let mut ordered: Vec<&BranchProtection> = rules.iter().collect();
    // Stable: rules with equal keys keep the API's order, which is oldest first.
    ordered.sort_by_key(|r| (r.priority.unwrap_or(0), r.is_glob()));
    ordered.into_iter().find(|r| r.applies_to(branch))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(name: &str, priority: Option<i64>, ctx: &[&str]) -> BranchProtection {
        BranchProtection {
            branch_name: String::new(),
            rule_name: name.into(),
            priority,
            enable_status_check: true,
            status_check_contexts: Some(ctx.iter().map(|s| s.to_string()).collect()),
            created_at: None,
        }
    }

    #[test]
    fn plain_names_compare_case_insensitively_and_globs_use_slash() {
        assert!(rule("Main", None, &[]).applies_to("main"));
        assert!(rule("release/*", None, &[]).applies_to("release/1.0"));
        assert!(!rule("release/*", None, &[]).applies_to("release/1.0/x"));
        assert!(rule("release/**", None, &[]).applies_to("release/1.0/x"));
        assert!(!rule("Release/*", None, &[]).applies_to("release/1"));
        // Invalid glob: literal comparison.
        assert!(rule("main[", None, &[]).applies_to("main["));
    }

    #[test]
    fn priority_then_plain_before_glob_then_order() {
        let rules = vec![
            rule("*", None, &["glob"]),
            rule("main", None, &["plain"]),
            rule("ma*", None, &["glob2"]),
        ];
        assert_eq!(select(&rules, "main").map(|r| r.name()), Some("main"));
        let rules = vec![rule("main", Some(2), &[]), rule("m*", Some(1), &[])];
        assert_eq!(select(&rules, "main").map(|r| r.name()), Some("m*"));
        let rules = vec![rule("m*", None, &["first"]), rule("*", None, &["second"])];
        assert_eq!(select(&rules, "main").map(|r| r.name()), Some("m*"));
        assert!(select(&rules, "dev/x").is_none());
    }

    #[test]
    fn branch_answers_need_the_status_check_keys() {
        // The shape of `ToBranch` for a reader (Gitea 1.27, Forgejo 15): no rule name.
        let v = serde_json::json!({
            "name": "main", "commit": {"id": "abc"}, "protected": true,
            "required_approvals": 1, "enable_status_check": true,
            "status_check_contexts": ["ci / test (push)"], "user_can_push": false,
            "user_can_merge": false, "effective_branch_protection_name": ""
        });
        let b = BranchStatus::from_value(v).expect("branch");
        assert!(b.protected && b.enable_status_check);
        assert_eq!(
            b.status_check_contexts,
            Some(vec!["ci / test (push)".to_string()])
        );
        assert!(b.effective_branch_protection_name.is_empty());
        let off = serde_json::json!({"name": "x", "protected": true, "enable_status_check": false,
            "status_check_contexts": null});
        assert_eq!(
            BranchStatus::from_value(off)
                .expect("null")
                .status_check_contexts,
            None
        );
        // A changed shape is not "nothing required".
        for bad in [
            serde_json::json!({"name": "main", "protected": true, "status_check_contexts": []}),
            serde_json::json!({"name": "main", "protected": true, "enable_status_check": true}),
            serde_json::json!({"name": "main", "enable_status_check": true, "status_check_contexts": []}),
            serde_json::json!([]),
        ] {
            assert!(BranchStatus::from_value(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn protection_files_hold_one_rule_or_a_list() {
        let one =
            r#"{"rule_name":"main","enable_status_check":true,"status_check_contexts":["a"]}"#;
        assert_eq!(parse_rules(one).expect("one").len(), 1);
        let list = format!("[{one},{one}]");
        assert_eq!(parse_rules(&list).expect("list").len(), 2);
        let legacy =
            r#"{"branch_name":"main","enable_status_check":false,"status_check_contexts":null}"#;
        assert_eq!(parse_rules(legacy).expect("legacy")[0].name(), "main");
        assert!(parse_rules("<html>").is_err());
        assert!(parse_rules(r#"{"rule_name": 3}"#).is_err());
        // A changed shape is not "nothing required".
        assert!(parse_rules("[{}]").is_err());
        assert!(parse_rules(r#"[{"rule_name":"main","enable_status_check":true}]"#).is_err());
        assert!(parse_rules(r#"[{"rule_name":"main","status_check_contexts":["a"]}]"#).is_err());
        assert!(
            parse_rules(
                r#"[{"rule_name":"","enable_status_check":true,"status_check_contexts":[]}]"#
            )
            .is_err()
        );
    }
}
