#!/usr/bin/env python3
"""Sanity checks of the NLU data (stdlib + PyYAML; run with nlu/.venv/bin/python).

- every intent of domain.yml has training and held-out examples, and no others exist;
- at least 30 training examples per intent, 60 for the four critical intents;
- at least 8 held-out messages per intent (20 for emergency);
- no held-out message also appears in the training data (after removing entity
  annotations, case-insensitive): the held-out set must never be trained on.
Exit 1 with the problems listed, else 0.
"""
import re
import sys
from collections import defaultdict
from pathlib import Path

import yaml

NLU = Path(__file__).resolve().parent.parent
CRITICAL = {"emergency", "check_job_offer", "report_missing_person", "report_trafficking"}
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def examples(files):
    out = defaultdict(list)
    for f in files:
        for block in yaml.safe_load(f.read_text(encoding="utf-8")).get("nlu", []):
            if "intent" in block:
                for line in str(block.get("examples", "")).splitlines():
                    line = line.strip()
                    if line.startswith("- "):
                        out[block["intent"]].append(line[2:])
    return out


def plain(text):
    return " ".join(ANNOTATION.sub(r"\1", text).lower().split())


def main():
    domain = yaml.safe_load((NLU / "domain.yml").read_text(encoding="utf-8"))["intents"]
    train = examples(sorted((NLU / "data").glob("*.yml")))
    test = examples([NLU / "tests" / "heldout.yml"])
    problems = []
    for name, data in (("training data", train), ("held-out set", test)):
        if set(data) != set(domain):
            problems.append(f"{name}: intents differ from domain.yml: "
                            f"missing {sorted(set(domain) - set(data))}, extra {sorted(set(data) - set(domain))}")
    for intent in domain:
        need = 60 if intent in CRITICAL else 30
        if len(train[intent]) < need:
            problems.append(f"{intent}: {len(train[intent])} training examples, need {need}")
        need = 20 if intent == "emergency" else 8
        if len(test[intent]) < need:
            problems.append(f"{intent}: {len(test[intent])} held-out messages, need {need}")
    seen = {plain(x): i for i, xs in train.items() for x in xs}
    for intent, xs in test.items():
        for x in xs:
            if plain(x) in seen:
                problems.append(f"held-out message also in training data ({seen[plain(x)]}): {x!r}")
    for p in problems:
        print("data check:", p, file=sys.stderr)
    print(f"data check: {sum(map(len, train.values()))} training examples, "
          f"{sum(map(len, test.values()))} held-out messages, {len(domain)} intents: "
          + ("OK" if not problems else f"{len(problems)} problem(s)"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
