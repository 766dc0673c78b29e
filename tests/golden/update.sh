#!/bin/sh
# Rewrite the golden screens (tests/e2e/golden.sh) from the opsdeck given, or
# build/opsdeck; review the diff of tests/golden/ before committing it.
cd "$(dirname "$0")/../.." || exit 1
OPSDECK=$(realpath "${1:-build/opsdeck}") GOLDEN_UPDATE=1 exec bash tests/e2e/golden.sh
