#!/usr/bin/env bash
# Create or update nlu/.venv (Python 3.10) from nlu/requirements.txt.
# Idempotent: a stamp file holds the sha256 of requirements.txt, the interpreter version
# and the pip pin; when it matches, the script returns at once.
# Usage: scripts/nlu_env.sh [--force]     (--force or NLU_ENV_FORCE=1 recreates the venv)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NLU="$ROOT/nlu"
VENV="$NLU/.venv"
REQ="$NLU/requirements.txt"
STAMP="$VENV/.requirements.stamp"
# pip itself is pinned too, so every machine resolves and installs the same way. pip 24.0
# is the last release before 24.1 dropped legacy metadata support (which breaks unpinned
# installs of old Rasa dependency trees); with the full pins a newer pip also resolves.
PIP_PIN="pip==24.0"

force="${NLU_ENV_FORCE:-0}"
[ "${1:-}" = "--force" ] && force=1

export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

stamp_value() {
    # $1: path of the Python that builds the venv
    local ver
    ver="$("$1" -c 'import sys; print(sys.version.split()[0])')"
    { sha256sum "$REQ" | cut -d' ' -f1; echo "python $ver"; echo "$PIP_PIN"; } | sha256sum | cut -d' ' -f1
}

# Fast path: existing venv with a matching stamp and a runnable interpreter.
if [ "$force" != 1 ] && [ -f "$STAMP" ] && [ -x "$VENV/bin/rasa" ] \
   && "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null \
   && [ "$(cat "$STAMP")" = "$(stamp_value "$VENV/bin/python")" ]; then
    echo "nlu/.venv is up to date."
    exit 0
fi

PY="$("$ROOT/scripts/find_python310.sh")" || exit 2

if [ "$force" = 1 ] || ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
    echo "Creating nlu/.venv with $PY ..."
    rm -rf "$VENV"
    "$PY" -m venv "$VENV"
else
    echo "Updating nlu/.venv (nlu/requirements.txt changed) ..."
fi
rm -f "$STAMP"

# Drop the noise of this machine kind's extra local indexes ("... is ignored: it is
# neither a file nor a directory"), keep every other message.
quiet_pip() {
    "$VENV/bin/python" -m pip "$@" 2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2)
}

start=$(date +%s)
quiet_pip install -q "$PIP_PIN"
# About 170 packages (TensorFlow among them, 2.7 GB installed): progress lines, not silence.
"$ROOT/scripts/pip_install.sh" "$VENV/bin/python" "$REQ" "nlu/.venv (Rasa)"
"$VENV/bin/python" -m pip check >/dev/null || { echo "pip check failed in nlu/.venv:" >&2; "$VENV/bin/python" -m pip check >&2; exit 1; }
stamp_value "$VENV/bin/python" > "$STAMP"
rasa_version="$("$VENV/bin/python" -c 'import rasa; print(rasa.__version__)' 2>/dev/null || echo '?')"
echo "nlu/.venv ready in $(( $(date +%s) - start ))s (rasa $rasa_version)."
