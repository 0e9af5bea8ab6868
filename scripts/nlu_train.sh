#!/usr/bin/env bash
# Train the NLU-only Rasa model into nlu/models/current.tar.gz, but only when
# nlu/config.yml, nlu/domain.yml, nlu/data/** (or nlu/requirements.txt) changed since
# the last training; the sha256 of those inputs is kept in nlu/models/current.fingerprint.
# Usage: scripts/nlu_train.sh [--force]     (--force or NLU_TRAIN_FORCE=1 always trains)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/nlu_common.sh"

force="${NLU_TRAIN_FORCE:-0}"
[ "${1:-}" = "--force" ] && force=1

"$ROOT/scripts/nlu_env.sh"

mkdir -p "$MODELS"
# One training at a time (make test and make run may race).
exec 9>"$MODELS/.lock"
flock 9

want="$(nlu_fingerprint)"
if [ "$force" != 1 ] && [ -s "$MODEL" ] && [ -f "$FINGERPRINT" ] && [ "$(cat "$FINGERPRINT")" = "$want" ]; then
    echo "NLU model is up to date: nlu/models/current.tar.gz (fingerprint ${want:0:12})."
    exit 0
fi

echo "Training the NLU model (inputs changed or no model yet; log: nlu/models/.training/train.log) ..."
tmp="$MODELS/.training"
rm -rf "$tmp"
mkdir -p "$tmp"
start=$(date +%s)
cd "$NLU"
# Not --quiet: the log keeps Rasa's component messages and DIET's epoch bar, which
# nlu_train_progress turns into a line every 10 % of the epochs.
"$RASA" train nlu \
    --config "$NLU/config.yml" \
    --domain "$NLU/domain.yml" \
    --nlu "$NLU/data" \
    --out "$tmp" \
    --fixed-model-name current > "$tmp/train.log" 2>&1 &
rasa_pid=$!
nlu_train_progress "$tmp/train.log" "$rasa_pid" "$start"
if ! wait "$rasa_pid"; then
    tr '\r' '\n' < "$tmp/train.log" | tail -n 40 >&2
    echo "NLU training failed; the full log is in nlu/models/.training/train.log." >&2
    exit 1
fi
secs=$(( $(date +%s) - start ))
[ -s "$tmp/current.tar.gz" ] || { echo "rasa train nlu produced no model (see nlu/models/.training/train.log)." >&2; exit 1; }
mv -f "$tmp/current.tar.gz" "$MODEL"
echo "$want" > "$FINGERPRINT"
mv -f "$tmp/train.log" "$MODELS/current.train.log"
# CPU time of the training: the second line of `times` (children of this shell; not run in a
# command substitution, whose subshell has no children).
times > "$tmp/times"
cpu="$(tail -n 1 "$tmp/times" | awk '{ print "user " $1 ", system " $2 }')"
rm -rf "$tmp"
echo "NLU model trained in ${secs}s ($cpu of CPU): nlu/models/current.tar.gz (fingerprint ${want:0:12})."
