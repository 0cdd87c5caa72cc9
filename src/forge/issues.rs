//! The issue endpoints issue mode uses: labels, issues, comments. These are the only writes
//! driftgate ever makes, and only in `--mode issue`.

use reqwest::Method;
use serde_json::{Value, json};

use super::client::Forge;
use crate::error::Error;

pub const ISSUE_HINT: &str =
    "Issue mode needs a token that may write issues and labels in the repository (write:issue).";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub label_ids: Vec<u64>,
}

impl Issue {
    fn from_json(v: &Value) -> Option<Issue> {
        Some(Issue {
            number: v.get("number")?.as_u64()?,
            title: v
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            body: v
                .get("body")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            label_ids: v
                .get("labels")
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(|x| x.get("id").and_then(Value::as_u64))
                        .collect()
                })
                .unwrap_or_default(),
        })
    }
}

impl Forge {
    async fn write(&self, method: Method, path: &str, body: &Value) -> Result<Value, Error> {
        let what = format!("{method} /api/v1{path}");
        // A body is an output like any other: no secret reaches the forge's issues.
        let body = crate::secrets::redact_json(body);
        let a = self
            .http()
            .send_json(method, &self.url(path), &what, ISSUE_HINT, Some(&body))
            .await?;
        Ok(a.json)
    }

    /// The id of the label called `name`, if the repository has it.
    pub async fn label_id(&self, repo: &str, name: &str) -> Result<Option<u64>, Error> {
        let ids = self
            .list(&format!("/repos/{repo}/labels"), ISSUE_HINT, |l| {
                Ok((l.get("name").and_then(Value::as_str) == Some(name))
                    .then(|| l.get("id").and_then(Value::as_u64))
                    .flatten())
            })
            .await?;
        Ok(ids.first().copied())
    }

    pub async fn create_label(&self, repo: &str, name: &str) -> Result<u64, Error> {
        let v = self
            .write(
                Method::POST,
                &format!("/repos/{repo}/labels"),
                &json!({"name": name, "color": "#d73a4a", "description": "Tracking issues kept in sync by driftgate"}),
            )
            .await?;
        v.get("id").and_then(Value::as_u64).ok_or_else(|| {
            Error::Unreachable(format!(
                "POST /repos/{repo}/labels: no label id in the answer"
            ))
        })
    }

    /// Every open issue (not pull request) whose body holds `marker`, oldest first.
    pub async fn open_issues(&self, repo: &str, marker: &str) -> Result<Vec<Issue>, Error> {
        let mut issues = self
            .list(
                &format!("/repos/{repo}/issues?state=open&type=issues"),
                ISSUE_HINT,
                |v| Ok(Issue::from_json(v).filter(|i| i.body.contains(marker))),
            )
            .await?;
        issues.sort_by_key(|i| i.number);
        Ok(issues)
    }

    pub async fn create_issue(
        &self,
        repo: &str,
        title: &str,
        body: &str,
        label: u64,
    ) -> Result<u64, Error> {
        let v = self
            .write(
                Method::POST,
                &format!("/repos/{repo}/issues"),
                &json!({"title": title, "body": body, "labels": [label]}),
            )
            .await?;
        v.get("number").and_then(Value::as_u64).ok_or_else(|| {
            Error::Unreachable(format!(
                "POST /repos/{repo}/issues: no issue number in the answer"
            ))
        })
    }

    pub async fn edit_issue(&self, repo: &str, number: u64, fields: &Value) -> Result<(), Error> {
        self.write(
            Method::PATCH,
            &format!("/repos/{repo}/issues/{number}"),
            fields,
        )
        .await
        .map(|_| ())
    }

    pub async fn comment(&self, repo: &str, number: u64, body: &str) -> Result<(), Error> {
        self.write(
            Method::POST,
            &format!("/repos/{repo}/issues/{number}/comments"),
            &json!({"body": body}),
        )
        .await
        .map(|_| ())
    }

    pub async fn add_label(&self, repo: &str, number: u64, label: u64) -> Result<(), Error> {
        self.write(
            Method::POST,
            &format!("/repos/{repo}/issues/{number}/labels"),
            &json!({"labels": [label]}),
        )
        .await
        .map(|_| ())
    }

    /// Every comment of an issue or pull request, oldest first: `id` and `body`. The forges do
    /// not page this list (`ListIssueComments` reads no page/limit), so it is one request.
    pub async fn issue_comments(
        &self,
        repo: &str,
        number: u64,
    ) -> Result<Vec<(u64, String)>, Error> {
        let path = format!("/repos/{repo}/issues/{number}/comments");
        let what = format!("GET /api/v1{path}");
        let a = self
            .http()
            .get_json(&self.url(&path), &what, ISSUE_HINT)
            .await?;
        let items = a
            .json
            .as_array()
            .ok_or_else(|| Error::Unreachable(format!("{what}: not a list of comments")))?;
        let mut out = items
            .iter()
            .map(|c| Some((c.get("id")?.as_u64()?, c.get("body")?.as_str()?.to_string())))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Error::Unreachable(format!("{what}: an item is not a comment")))?;
        out.sort_by_key(|c| c.0);
        Ok(out)
    }

    /// Posts a comment and answers its id.
    pub async fn create_comment(&self, repo: &str, number: u64, body: &str) -> Result<u64, Error> {
        let v = self
            .write(
                Method::POST,
                &format!("/repos/{repo}/issues/{number}/comments"),
                &json!({"body": body}),
            )
            .await?;
        v.get("id").and_then(Value::as_u64).ok_or_else(|| {
            Error::Unreachable(format!(
                "POST /repos/{repo}/issues/{number}/comments: no comment id in the answer"
            ))
        })
    }

    pub async fn edit_comment(&self, repo: &str, id: u64, body: &str) -> Result<(), Error> {
        self.write(
            Method::PATCH,
            &format!("/repos/{repo}/issues/comments/{id}"),
            &json!({"body": body}),
        )
        .await
        .map(|_| ())
    }

    /// Deletes a comment driftgate itself posted (a twin of a racing run's).
    pub async fn delete_comment(&self, repo: &str, id: u64) -> Result<(), Error> {
        let path = format!("/repos/{repo}/issues/comments/{id}");
        let what = format!("DELETE /api/v1{path}");
        self.http()
            .send_empty(Method::DELETE, &self.url(&path), &what, ISSUE_HINT)
            .await
    }
}
