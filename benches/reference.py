#!/usr/bin/env python3
"""The naive approach teams write today, as the reference driftgate's bench runs side by side.

    reference.py ROOT PROTECTION_FILE [--parse-only]

Loads every workflow under ROOT/.gitea/workflows and ROOT/.github/workflows with PyYAML's C
loader, expands each job's matrix (product, exclude, include), names the contexts as Gitea does
("<workflow> / <job> (<event>)", a matrix suffix "(v1, v2)" when the name has no expression),
and compares them with the required contexts of the first rule in the protection file (fnmatch
for globs). Prints one JSON line: files, contexts, required, missing. With --parse-only it only
loads the files (what the YAML layer alone costs).

No forge release rules, no hostile-input caps, no conditions: this is the baseline's cost, not
its correctness.
"""

import fnmatch
import itertools
import json
import os
import re
import sys

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
EXPR = re.compile(r"\$\{\{\s*matrix\.([A-Za-z0-9_-]+)\s*\}\}")


def workflow_files(root):
    for folder in (".gitea/workflows", ".github/workflows"):
        base = os.path.join(root, folder)
        if not os.path.isdir(base):
            continue
        for dirpath, _dirs, files in os.walk(base):
            for f in sorted(files):
                if f.endswith((".yml", ".yaml")):
                    yield os.path.join(dirpath, f)
        return


def legs(strategy):
    matrix = (strategy or {}).get("matrix") or {}
    if not isinstance(matrix, dict):
        return [{}]
    include = matrix.get("include") or []
    exclude = matrix.get("exclude") or []
    axes = [(k, v) for k, v in matrix.items() if k not in ("include", "exclude") and isinstance(v, list)]
    out = []
    for combo in itertools.product(*[v for _, v in axes]):
        leg = dict(zip([k for k, _ in axes], combo))
        if any(all(leg.get(k) == v for k, v in e.items()) for e in exclude):
            continue
        out.append(leg)
    for inc in include:
        matched = False
        for leg in out:
            if all(leg.get(k) == v for k, v in inc.items() if k in dict(axes)):
                leg.update(inc)
                matched = True
        if not matched:
            out.append(dict(inc))
    return out or [{}]


def printed(v):
    if v is True:
        return "true"
    if v is False:
        return "false"
    return str(v)


def job_names(job_id, job):
    name = job.get("name") or job_id
    out = []
    for leg in legs(job.get("strategy")):
        if not leg:
            out.append(name)
        elif "${{" in name:
            out.append(EXPR.sub(lambda m: printed(leg.get(m.group(1), "")), name))
        else:
            out.append("%s (%s)" % (name, ", ".join(printed(v) for v in leg.values())))
    return out


def events(on):
    if isinstance(on, str):
        return [on]
    if isinstance(on, list):
        return on
    if isinstance(on, dict):
        return list(on.keys())
    return []


def main():
    root, protection = sys.argv[1], sys.argv[2]
    parse_only = "--parse-only" in sys.argv[3:]
    contexts = set()
    files = 0
    for path in workflow_files(root):
        with open(path, "rb") as f:
            doc = yaml.load(f, Loader=LOADER)
        files += 1
        if parse_only or not isinstance(doc, dict):
            continue
        wf = doc.get("name") or os.path.basename(path)
        # PyYAML reads the key `on` as True.
        on = doc.get("on", doc.get(True))
        evs = [e for e in events(on) if e in ("push", "pull_request", "pull_request_target")]
        for job_id, job in (doc.get("jobs") or {}).items():
            if not isinstance(job, dict):
                continue
            for jn in job_names(job_id, job):
                for ev in evs:
                    contexts.add("%s / %s (%s)" % (wf, jn, ev))
    with open(protection) as f:
        rules = json.load(f)
    required = rules[0].get("status_check_contexts") or [] if rules else []
    missing = []
    if not parse_only:
        for r in required:
            if any(c in r for c in "*?["):
                if not fnmatch.filter(contexts, r):
                    missing.append(r)
            elif r not in contexts:
                missing.append(r)
    print(json.dumps({"files": files, "contexts": len(contexts), "required": len(required), "missing": len(missing)}))


if __name__ == "__main__":
    main()
