#!/usr/bin/env python3
"""mkmig check against squawk (issue 10), over squawk's own rule cases and real migrations.

    tests/bench/check_vs_squawk.py --mkmig build-rel/mkmig --squawk PATH/TO/squawk \
        --squawk-repo /work/.mirror/sbdchd+squawk/repo --lemmy-repo /work/.mirror/LemmyNet+lemmy/repo

Both repositories are read with `git --git-dir=... show` into a temporary directory (never into
this repository). Prints two Markdown tables:
  1. per squawk rule: its test cases (those the test expects flagged / clean), how many squawk and
     mkmig flag (mkmig: a finding of the mkmig rules that cover it, see COVER), and the cases where
     they disagree;
  2. the real migrations: statements flagged by each tool, per file alone (squawk's view) and, for
     mkmig, also as one directory read in diesel's order (earlier migrations form the schema).
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile

# squawk rule -> the mkmig rules that report the same hazard (empty: mkmig has no such rule, with
# the reason in WHY_NOT).
COVER = {
    "adding-field-with-default": ["add-column-rewrite"],
    "adding-foreign-key-constraint": ["constraint-validation-scan"],
    "adding-not-nullable-field": ["not-null-scan"],
    "adding-required-field": ["required-column-without-default"],
    "adding-serial-primary-key-field": ["unique-index-build", "add-column-rewrite"],
    "ban-alter-domain-with-add-constraint": ["domain-check-constraint"],
    "ban-char-field": ["ban-char"],
    "ban-concurrent-index-creation-in-transaction": ["concurrently-in-transaction"],
    "ban-create-domain-with-constraint": ["domain-check-constraint"],
    "ban-drop-column": ["drop-column"],
    "ban-drop-database": ["drop-database"],
    "ban-drop-not-null": ["drop-not-null"],
    "ban-drop-table": ["drop-table"],
    "ban-truncate-cascade": ["truncate-cascade"],
    "ban-uncommitted-transaction": ["uncommitted-transaction"],
    "changing-column-type": ["type-change-rewrite"],
    "constraint-missing-not-valid": ["constraint-validation-scan", "validate-in-same-transaction"],
    "disallowed-unique-constraint": ["unique-index-build"],
    "identifier-too-long": ["identifier-too-long"],
    "prefer-bigint-over-int": ["prefer-bigint"],
    "prefer-bigint-over-smallint": ["prefer-bigint"],
    "prefer-identity": ["prefer-identity"],
    "prefer-repack": ["blocking-rewrite"],
    "prefer-robust-stmts": ["concurrent-index-if-not-exists"],
    "prefer-text-field": ["prefer-text"],
    "prefer-timestamptz": ["prefer-timestamptz"],
    "renaming-column": ["rename-column"],
    "renaming-table": ["rename-table"],
    "require-concurrent-index-creation": ["index-blocking-build"],
    "require-concurrent-index-deletion": ["index-blocking-drop"],
    "require-concurrent-partition-detach": ["blocking-statement"],
    "require-concurrent-reindex": ["reindex-blocking"],
    "require-timeout-settings": ["missing-lock-timeout"],
    "require-lock-timeout": ["missing-lock-timeout"],
    "transaction-nesting": ["transaction-nesting"],
    "adding-primary-key-constraint": ["unique-index-build"],
    "require-enum-value-ordering": [],
    "require-table-schema": [],
    "ban-duplicate-column-assignments": [],
    "require-statement-timeout": [],
}
WHY_NOT = {
    "require-enum-value-ordering": "style of ADD VALUE placement, no lock or outage involved",
    "require-table-schema": "opt-in style rule in squawk",
    "ban-duplicate-column-assignments": "an UPDATE error PostgreSQL reports itself",
    "require-statement-timeout": "mkmig sets statement_timeout in its output but does not require it of input",
}

# Rule:: names whose kebab form differs from the id squawk reports.
ALIASES = {"prefer-timestamp-tz": "prefer-timestamptz", "disallow-unique-constraint": "disallowed-unique-constraint"}

CASE_RE = re.compile(r'let\s+sql\s*=\s*r(#*)"(.*?)"\1\s*;(.*?)(?=let\s+sql\s*=|\Z)', re.S)
CALL_RE = re.compile(r'\b(lint_errors|lint_ok|lint_errors_with|lint_ok_with)\s*\(\s*sql\s*,?\s*(?:[^;]*?Rule::(\w+))?', re.S)


def camel_to_kebab(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def git_show(gitdir, path):
    return subprocess.run(["git", "--git-dir", gitdir, "show", "HEAD:" + path], check=True,
                          capture_output=True).stdout


def git_ls(gitdir, prefix):
    out = subprocess.run(["git", "--git-dir", gitdir, "ls-tree", "-r", "--name-only", "HEAD", prefix],
                         check=True, capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if l]


def squawk_cases(gitdir, tmp):
    cases = []
    for path in git_ls(gitdir, "crates/squawk_linter/src/rules/"):
        if not path.endswith(".rs"):
            continue
        text = git_show(gitdir, path).decode()
        default_rule = camel_to_kebab(os.path.basename(path)[:-3].title().replace("_", ""))
        for n, m in enumerate(CASE_RE.finditer(text)):
            call = CALL_RE.search(m.group(3))
            if not call:
                continue
            rule = camel_to_kebab(call.group(2)) if call.group(2) else default_rule.replace("_", "-")
            rule = ALIASES.get(rule, rule)
            expect = "error" if call.group(1).startswith("lint_errors") else "ok"
            f = os.path.join(tmp, "squawk-cases", "%s__%02d.sql" % (rule, n))
            os.makedirs(os.path.dirname(f), exist_ok=True)
            with open(f, "w") as fh:
                fh.write(m.group(2))
            cases.append((rule, expect, f))
    return cases


def run_squawk(squawk, files):
    found = collections.defaultdict(list)
    for i in range(0, len(files), 200):
        r = subprocess.run([squawk, "--reporter", "json"] + files[i:i + 200], capture_output=True, text=True)
        try:
            for v in json.loads(r.stdout or "[]"):
                found[os.path.realpath(v["file"])].append((v["rule_name"], v["line"] + 1))
        except json.JSONDecodeError:
            pass
    return found


def run_mkmig(mkmig, path, extra=()):
    r = subprocess.run([mkmig, "check", "--format", "json", *extra, path], capture_output=True, text=True)
    if r.returncode == 2:
        return None
    return [(v["rule"], v["line"], v["file"]) for v in json.loads(r.stdout)]


def statement_lines(mkmig, path):
    """First and last line of every statement (mkmig parse), to count statements, not findings."""
    r = subprocess.run([mkmig, "parse", path], capture_output=True, text=True)
    spans = []
    with open(path, "rb") as fh:
        data = fh.read()
    for line in r.stdout.splitlines():
        m = re.match(r".*:(\d+):\d+: \[(\d+)\+(\d+)\]", line)
        if m:
            start = int(m.group(2))
            end = start + int(m.group(3))
            spans.append((int(m.group(1)), int(m.group(1)) + data[start:end].count(b"\n")))
    return spans


def stmt_of(spans, line):
    for i, (a, b) in enumerate(spans):
        if a <= line <= b:
            return i
    best = None
    for i, (a, _) in enumerate(spans):
        if a <= line:
            best = i
    return best


def part1(args, tmp):
    cases = squawk_cases(args.squawk_repo, tmp)
    sq = run_squawk(args.squawk, [c[2] for c in cases])
    rows = collections.OrderedDict()
    disagreements = []
    for rule, expect, f in sorted(cases):
        r = rows.setdefault(rule, collections.Counter())
        r["cases"] += 1
        r["expect_" + expect] += 1
        s = any(x[0] == rule for x in sq.get(os.path.realpath(f), []))
        mk = run_mkmig(args.mkmig, f)
        if mk is None:
            r["mkmig_parse_error"] += 1
            continue
        cover = COVER.get(rule, [])
        m = any(x[0] in cover for x in mk)
        r["squawk"] += s
        r["mkmig"] += m
        if s != m:
            r["squawk_only" if s else "mkmig_only"] += 1
            disagreements.append((rule, os.path.basename(f), "squawk" if s else "mkmig", sorted({x[0] for x in mk})))
    print("## squawk's rule cases (%d cases from %d rules)\n" % (len(cases), len(rows)))
    print("| squawk rule | cases (expect flagged / clean) | squawk flags | mkmig flags | only squawk | only mkmig | mkmig cannot parse | mkmig rules |")
    print("|---|---|---|---|---|---|---|---|")
    tot = collections.Counter()
    for rule, r in rows.items():
        tot.update(r)
        cover = ", ".join(COVER.get(rule, [])) or "none: " + WHY_NOT.get(rule, "not covered")
        print("| %s | %d (%d / %d) | %d | %d | %d | %d | %d | %s |" % (
            rule, r["cases"], r["expect_error"], r["expect_ok"], r["squawk"], r["mkmig"], r["squawk_only"],
            r["mkmig_only"], r["mkmig_parse_error"], cover))
    print("| **total** | %d (%d / %d) | %d | %d | %d | %d | %d | |\n" % (
        tot["cases"], tot["expect_error"], tot["expect_ok"], tot["squawk"], tot["mkmig"], tot["squawk_only"],
        tot["mkmig_only"], tot["mkmig_parse_error"]))
    if args.verbose:
        for d in disagreements:
            print("    %s %s: flagged only by %s (mkmig: %s)" % d, file=sys.stderr)


def part2(args, tmp):
    root = os.path.join(tmp, "lemmy")
    files = []
    for p in sorted(git_ls(args.lemmy_repo, "migrations/")):
        if not p.endswith("/up.sql"):
            continue
        dst = os.path.join(root, p)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        with open(dst, "wb") as fh:
            fh.write(git_show(args.lemmy_repo, p))
        files.append(dst)
    sq = run_squawk(args.squawk, files)
    n_stmts = sq_stmts = mk_stmts = both = 0
    mk_fail = 0
    only_sq, only_mk = collections.Counter(), collections.Counter()
    failed = []
    for f in files:
        spans = statement_lines(args.mkmig, f)
        n_stmts += len(spans)
        sq_f = sq.get(os.path.realpath(f), [])
        s = {stmt_of(spans, l) for _, l in sq_f} - {None}
        mk = run_mkmig(args.mkmig, f)
        if mk is None:
            mk_fail += 1
            failed.append(f)
            mk = []
        m = {stmt_of(spans, l) for _, l, _ in mk} - {None}
        for i in s - m:
            only_sq.update({r for r, l in sq_f if stmt_of(spans, l) == i})
        for i in m - s:
            only_mk.update({r for r, l, _ in mk if stmt_of(spans, l) == i})
        sq_stmts += len(s)
        mk_stmts += len(m)
        both += len(s & m)
    # The whole directory in diesel's order, earlier files forming the schema: without the files
    # libpg_query cannot parse (mkmig stops at a bad file, exit 2).
    os.makedirs(os.path.join(root, "unparsable"), exist_ok=True)
    for f in failed:
        d = os.path.dirname(f)
        os.rename(d, os.path.join(root, "unparsable", os.path.basename(d)))
    mkdir = run_mkmig(args.mkmig, os.path.join(root, "migrations"))
    dir_stmts = len({(x[2], x[1]) for x in mkdir}) if mkdir is not None else None
    print("## LemmyNet/lemmy migrations (%d up.sql files, %d statements)\n" % (len(files), n_stmts))
    print("| | statements flagged |")
    print("|---|---|")
    print("| squawk (each file alone) | %d |" % sq_stmts)
    print("| mkmig check (each file alone, no schema) | %d (%d files mkmig cannot parse) |" % (mk_stmts, mk_fail))
    print("| flagged by both | %d |" % both)
    print("| flagged only by squawk | %d (its rules there: %s) |" % (sq_stmts - both, ", ".join("%s %d" % x for x in only_sq.most_common())))
    print("| flagged only by mkmig | %d (its rules there: %s) |" % (mk_stmts - both, ", ".join("%s %d" % x for x in only_mk.most_common())))
    if dir_stmts is None:
        print("| mkmig check migrations/ (diesel order, earlier files form the schema) | failed |")
    else:
        print("| mkmig check migrations/ (diesel order, earlier files form the schema; %d unparsable files left out) "
              "| %d statement lines flagged (%s) |" % (len(failed), dir_stmts, ", ".join(
                  "%s %d" % x for x in collections.Counter(x[0] for x in mkdir).most_common(6))))
    print()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mkmig", required=True)
    ap.add_argument("--squawk", required=True)
    ap.add_argument("--squawk-repo", required=True)
    ap.add_argument("--lemmy-repo")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    args.mkmig = os.path.realpath(args.mkmig)
    with tempfile.TemporaryDirectory() as tmp:
        part1(args, tmp)
        if args.lemmy_repo:
            part2(args, tmp)


if __name__ == "__main__":
    main()
