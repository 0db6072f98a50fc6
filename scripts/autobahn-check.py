#!/usr/bin/env python3
"""Compare an Autobahn (kosoku) run with the expectations committed in autobahn/.

    scripts/autobahn-check.py --label server \
        --expected autobahn/expected-server.json target/autobahn/server/index.json
    scripts/autobahn-check.py ... --update     # record the latest results

The run's index.json is {agent: {case: {behavior, behaviorClose, reportfile, ...}}}.
The expectations file is {case: {behavior, behaviorClose}}.

Exit status: 0 when no case does worse than expected, 1 on any regression
(a worse behavior or close verdict, or a missing case), 2 on bad input.
Improvements are printed so that they can be recorded with --update.

Ranking: OK > INFORMATIONAL > NON-STRICT > UNIMPLEMENTED > FAILED > missing.
INFORMATIONAL is as good as OK only where it is the expected verdict; where OK
is expected, INFORMATIONAL (and NON-STRICT) count as regressions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter

BEHAVIOR_RANK = {
    "OK": 5,
    "INFORMATIONAL": 4,
    "NON-STRICT": 3,
    "UNIMPLEMENTED": 2,
    "FAILED": 1,
    "ERROR": 0,
    "MISSING": -1,
}
CLOSE_RANK = {
    "OK": 5,
    "INFORMATIONAL": 4,
    "NON-STRICT": 3,
    "WRONG CODE": 2,
    "UNCLEAN": 2,
    "FAILED BY CLIENT": 1,
    "FAILED": 1,
    "MISSING": -1,
}
ORDER = ["OK", "INFORMATIONAL", "NON-STRICT", "UNIMPLEMENTED", "FAILED", "ERROR"]
# Most regressions and gaps printed in detail; the rest are counted.
DETAIL_LIMIT = 60


def case_key(case: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in case.split("."))


def rank(table: dict[str, int], got: str, expected: str) -> int:
    """Rank of `got`; INFORMATIONAL ranks with OK only where it is expected."""
    if got == expected:
        return table.get("OK", 5) if got == "INFORMATIONAL" else table.get(got, 0)
    return table.get(got, 0)


def expected_rank(table: dict[str, int], expected: str) -> int:
    return table["OK"] if expected == "INFORMATIONAL" else table.get(expected, 0)


def load_results(path: str, agent: str | None) -> tuple[str, dict[str, dict]]:
    with open(path, encoding="utf-8") as f:
        index = json.load(f)
    if agent is None:
        if len(index) != 1:
            sys.exit(f"{path}: {len(index)} agents {sorted(index)}; pass --agent")
        agent = next(iter(index))
    if agent not in index:
        sys.exit(f"{path}: no agent {agent!r} (have {sorted(index)})")
    return agent, index[agent]


def summary(cases: dict[str, dict]) -> str:
    """'N OK, N INFORMATIONAL, ...'; ERROR, other labels and bad closes only when present."""
    counts = Counter(c["behavior"] for c in cases.values())
    parts = [f"{counts.pop(k, 0)} {k}" for k in ORDER if k != "ERROR" or counts[k]]
    parts += [f"{n} {k}" for k, n in sorted(counts.items()) if k != "ERROR"]
    bad_close = sum(
        1 for c in cases.values() if c["behaviorClose"] not in ("OK", "INFORMATIONAL")
    )
    if bad_close:
        parts.append(f"{bad_close} close not OK")
    return ", ".join(parts)


def report_lines(outdir: str, case: dict) -> list[str]:
    """The key lines of a case's report file: what was expected, what happened."""
    name = case.get("reportfile")
    if not name:
        return []
    try:
        with open(os.path.join(outdir, name), encoding="utf-8") as f:
            rep = json.load(f)
    except (OSError, ValueError):
        return []
    lines = [f"result: {rep.get('result', '')}"]
    if rep.get("behaviorClose") not in ("OK", None):
        lines.append(f"close: {rep.get('resultClose', '')}")
        lines.append(
            f"close codes: local {rep.get('localCloseCode')} remote {rep.get('remoteCloseCode')}"
            f"; wasClean {rep.get('wasClean')} ({rep.get('wasNotCleanReason')})"
        )
    return [line[:300] for line in lines]


def verdict(case: dict | None) -> tuple[str, str]:
    if case is None:
        return "MISSING", "MISSING"
    return case["behavior"], case["behaviorClose"]


def compare(expected: dict, results: dict) -> tuple[list, list]:
    """Return (regressions, improvements) as (case, got, expected) tuples."""
    regressions, improvements = [], []
    for case in sorted(set(expected) | set(results), key=case_key):
        exp = expected.get(case)
        got = verdict(results.get(case))
        if exp is None:
            improvements.append((case, got, ("(new case)", "")))
            continue
        want = (exp["behavior"], exp["behaviorClose"])
        if got == want:
            continue
        worse = rank(BEHAVIOR_RANK, got[0], want[0]) < expected_rank(BEHAVIOR_RANK, want[0])
        worse |= rank(CLOSE_RANK, got[1], want[1]) < expected_rank(CLOSE_RANK, want[1])
        (regressions if worse else improvements).append((case, got, want))
    return regressions, improvements


def write_expected(path: str, results: dict[str, dict]) -> None:
    """One case per line, in case order, so that a change is a readable diff."""
    rows = [
        f'  "{case}": {{"behavior": "{c["behavior"]}", "behaviorClose": "{c["behaviorClose"]}"}}'
        for case, c in sorted(results.items(), key=lambda kv: case_key(kv[0]))
    ]
    with open(path, "w", encoding="utf-8") as f:
        f.write("{\n" + ",\n".join(rows) + "\n}\n")


def print_cases(title: str, rows: list, results: dict, outdir: str) -> None:
    print(f"  {title}:")
    for case, got, want in rows[:DETAIL_LIMIT]:
        print(f"    {case:<10} {got[0]} / {got[1]}   (expected {want[0]} / {want[1]})")
        for line in report_lines(outdir, results.get(case, {})):
            print(f"               {line}")
    if len(rows) > DETAIL_LIMIT:
        print(f"    ... and {len(rows) - DETAIL_LIMIT} more")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("index", help="OUTDIR/index.json of the run")
    ap.add_argument("--expected", required=True, help="expectations file (JSON)")
    ap.add_argument("--label", required=True, help="run name for the summary line")
    ap.add_argument("--agent", help="agent in index.json (default: the only one)")
    ap.add_argument("--update", action="store_true", help="rewrite the expectations")
    ap.add_argument(
        "--partial",
        action="store_true",
        help="a run of selected cases: ignore expected cases it did not run",
    )
    args = ap.parse_args()

    if not os.path.exists(args.index):
        print(f"autobahn {args.label}: no results ({args.index} missing)")
        return 1
    agent, results = load_results(args.index, args.agent)
    outdir = os.path.dirname(args.index)
    if args.update and args.partial:
        print("--update needs a full run (no case selection)")
        return 2
    if args.update:
        write_expected(args.expected, results)
        print(
            f"autobahn {args.label}: {len(results)} cases: {summary(results)} "
            f"(recorded in {args.expected})"
        )
        return 0
    if not os.path.exists(args.expected):
        print(f"autobahn {args.label}: {len(results)} cases: {summary(results)}")
        print(f"  no expectations at {args.expected}: record them with --update")
        return 1
    with open(args.expected, encoding="utf-8") as f:
        expected = json.load(f)
    if args.partial:
        expected = {case: e for case, e in expected.items() if case in results}

    print(
        f"autobahn {args.label}: {len(results)} cases: {summary(results)} "
        f"(expected: {summary(expected)})"
    )
    print(f"  agent {agent!r}, reports in {outdir}/index.html")
    gaps = [
        (case, verdict(c), verdict(expected.get(case)))
        for case, c in sorted(results.items(), key=lambda kv: case_key(kv[0]))
        if c["behavior"] not in ("OK", "INFORMATIONAL")
        or c["behaviorClose"] not in ("OK", "INFORMATIONAL")
    ]
    regressions, improvements = compare(expected, results)
    known = [g for g in gaps if g[0] not in {r[0] for r in regressions}]
    unimplemented = [g for g in known if g[1][0] == "UNIMPLEMENTED"]
    known = [g for g in known if g[1][0] != "UNIMPLEMENTED"]
    if unimplemented:
        sections = sorted({g[0].split(".")[0] for g in unimplemented}, key=int)
        print(
            f"  {len(unimplemented)} UNIMPLEMENTED as expected, in sections "
            f"{', '.join(sections)} (by design: e.g. no permessage-deflate offered)"
        )
    if known:
        print_cases(f"{len(known)} known gaps (not OK, as expected)", known, results, outdir)
    if improvements:
        print_cases(
            f"{len(improvements)} improvements: record them with "
            f"`AUTOBAHN_UPDATE=1 bash scripts/autobahn {args.label}`",
            improvements,
            results,
            outdir,
        )
    if regressions:
        print_cases(f"{len(regressions)} REGRESSIONS", regressions, results, outdir)
        print(f"autobahn {args.label}: FAILED, {len(regressions)} cases worse than expected")
        return 1
    print(f"autobahn {args.label}: no regressions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
