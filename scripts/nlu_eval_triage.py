#!/usr/bin/env python3
"""Feed the NLU held-out set through the bot's triage command and score it.

The triage command (`python -m bot triage`, see README) reads one message per line on stdin and writes one
JSON object per line: {"text", "intent", "confidence", "urgent", "route", "entities", "nlu"}.

Prints intent accuracy, macro-F1, urgent recall (emergency messages marked urgent) and the
false-urgent rate (other messages marked urgent), compares them with the targets of issue 3,
and writes the per-message results and the figures under nlu/results/.

Python 3.11 (the bot's .venv), standard library + PyYAML only.

Usage:
  .venv/bin/python scripts/nlu_eval_triage.py                 # runs .venv/bin/python -m bot triage
  .venv/bin/python scripts/nlu_eval_triage.py --cmd "python3 my_fake_triage.py"
  NLU_TRIAGE_CMD="..." .venv/bin/python scripts/nlu_eval_triage.py
Exit status: 0 targets met, 1 a target missed (unless --no-gate), 2 bad input / command failed.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
URGENT_INTENT = "emergency"
TARGETS = {"accuracy": 0.90, "macro_f1": 0.88, "urgent_recall": 1.00, "false_urgent_rate": 0.03}

# [text](entity) or [text]{"entity": ...}
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def die(msg: str) -> "NoReturn":  # type: ignore[name-defined]
    print(msg, file=sys.stderr)
    sys.exit(2)


def load_heldout(path: Path) -> list[tuple[str, str]]:
    """(text, gold intent) pairs from a Rasa NLU YAML file, entity annotations removed."""
    try:
        import yaml
    except ImportError:
        die("PyYAML is needed to read the held-out set: pip install pyyaml into this Python.")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        die(f"Cannot read the held-out set {path}: {exc}")
    pairs: list[tuple[str, str]] = []
    for block in (doc or {}).get("nlu", []) or []:
        intent = block.get("intent") if isinstance(block, dict) else None
        if not intent:
            continue
        for line in str(block.get("examples", "")).splitlines():
            line = line.strip()
            if not line.startswith("- "):
                continue
            text = _ANNOTATION.sub(r"\1", line[2:]).strip()
            text = " ".join(text.split())  # one message per line on stdin
            if text:
                pairs.append((text, intent))
    if not pairs:
        die(f"No intent examples found in {path}.")
    return pairs


def default_cmd() -> list[str]:
    env_cmd = os.environ.get("NLU_TRIAGE_CMD")
    if env_cmd:
        return shlex.split(env_cmd)
    py = ROOT / ".venv" / "bin" / "python"
    return [str(py if py.exists() else Path(sys.executable)), "-m", "bot", "triage"]


def run_triage(cmd: list[str], texts: list[str], timeout: float) -> list[dict]:
    stdin = "".join(t + "\n" for t in texts)
    try:
        proc = subprocess.run(
            cmd, input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=timeout
        )
    except FileNotFoundError:
        die(f"Triage command not found: {' '.join(cmd)}")
    except subprocess.TimeoutExpired:
        die(f"Triage command did not finish within {timeout:.0f}s: {' '.join(cmd)}")
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-3000:])
        die(f"Triage command exited with status {proc.returncode}: {' '.join(cmd)}")
    rows = []
    for n, line in enumerate(proc.stdout.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            die(f"Triage output line {n} is not JSON: {line[:200]}")
        if not isinstance(obj, dict) or "intent" not in obj or "urgent" not in obj:
            die(f"Triage output line {n} lacks 'intent' or 'urgent': {line[:200]}")
        rows.append(obj)
    if len(rows) != len(texts):
        sys.stderr.write(proc.stderr[-3000:])
        die(f"Triage wrote {len(rows)} results for {len(texts)} messages; expected one JSON line per message.")
    return rows


def macro_f1(gold: list[str], pred: list[str]) -> tuple[float, dict[str, dict[str, float]]]:
    """Macro-F1 over every label seen in gold or pred (as sklearn / rasa test nlu do)."""
    labels = sorted(set(gold) | set(pred))
    per: dict[str, dict[str, float]] = {}
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == lab and p == lab)
        fp = sum(1 for g, p in zip(gold, pred) if g != lab and p == lab)
        fn = sum(1 for g, p in zip(gold, pred) if g == lab and p != lab)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per[lab] = {"precision": prec, "recall": rec, "f1": f1, "support": tp + fn}
    return sum(v["f1"] for v in per.values()) / len(per), per


def is_true(v) -> bool:
    return v is True or (isinstance(v, str) and v.strip().lower() in ("true", "1", "yes"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--heldout", type=Path, default=ROOT / "nlu" / "tests" / "heldout.yml")
    ap.add_argument("--cmd", help="triage command line (default: $NLU_TRIAGE_CMD or .venv/bin/python -m bot triage)")
    ap.add_argument("--out", type=Path, default=ROOT / "nlu" / "results" / "triage",
                    help="directory for triage_results.jsonl and triage_report.json")
    ap.add_argument("--timeout", type=float, default=900.0, help="seconds for the whole triage run")
    ap.add_argument("--errors", action="store_true", help="list every misclassified message")
    ap.add_argument("--no-gate", action="store_true", help="exit 0 even when a target is missed")
    args = ap.parse_args(argv)

    pairs = load_heldout(args.heldout)
    texts = [t for t, _ in pairs]
    gold = [g for _, g in pairs]
    cmd = shlex.split(args.cmd) if args.cmd else default_cmd()
    rows = run_triage(cmd, texts, args.timeout)
    pred = [str(r.get("intent")) for r in rows]
    urgent = [is_true(r.get("urgent")) for r in rows]

    mismatched = [(t, r.get("text")) for t, r in zip(texts, rows) if "text" in r and r.get("text") != t]
    n = len(gold)
    acc = sum(g == p for g, p in zip(gold, pred)) / n
    mf1, per = macro_f1(gold, pred)
    emerg = [u for g, u in zip(gold, urgent) if g == URGENT_INTENT]
    other = [u for g, u in zip(gold, urgent) if g != URGENT_INTENT]
    urgent_recall = sum(emerg) / len(emerg) if emerg else float("nan")
    false_urgent = sum(other) / len(other) if other else float("nan")
    nlu_modes = Counter(str(r.get("nlu", "?")) for r in rows)
    routes = Counter(str(r.get("route", "?")).split(":")[0] for r in rows)

    figures = {
        "messages": n,
        "accuracy": acc,
        "macro_f1": mf1,
        "urgent_recall": urgent_recall,
        "emergency_messages": len(emerg),
        "false_urgent_rate": false_urgent,
        "false_urgent_messages": sum(other),
        "other_messages": len(other),
        "nlu": dict(nlu_modes),
        "routes": dict(routes),
        "command": cmd,
    }
    met = {
        "accuracy": acc >= TARGETS["accuracy"],
        "macro_f1": mf1 >= TARGETS["macro_f1"],
        "urgent_recall": urgent_recall >= TARGETS["urgent_recall"],
        "false_urgent_rate": false_urgent <= TARGETS["false_urgent_rate"],
    }

    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "triage_results.jsonl").open("w", encoding="utf-8") as fh:
        for t, g, r in zip(texts, gold, rows):
            fh.write(json.dumps({"gold": g, **r, "text": t}, ensure_ascii=False) + "\n")
    (args.out / "triage_report.json").write_text(
        json.dumps({"figures": figures, "targets": TARGETS, "met": met, "per_intent": per},
                   indent=2, ensure_ascii=False), encoding="utf-8")

    def mark(ok: bool) -> str:
        return "ok" if ok else "BELOW TARGET"

    print(f"Triage on the held-out set ({n} messages, nlu: "
          + ", ".join(f"{k}={v}" for k, v in sorted(nlu_modes.items())) + ")")
    print(f"  intent accuracy    {acc:.3f}   (target >= {TARGETS['accuracy']:.2f}) {mark(met['accuracy'])}")
    print(f"  intent macro-F1    {mf1:.3f}   (target >= {TARGETS['macro_f1']:.2f}) {mark(met['macro_f1'])}")
    print(f"  urgent recall      {urgent_recall:.3f}   ({sum(emerg)}/{len(emerg)} emergency messages urgent; "
          f"target {TARGETS['urgent_recall']:.2f}) {mark(met['urgent_recall'])}")
    print(f"  false-urgent rate  {false_urgent:.3f}   ({sum(other)}/{len(other)} other messages urgent; "
          f"target <= {TARGETS['false_urgent_rate']:.2f}) {mark(met['false_urgent_rate'])}")
    if nlu_modes.get("degraded"):
        print(f"  note: {nlu_modes['degraded']} message(s) were answered in degraded mode (Rasa not answering).")
    if mismatched:
        print(f"  note: {len(mismatched)} result(s) echo a text different from the input line.")
    missed = [(t, p) for t, g, p, u in zip(texts, gold, pred, urgent) if g == URGENT_INTENT and not u]
    for t, p in missed:
        print(f"  MISSED URGENT: {t!r} -> {p}")
    for (t, g), r, u in zip(pairs, rows, urgent):
        if u and g != URGENT_INTENT:
            print(f"  FALSE URGENT: {t!r} (gold {g}) -> {r.get('intent')}")
    if args.errors:
        for (t, g), p in zip(pairs, pred):
            if g != p:
                print(f"  error: {t!r}: {g} -> {p}")
    print(f"  details: {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}/triage_report.json")

    if all(met.values()) or args.no_gate:
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
