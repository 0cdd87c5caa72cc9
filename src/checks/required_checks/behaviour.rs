//! What a given forge release does when it names status contexts. Each switch cites the change
//! that introduced it; see the README's "Forge behaviour" table.

use crate::forge::version::{Flavor, Version};

/// The newest releases whose behaviour driftgate models; the default when the server is not asked.
pub const NEWEST_GITEA: Version = Version::new(1, 27);
pub const NEWEST_FORGEJO: Version = Version::new(15, 0);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatrixNaming {
    /// Gitea ≤ 1.22: always `name (v1, v2)`, names never interpolated.
    AlwaysSuffix,
    /// Gitea 1.23+: suffix unless the name holds `${{ }}` (then interpolated, no suffix);
    /// a job without matrix keeps its name raw.
    SuffixUnlessExpression,
    /// Forgejo: suffix only when the job has no `name:`; any name is interpolated.
    SuffixOnlyWithoutName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reusable {
    /// One status for the caller job (Gitea ≤ 1.26, Forgejo < 15).
    CallerOnly,
    /// Gitea 1.27 (#37478): the caller plus one status per called job, whose workflow part is
    /// the called workflow's `name:`.
    CallerAndCalleeJobs,
    /// Forgejo 15 (#10525): when the caller has no `runs-on`, the called jobs post under the
    /// caller's workflow name; the caller itself ends `skipped`.
    InlineWithoutRunsOn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Behaviour {
    pub flavor: Flavor,
    pub version: Version,
    pub matrix_naming: MatrixNaming,
    /// Gitea ≥ 1.28 (#37834): a missing or blank `name:` becomes the file name.
    pub missing_name_is_file_name: bool,
    /// Gitea ≥ 1.23 (#31703) and Forgejo post `(pull_request_target)`; older Gitea
    /// `(pull_request)` for those runs.
    pub pull_request_target_event: bool,
    /// Gitea ≤ 1.26 cannot decode an expression-valued matrix and runs one leg without suffix.
    pub dynamic_matrix_is_one_leg: bool,
    /// A matrix whose legs are all excluded: Gitea runs one leg, the Forgejo runner none.
    pub empty_matrix_runs_once: bool,
    pub reusable: Reusable,
    /// Gitea ≥ 1.24 (#32984) cuts a job name over 255 bytes with `util.EllipsisDisplayString`,
    /// which counts display width (a rune up to U+00FF is 1, most others 2), not bytes; Forgejo
    /// and older Gitea cut at 252 bytes (`util.SplitStringAtByteN`).
    pub job_name_cut_by_width: bool,
    /// Gitea ≥ 1.27 (#38237, #38371): workflows filtered out by `paths`/`branches` post
    /// `skipped` for contexts that a protection rule requires.
    pub filtered_posts_skipped: bool,
}

impl Behaviour {
    pub fn new(flavor: Flavor, version: Version) -> Behaviour {
        let v = |major, minor| version >= Version::new(major, minor);
        match flavor {
            Flavor::Gitea => Behaviour {
                flavor,
                version,
                matrix_naming: if v(1, 23) {
                    MatrixNaming::SuffixUnlessExpression
                } else {
                    MatrixNaming::AlwaysSuffix
                },
                missing_name_is_file_name: v(1, 28),
                pull_request_target_event: v(1, 23),
                dynamic_matrix_is_one_leg: !v(1, 27),
                empty_matrix_runs_once: true,
                reusable: if v(1, 27) {
                    Reusable::CallerAndCalleeJobs
                } else {
                    Reusable::CallerOnly
                },
                job_name_cut_by_width: v(1, 24),
                filtered_posts_skipped: v(1, 27),
            },
            Flavor::Forgejo => Behaviour {
                flavor,
                version,
                matrix_naming: MatrixNaming::SuffixOnlyWithoutName,
                missing_name_is_file_name: false,
                pull_request_target_event: true,
                dynamic_matrix_is_one_leg: false,
                empty_matrix_runs_once: false,
                reusable: if v(15, 0) {
                    Reusable::InlineWithoutRunsOn
                } else {
                    Reusable::CallerOnly
                },
                job_name_cut_by_width: false,
                filtered_posts_skipped: false,
            },
        }
    }

    pub fn newest(flavor: Flavor) -> Behaviour {
        Behaviour::new(
            flavor,
            match flavor {
                Flavor::Gitea => NEWEST_GITEA,
                Flavor::Forgejo => NEWEST_FORGEJO,
            },
        )
    }
}
