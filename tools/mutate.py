#!/usr/bin/env python3
"""make mutate: how many one-token changes to the portable core and the boot, otadata and
flash models do the unit tests catch?

Each mutant changes one token on one line (a comparison flipped or widened, && <-> ||,
a negation removed, an off-by-one constant, true <-> false). The mutants are chosen
from every candidate in the files below, spread evenly over each file (the same list on
every run of the same sources). Each is applied in a scratch copy of the repository
(never in the work tree), the unit tests of the room it belongs to are rebuilt
(incremental: only the mutated file and the test binaries relink; no sanitizers) and
run with a time limit. A mutant is *killed* when a test fails or times out, *survives*
when every test passes, and does not count when it does not compile.

    tools/mutate.py [--per-file N] [--only SUBSTRING] [--keep]

Prints one line per surviving mutant (file:line, the change, the line) and ends with
"killed K of M (P %)". Not part of make test (it takes minutes).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CORE = "components/softap_ota/core"

# (glob-ish prefix of the mutated file, unit tests that cover it)
ROOMS = [
    (CORE + "/", "test_core_"),
    ("host/boot/", "test_boot_"),
    ("host/otadata/", "test_otadata_ test_boot_"),
    ("host/flash/", "test_flash_ test_core_update test_boot_"),
]

# one-token changes: (regex on a code token, replacement, kind)
OPS = [
    (r"(?<![<>=!&|+\-*/%^])==(?!=)", "!=", "== -> !="),
    (r"!=", "==", "!= -> =="),
    (r"(?<![<>-])<=", "<", "<= -> <"),
    (r"(?<![<>-])>=", ">", ">= -> >"),
    (r"(?<![<>\-])<(?![<=])", "<=", "< -> <="),
    (r"(?<![<>\-])>(?![>=])", ">=", "> -> >="),
    (r"&&", "||", "&& -> ||"),
    (r"\|\|", "&&", "|| -> &&"),
    (r"(?<=[(\s])!(?=[A-Za-z_(])", "", "remove !"),
    (r"(?<=[\s(\[,])1u?(?=[\s);\],])", "0", "1 -> 0"),
    (r"(?<=[\s(\[,])0(?=[\s);\],])", "1", "0 -> 1"),
    (r"\+ 1\b", "+ 2", "+ 1 -> + 2"),
    (r"- 1\b", "- 0", "- 1 -> - 0"),
    (r"\btrue\b", "false", "true -> false"),
    (r"\bfalse\b", "true", "false -> true"),
]


def targets(root=ROOT):
    files = []
    for d in (CORE, "host/boot", "host/otadata", "host/flash"):
        for name in sorted(os.listdir(os.path.join(root, d))):
            if name.endswith(".c"):
                files.append(d + "/" + name)
    return files


def code_lines(text):
    """(line number, line) of lines that are code: not comments, preprocessor, strings
    only, or declarations of tables."""
    out = []
    in_comment = False
    for i, line in enumerate(text.split("\n"), 1):
        s = line.strip()
        if in_comment:
            if "*/" in s:
                in_comment = False
            continue
        if s.startswith("/*"):
            in_comment = "*/" not in s
            continue
        if not s or s.startswith("#") or s.startswith("//") or s.startswith("*") or s.startswith('"'):
            continue
        out.append((i, line))
    return out


def strip_strings(line):
    """The line with string and char literals and trailing comments blanked (same length)."""
    res = re.sub(r'"(\\.|[^"\\])*"', lambda m: " " * len(m.group(0)), line)
    res = re.sub(r"'(\\.|[^'\\])*'", lambda m: " " * len(m.group(0)), res)
    k = res.find("/*")
    if k >= 0:
        res = res[:k] + " " * (len(res) - k)
    k = res.find("//")
    if k >= 0:
        res = res[:k] + " " * (len(res) - k)
    return res


def candidates(root, path):
    text = open(os.path.join(root, path)).read()
    cands = []
    for ln, line in code_lines(text):
        bare = strip_strings(line)
        for rx, rep, kind in OPS:
            for m in re.finditer(rx, bare):
                a, b = m.start(), m.end()
                cands.append((ln, a, b, rep, kind, line))
    return text, cands


def pick(cands, n):
    if len(cands) <= n:
        return cands
    step = len(cands) / n
    return [cands[int(i * step)] for i in range(n)]


def tests_for(path, built):
    for prefix, pats in ROOMS:
        if path.startswith(prefix):
            want = pats.split()
            return [t for t in built if any(t == p or t.startswith(p) for p in want)]
    return []


def run(cmd, cwd, timeout):
    try:
        p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout)
        return p.returncode
    except subprocess.TimeoutExpired:
        return -9


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-file", type=int, default=6, help="mutants per file (default 6)")
    ap.add_argument("--only", default="", help="mutate only files whose path contains this")
    ap.add_argument("--keep", action="store_true", help="keep the scratch copy")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repo", default=ROOT, help="the tree to copy and mutate (default: this one)")
    a = ap.parse_args()

    scratch = tempfile.mkdtemp(prefix="sota-mutate-")
    src = os.path.join(scratch, "src")
    root = os.path.abspath(a.repo)
    shutil.copytree(root, src, ignore=shutil.ignore_patterns("build", ".git", "node_modules"))
    bld = os.path.join(scratch, "build")
    testdata = os.path.abspath(os.path.join(root, "..", "shared", "testdata"))
    testdata = os.environ.get("SOTA_TESTDATA", testdata)
    print("scratch copy: %s" % scratch, flush=True)
    if run(["cmake", "-S", os.path.join(src, "host"), "-B", bld, "-Wno-dev",
            "-DCMAKE_BUILD_TYPE=Debug", "-DSOTA_SANITIZE=OFF", "-DSOTA_TESTS=ON",
            "-DSOTA_TESTDATA=" + testdata], scratch, 600) != 0:
        print("cmake configure failed in %s" % bld)
        return 2
    all_tests = sorted(os.path.basename(f)[:-2] for f in os.listdir(os.path.join(src, "tests/unit"))
                       if f.startswith("test_") and f.endswith(".c"))
    # the tests that count: one baseline build and run, all must pass unmutated
    used = sorted({t for f in targets(root) for t in tests_for(f, all_tests)})
    if run(["cmake", "--build", bld, "-j", str(a.jobs), "--target"] + used, scratch, 1800) != 0:
        print("baseline build failed")
        return 2
    for t in used:
        if run([os.path.join(bld, t)], bld, 300) != 0:
            print("baseline: %s fails without any mutation; fix that first" % t)
            return 2

    killed = total = invalid = 0
    survivors = []
    for path in targets(root):
        if a.only and a.only not in path:
            continue
        text, cands = candidates(src, path)
        tests = tests_for(path, all_tests)
        full = os.path.join(src, path)
        for ln, s, e, rep, kind, line in pick(cands, a.per_file):
            lines = text.split("\n")
            lines[ln - 1] = line[:s] + rep + line[e:]
            with open(full, "w") as f:
                f.write("\n".join(lines))
            try:
                if run(["cmake", "--build", bld, "-j", str(a.jobs), "--target"] + tests, scratch, 900) != 0:
                    invalid += 1
                    continue
                total += 1
                dead = any(run([os.path.join(bld, t)], bld, 120) != 0 for t in tests)
                if dead:
                    killed += 1
                else:
                    survivors.append("%s:%d  %s  | %s" % (path, ln, kind, line.strip()))
                    print("SURVIVED %s" % survivors[-1], flush=True)
            finally:
                with open(full, "w") as f:
                    f.write(text)
    # leave the build consistent with the sources (not needed, but cheap)
    if not a.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    pct = 100.0 * killed / total if total else 0.0
    print("mutants that did not compile: %d" % invalid)
    print("killed %d of %d (%.0f %%)" % (killed, total, pct))
    return 0


if __name__ == "__main__":
    sys.exit(main())
