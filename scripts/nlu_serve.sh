#!/usr/bin/env bash
# Serve the trained NLU model with Rasa's HTTP API on 127.0.0.1 (foreground).
#   POST http://127.0.0.1:$PORT/model/parse?token=$TOKEN  {"text": "..."}
# Usage: NLU_TOKEN=secret scripts/nlu_serve.sh [PORT]      (PORT default 5005)
# Uses the same no-telemetry / no-network environment as training.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/nlu_common.sh"

port="${1:-${NLU_PORT:-5005}}"
if [ -z "${NLU_TOKEN:-}" ]; then
    echo "Set NLU_TOKEN to the auth token the Rasa API should require." >&2
    exit 2
fi
if [ ! -s "$MODEL" ]; then
    echo "No NLU model at nlu/models/current.tar.gz; run scripts/nlu_train.sh first." >&2
    exit 2
fi
cd "$NLU"
exec "$RASA" run --enable-api --auth-token="$NLU_TOKEN" -i 127.0.0.1 -p "$port" \
    -m "$MODEL"
