#!/usr/bin/env python3
"""Counts the checks the tests make, per file: assertion macros (`assert!`, `assert_eq!`,
`assert_ne!`, `prop_assert*!`) and the harness calls that assert an answer (`.ok(`: code 0,
`.fails(`: a given code and status), at their call sites in tests/*.rs, tests/*/*.rs (common/ and the tests split into modules) and
shared/tests/*.rs (unit tests inside the crates are not counted), and each expected code in a
row of a table of rules (`(Call, [0, 0, 303, 303]),`: four checks, one per role), each row of a
table of refusals (`(body, 101, 400),`: the code and status one call must get), and each call
of a typed endpoint method of tests/common/api/ (it asserts success as `.ok(` does; the methods'
own bodies there are not counted). A baseline for reshaping the suite: a rule moved into a table
or a call folded into a typed method must keep its check.

    python3 tests/count_checks.py          # the table and the total
"""
import glob
import os
import re

# `.ok(` with arguments: the harness's call, not `Result::ok()`.
CHECK = re.compile(r"\b(?:prop_)?assert(?:_eq|_ne)?!|\.ok\((?!\))|\.fails\(")
# A row of a table of rules: a name and the code each role gets.
RULE = re.compile(r"^\s*\(\w+,\s*\[([0-9,\s]+)\]\),\s*$", re.M)
# A row of a table of refusals, ending in the code and the HTTP status it must get:
# `(body, 101, 400),`.
REFUSAL = re.compile(r",\s*[1-9][0-9]{2},\s*[1-5][0-9]{2}\),?\s*$", re.M)

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The typed endpoint methods (tests/common/api/*.rs): a call of one is a check.
api = sorted({name for path in glob.glob(f"{root}/tests/common/api/*.rs")
              for name in re.findall(r"^\s*pub async fn (\w+)", open(path, encoding="utf-8").read(), re.M)})
API_CALL = re.compile(r"\.(?:%s)\(" % "|".join(map(re.escape, api))) if api else None
files = sorted(glob.glob(f"{root}/tests/*.rs") + glob.glob(f"{root}/tests/*/*.rs")
               + glob.glob(f"{root}/shared/tests/*.rs"))
total = 0
for path in files:
    text = open(path, encoding="utf-8").read()
    count = len(CHECK.findall(text))
    if API_CALL:
        count += len(API_CALL.findall(text))
    count += sum(len(row.split(",")) for row in RULE.findall(text))
    count += len(REFUSAL.findall(text))
    total += count
    print(f"{count:6}  {os.path.relpath(path, root)}")
print(f"{total:6}  checks in {len(files)} files")
