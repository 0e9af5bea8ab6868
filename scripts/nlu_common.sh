# Sourced by scripts/nlu_*.sh: paths and an environment in which Rasa sends no
# telemetry, reaches no network and stays quiet.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NLU="$ROOT/nlu"
VENV="$NLU/.venv"
RASA="$VENV/bin/rasa"
MODELS="$NLU/models"
MODEL="$MODELS/current.tar.gz"
FINGERPRINT="$MODELS/current.fingerprint"
RESULTS="$NLU/results"

export RASA_TELEMETRY_ENABLED=false          # no telemetry (and so no Sentry reports)
export RASA_CACHE_DIRECTORY="$NLU/.rasa/cache"  # training cache inside nlu/ (gitignored)
# The cache saves little here (new data retrains DIET anyway) and grew to ~730 MB: off by
# default; set RASA_MAX_CACHE_SIZE (MiB) to turn it on.
export RASA_MAX_CACHE_SIZE="${RASA_MAX_CACHE_SIZE:-0}"
export TF_CPP_MIN_LOG_LEVEL=2                # TensorFlow: errors only
export TF_ENABLE_ONEDNN_OPTS=0               # deterministic CPU kernels, no oneDNN notice
export CUDA_VISIBLE_DEVICES=""               # CPU only; no CUDA probing
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1  # never reach a model hub
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore}"
export MPLCONFIGDIR="${MPLCONFIGDIR:-$NLU/.rasa/matplotlib}"
export PYTHONHASHSEED="${PYTHONHASHSEED:-0}"

# sha256 over the training inputs (path + content of each file, in sorted order).
# nlu/requirements.txt is included: another Rasa version needs another model.
nlu_fingerprint() {
    (
        cd "$ROOT"
        { echo nlu/config.yml; echo nlu/domain.yml; echo nlu/requirements.txt;
          find nlu/data -type f \( -name '*.yml' -o -name '*.yaml' -o -name '*.md' -o -name '*.json' -o -name '*.txt' \); } \
        | LC_ALL=C sort | while read -r f; do
            printf '%s\n' "$f"
            sha256sum < "$f"
        done | sha256sum | cut -d' ' -f1
    )
}

# Threads. TensorFlow sizes its inter-op and intra-op pools to the core count each, and BLAS adds
# its own; on a 2-core machine those pools fight (a first training spent two thirds of its CPU in
# the kernel). One intra-op pool of one thread per core, one inter-op thread, single-threaded BLAS.
_cores="$(nproc 2>/dev/null || echo 2)"
export TF_INTRA_OP_PARALLELISM_THREADS="${TF_INTRA_OP_PARALLELISM_THREADS:-$_cores}"
export TF_INTER_OP_PARALLELISM_THREADS="${TF_INTER_OP_PARALLELISM_THREADS:-1}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
export MKL_NUM_THREADS="${MKL_NUM_THREADS:-1}"

# Progress of a `rasa train nlu` writing to log $1 (process $2, started at epoch seconds $3): one
# line when the featurizers start, when DIET starts, every 10 % of DIET's epochs (from its tqdm bar),
# and while the model is written. Returns when the process has ended.
nlu_train_progress() {
    local log="$1" pid="$2" start="$3" phase="" next=10 bar epoch total pct last_say
    last_say=$(date +%s)
    while kill -0 "$pid" 2>/dev/null; do
        sleep 3
        local now el
        now=$(date +%s); el=$(( now - start ))
        el="$(( el / 60 ))m$(printf '%02d' $(( el % 60 )))s"
        bar="$(tail -c 4000 "$log" 2>/dev/null | tr '\r' '\n' | grep -oE 'Epochs: +[0-9]+%\|[^|]*\| *[0-9]+/[0-9]+ \[[0-9:]+<[0-9:?]+' | tail -n 1 || true)"
        if [ -n "$bar" ]; then
            epoch="$(sed -E 's/.*\| *([0-9]+)\/([0-9]+) .*/\1/' <<<"$bar")"
            total="$(sed -E 's/.*\| *([0-9]+)\/([0-9]+) .*/\2/' <<<"$bar")"
            [ "$phase" = diet ] || { phase=diet; echo "  DIETClassifier: training $total epochs ($el)"; last_say=$now; }
            pct=$(( 100 * epoch / total ))
            if [ "$pct" -ge "$next" ] && [ "$epoch" -lt "$total" ]; then
                echo "  DIETClassifier: epoch $epoch/$total, about $(sed -E 's/.*<//' <<<"$bar") left ($el)"
                last_say=$now
                next=$(( (pct / 10 + 1) * 10 ))
            elif [ "$epoch" -ge "$total" ] && [ "$next" -le 100 ]; then
                echo "  DIETClassifier: done; writing the model ($el)"
                last_say=$now; next=101
            fi
        elif [ -z "$phase" ] && grep -q "Starting to train component" "$log" 2>/dev/null; then
            phase=featurizers; echo "  featurizing the training data ($el)"; last_say=$now
        elif [ $(( now - last_say )) -ge 30 ]; then
            echo "  ${phase:-loading Rasa and TensorFlow}: still working ($el)"; last_say=$now
        fi
    done
}
