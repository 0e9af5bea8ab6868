#!/usr/bin/env bash
# The outcome of `make test`'s parts (written by the Makefile's test-no-nlu and test-nlu): one line
# each, and a failing exit status if any part failed or left no outcome.
# Usage: scripts/test_outcome.sh DIR
set -uo pipefail
dir="$1"
failed=0
for part in content-check tests-without-nlu tests-with-nlu; do
    if [ ! -f "$dir/$part" ]; then
        echo "  $part: did not run" >&2
        failed=1
    elif [ "$(cat "$dir/$part")" != 0 ]; then
        echo "  $part: FAILED (exit status $(cat "$dir/$part"))" >&2
        failed=1
    else
        echo "  $part: passed"
    fi
done
exit "$failed"
