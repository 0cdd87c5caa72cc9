//! What a given forge release does when it names status contexts, read at the release tags.
//! Each switch cites the change that introduced it and where it lives; the README's "Which
//! contexts the forge posts" table and `tests/contexts_table.rs` (one row per rule and release)
//! say the same.

use crate::forge::version::{self, Flavor, Version};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatrixNaming {
    /// Gitea 1.22 (act v0.259.1 `nameWithMatrix`): always `name (v1, v2)`, names never interpolated.
    AlwaysSuffix,
    /// Gitea 1.23–1.27 (act PR #106, v0.261.1+): suffix unless the name holds both `${{` and
    /// `}}` (then interpolated, no suffix); a job without matrix keeps its name raw.
    SuffixUnlessExpression,
    /// Forgejo (runner `act/jobparser` `Parse`): suffix only when the job has no `name:`; a
    /// `name:` is always interpolated, matrix or not.
    SuffixOnlyWithoutName,
}

/// How `strategy.matrix` is decoded (`model.(*Job).Matrix()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatrixDecode {
    /// Into `map[string][]interface{}`: a value that is not a list leaves the job without matrix
    /// (Gitea ≤ 1.26 act, every Forgejo runner).
    Strict,
    /// Into `map[string]interface{}`, scalars wrapped into one-value lists (Gitea 1.27,
    /// gitea/runner v1.0.8 `normalizeMatrixValue`).
    Flexible,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reusable {
    /// One status for the caller job only (Gitea ≤ 1.26, Forgejo ≤ 14).
    CallerOnly,
    /// Gitea 1.27 (#37478, `services/actions/reusable_workflow.go` `insertCallerChildren`): the
    /// caller posts its own (aggregated) status, and each called job posts under the called
    /// workflow's `name:`, or, when that is blank, the CALLER's file name
    /// (`WorkflowDisplayName(run.WorkflowID, …)`). Children are inserted only when the caller
    /// becomes ready: a caller skipped by `if:` or a failed need leaves them missing.
    CallerAndChildren,
    /// Forgejo ≥ 15 (#10525, `services/actions/reusable_workflows.go` `expandForJob`): a caller
    /// without `runs-on` is expanded; its jobs post under the caller's workflow name after all
    /// the caller's own jobs, and take part in de-duplication. The caller keeps its own status
    /// (success/failure from its children).
    InlineWithoutRunsOn,
}

/// How the workflow part of a context is made from `name:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkflowName {
    /// `name:` as written, untrimmed; missing or blank gives an empty part (`/ job (push)`)
    /// (Forgejo, Gitea ≤ 1.26: `createCommitStatus` `runName := wfs[0].Name`).
    AsWritten,
    /// Gitea ≥ 1.27 (#37834, `WorkflowDisplayName`): `name:` trimmed, and the file's base name
    /// when that is empty.
    TrimmedOrFileName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Behaviour {
    pub flavor: Flavor,
    pub version: Version,
    pub matrix_naming: MatrixNaming,
    pub matrix_decode: MatrixDecode,
    /// Forgejo evaluates `${{ }}` inside `strategy.matrix` before expanding it
    /// (`EvaluateYamlNode(&job.Strategy.RawMatrix)`); Gitea never does (the text is a value).
    pub matrix_evaluated: bool,
    /// A matrix whose legs are all excluded: Gitea's act runs one leg without values
    /// (`if len(matrixes) == 0`), the Forgejo runner none.
    pub empty_matrix_runs_once: bool,
    pub workflow_name: WorkflowName,
    /// Gitea ≥ 1.23 (#31703) and Forgejo post `(pull_request_target)`; older Gitea
    /// `(pull_request)` for those runs.
    pub pull_request_target_event: bool,
    /// Gitea ≥ 1.26 (#36589, `getCommitStatusEventNameAndCommitID`) posts
    /// `(pull_request_review)` and `(pull_request_review_comment)` contexts on the head commit.
    pub review_events: bool,
    pub reusable: Reusable,
    /// Gitea ≥ 1.24 (#32984) cuts a job name over 255 bytes with `util.EllipsisDisplayString`,
    /// which counts display width; Forgejo and older Gitea cut at 252 bytes
    /// (`util.SplitStringAtByteN`).
    pub job_name_cut_by_width: bool,
    /// Gitea ≥ 1.27 (#38237, #38371; `handleFilteredWorkflows`): a push or pull request that a
    /// workflow's `branches`/`tags`/`paths` filters leave out posts `skipped` for its contexts
    /// that match a required pattern.
    pub filtered_posts_skipped: bool,
    /// Forgejo ≥ 11.0.4, 12.0.2, 13 (#8864, #8883, #8884; `JobParser`): the second job of a
    /// workflow with a name already taken becomes `name-1`, the third `name-2`, counted per
    /// original name in parse order.
    pub dedupe_job_names: bool,
    /// Contexts that are empty when a run is created, so `${{ }}` in a job name reads them as
    /// null: `github` where no git context is passed (Gitea ≤ 1.24, Forgejo ≤ 15), `needs` (no
    /// results yet, Gitea), `inputs` (none for push and pull request events).
    pub empty_contexts: &'static [&'static str],
    /// Gitea ≥ 1.27 (#38154): owner- and instance-level scoped workflows post contexts that no
    /// file of the repository shows, and no API lists.
    pub scoped_workflows: bool,
    /// A skipped job posts the state `skipped` (Gitea ≥ 1.25 #34507, Forgejo ≥ 16 #12606) rather
    /// than `success` with "Has been skipped"; both count as passing.
    pub skipped_state: bool,
}

impl Behaviour {
    pub fn new(flavor: Flavor, version: Version) -> Behaviour {
        let v = |major, minor| version >= Version::new(major, minor).line_start();
        match flavor {
            Flavor::Gitea => Behaviour {
                flavor,
                version,
                matrix_naming: if v(1, 23) {
                    MatrixNaming::SuffixUnlessExpression
                } else {
                    MatrixNaming::AlwaysSuffix
                },
                matrix_decode: if v(1, 27) {
                    MatrixDecode::Flexible
                } else {
                    MatrixDecode::Strict
                },
                matrix_evaluated: false,
                empty_matrix_runs_once: true,
                workflow_name: if v(1, 27) {
                    WorkflowName::TrimmedOrFileName
                } else {
                    WorkflowName::AsWritten
                },
                pull_request_target_event: v(1, 23),
                review_events: v(1, 26),
                reusable: if v(1, 27) {
                    Reusable::CallerAndChildren
                } else {
                    Reusable::CallerOnly
                },
                job_name_cut_by_width: v(1, 24),
                filtered_posts_skipped: v(1, 27),
                dedupe_job_names: false,
                empty_contexts: if v(1, 25) {
                    &["needs", "inputs"]
                } else {
                    &["github", "needs", "inputs"]
                },
                scoped_workflows: v(1, 27),
                skipped_state: v(1, 25),
            },
            Flavor::Forgejo => Behaviour {
                flavor,
                version,
                matrix_naming: MatrixNaming::SuffixOnlyWithoutName,
                matrix_decode: MatrixDecode::Strict,
                matrix_evaluated: true,
                empty_matrix_runs_once: false,
                workflow_name: WorkflowName::AsWritten,
                pull_request_target_event: true,
                review_events: false,
                reusable: if v(15, 0) {
                    Reusable::InlineWithoutRunsOn
                } else {
                    Reusable::CallerOnly
                },
                job_name_cut_by_width: false,
                filtered_posts_skipped: false,
                dedupe_job_names: version.at_least(13, 0, 0)
                    || (version.line() == Version::new(12, 0) && version.at_least(12, 0, 2))
                    || (version.line() == Version::new(11, 0) && version.at_least(11, 0, 4)),
                empty_contexts: if v(16, 0) {
                    &["inputs"]
                } else {
                    &["github", "inputs"]
                },
                scoped_workflows: false,
                skipped_state: v(16, 0),
            },
        }
    }

    /// The rules of the newest modelled release of a flavor.
    pub fn newest(flavor: Flavor) -> Behaviour {
        Behaviour::new(flavor, version::newest(flavor))
    }
}

impl Version {
    /// The first release of this version's line (`X.Y.0`), for "from release X.Y on".
    const fn line_start(self) -> Version {
        Version::patch(self.major, self.minor, 0)
    }
}
