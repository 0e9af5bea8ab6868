#!/usr/bin/env bash
# Evaluate the NLU model:
#   0. nlu/tests/check_data.py (counts, held-out never in training), training if stale,
#   1. rasa test nlu on the held-out set nlu/tests/heldout.yml (the trained model),
#   2. rasa test nlu --cross-validation --folds 5 on nlu/data,
#   3. if the bot is available, the held-out set through `python -m bot triage`
#      (scripts/nlu_eval_triage.py): accuracy, macro-F1, urgent recall, false-urgent rate.
# Results go to nlu/results/ (gitignored). Exit 1 when a held-out target is missed.
# Usage: scripts/nlu_eval.sh [--no-cv] [--no-triage]
#   env: NLU_EVAL_FOLDS (default 5), NLU_TRIAGE_CMD (triage command instead of
#        .venv/bin/python -m bot triage).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/nlu_common.sh"

do_cv=1; do_triage=1
for a in "$@"; do
    case "$a" in
        --no-cv) do_cv=0 ;;
        --no-triage) do_triage=0 ;;
        *) echo "Unknown option '$a'; use --no-cv and/or --no-triage." >&2; exit 2 ;;
    esac
done
folds="${NLU_EVAL_FOLDS:-5}"

"$ROOT/scripts/nlu_env.sh"
# Data sanity: intents match domain.yml, minimum counts, no held-out message in training.
"$VENV/bin/python" "$NLU/tests/check_data.py"
"$ROOT/scripts/nlu_train.sh"
mkdir -p "$RESULTS"
cd "$NLU"

# Prints "accuracy macro-F1" from a rasa intent_report.json.
figures() {
    "$VENV/bin/python" - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print(f"{r['accuracy']:.3f} {r['macro avg']['f1-score']:.3f}")
PY
}

status=0
echo "== rasa test nlu: held-out set (nlu/tests/heldout.yml) =="
rm -rf "$RESULTS/heldout"
start=$(date +%s)
if ! "$RASA" test nlu --nlu "$NLU/tests/heldout.yml" --model "$MODEL" \
        --out "$RESULTS/heldout" --quiet > "$RESULTS/heldout.log" 2>&1; then
    tail -n 30 "$RESULTS/heldout.log" >&2; echo "rasa test nlu failed (nlu/results/heldout.log)." >&2; exit 1
fi
read -r h_acc h_f1 < <(figures "$RESULTS/heldout/intent_report.json")
printf '  intent accuracy  %s   (target >= 0.90)\n  intent macro-F1  %s   (target >= 0.88)\n  (%ss; report: nlu/results/heldout/)\n' \
    "$h_acc" "$h_f1" "$(( $(date +%s) - start ))"
if ! awk -v a="$h_acc" -v f="$h_f1" 'BEGIN { exit !(a >= 0.90 && f >= 0.88) }'; then
    echo "  held-out figures are BELOW TARGET"; status=1
fi

if [ "$do_cv" = 1 ]; then
    echo "== rasa test nlu: ${folds}-fold cross-validation on nlu/data =="
    rm -rf "$RESULTS/cv"
    start=$(date +%s)
    if ! "$RASA" test nlu --nlu "$NLU/data" --config "$NLU/config.yml" --cross-validation \
            --folds "$folds" --out "$RESULTS/cv" --quiet > "$RESULTS/cv.log" 2>&1; then
        tail -n 30 "$RESULTS/cv.log" >&2; echo "cross-validation failed (nlu/results/cv.log)." >&2; exit 1
    fi
    read -r c_acc c_f1 < <(figures "$RESULTS/cv/intent_report.json")
    printf '  intent accuracy  %s   (test folds pooled)\n  intent macro-F1  %s\n  (%ss; report: nlu/results/cv/)\n' \
        "$c_acc" "$c_f1" "$(( $(date +%s) - start ))"
fi

if [ "$do_triage" = 1 ]; then
    if [ -n "${NLU_TRIAGE_CMD:-}" ] || { [ -x "$ROOT/.venv/bin/python" ] && [ -f "$ROOT/bot/__main__.py" ]; }; then
        echo "== held-out set through triage (${NLU_TRIAGE_CMD:-.venv/bin/python -m bot triage}) =="
        tpy="$ROOT/.venv/bin/python"; [ -x "$tpy" ] || tpy=python3
        # The bot runs in its own environment, not with this script's Rasa settings.
        if ! (cd "$ROOT" && env -u PYTHONWARNINGS -u PYTHONHASHSEED "$tpy" scripts/nlu_eval_triage.py --out "$RESULTS/triage"); then
            status=1
        fi
    else
        echo "== triage skipped: the bot is not available (.venv/bin/python and bot/__main__.py) =="
    fi
fi
exit "$status"
