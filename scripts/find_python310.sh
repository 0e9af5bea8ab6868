#!/usr/bin/env bash
# Print the path of a working Python 3.10 interpreter for the Rasa environment.
# Order (README, "Two commands"): $RASA_PYTHON, python3.10 on PATH, pyenv's 3.10.
# Exit 0 with the path on stdout; exit 2 with one sentence on stderr when none is found.
set -u

is_py310() {
    # Runs the candidate: pyenv shims exist on PATH even when they cannot run.
    local out
    out="$("$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" || return 1
    [ "$out" = "3.10" ]
}

abspath() {
    "$1" -c 'import sys; print(sys.executable)' 2>/dev/null
}

if [ -n "${RASA_PYTHON:-}" ]; then
    if is_py310 "$RASA_PYTHON"; then
        abspath "$RASA_PYTHON"
        exit 0
    fi
    echo "RASA_PYTHON is set to '$RASA_PYTHON', which is not a working Python 3.10 interpreter; point it at one or unset it." >&2
    exit 2
fi

if command -v python3.10 >/dev/null 2>&1 && is_py310 python3.10; then
    abspath python3.10
    exit 0
fi

pyenv_root=""
if command -v pyenv >/dev/null 2>&1; then
    pyenv_root="$(pyenv root 2>/dev/null || true)"
fi
[ -n "$pyenv_root" ] || pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
# Newest 3.10.x first.
for cand in $(ls -d "$pyenv_root"/versions/3.10*/bin/python3.10 2>/dev/null | sort -V -r); do
    if is_py310 "$cand"; then
        echo "$cand"
        exit 0
    fi
done

echo "Rasa 3.6 needs Python 3.10, and none was found: install it (for example 'pyenv install 3.10.13', or from python.org) or set RASA_PYTHON to the path of a python3.10 interpreter." >&2
exit 2
