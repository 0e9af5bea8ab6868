#!/usr/bin/env bash
# Install a pinned requirements file into a venv and show progress instead of one silent line:
# packages collected so far, then a heartbeat while pip unpacks them (TensorFlow alone takes a
# while), and the elapsed time. pip's full output goes to a log that is shown when pip fails.
# Usage: scripts/pip_install.sh PYTHON REQUIREMENTS LABEL [extra pip options ...]
set -euo pipefail

py="$1"; req="$2"; label="$3"; shift 3
log="$(dirname "$(dirname "$py")")/pip-install.log"
total="$(grep -cE '^[A-Za-z0-9_.-]+(\[[^]]*\])? *==' "$req" || true)"
start=$(date +%s)
state="$(mktemp)"
beat=""
trap 'rm -f "$state"; if [ -n "$beat" ]; then kill "$beat" 2>/dev/null || true; fi' EXIT

elapsed() {
    local s=$(( $(date +%s) - start ))
    printf '%dm%02ds' $(( s / 60 )) $(( s % 60 ))
}
say() {  # a progress line; the heartbeat stays quiet for 30 s after it
    echo "  $label: $1 ($(elapsed))"
    date +%s > "$state"
}

echo "Installing $label: $total pinned packages from ${req#"$PWD"/} (log: ${log#"$PWD"/}) ..."
date +%s > "$state"
# Heartbeat: pip prints nothing while it unpacks and installs the collected wheels.
(
    while sleep 5; do
        last="$(cat "$state" 2>/dev/null || echo 0)"
        if [ $(( $(date +%s) - last )) -ge 30 ]; then
            echo "  $label: still working ($(elapsed))"
            date +%s > "$state"
        fi
    done
) &
beat=$!

n=0
status=0
# This machine kind has extra local indexes that pip reports as "ignored"; that line is noise.
"$py" -m pip install --disable-pip-version-check --progress-bar off "$@" -r "$req" \
        2> >(grep -v 'is ignored: it is neither a file nor a directory' >&2) \
    | tee "$log" | while IFS= read -r line; do
        case "$line" in
            Collecting*|Processing*)
                n=$(( n + 1 ))
                if [ $(( n % 25 )) = 0 ]; then say "collected $n of $total packages"; fi ;;
            "Installing collected packages"*)
                say "collected $n packages; unpacking and installing them" ;;
        esac
    done || status=$?
kill "$beat" 2>/dev/null || true
beat=""
if [ "$status" != 0 ]; then
    tail -n 20 "$log" >&2
    echo "pip install failed for $label (exit $status); the full log is $log." >&2
    exit "$status"
fi
echo "  $label: installed in $(elapsed)."
