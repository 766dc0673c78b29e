#!/bin/sh
# The one enforced format: every C file as clang-format (.clang-format) has it.
# One clang-format run checks them all; only when it finds something are the
# files checked one by one, to name each.
cd "${MESON_SOURCE_ROOT:-$(dirname "$0")/..}" || exit 1
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*')
n=0
bad=0
# shellcheck disable=SC2086
if clang-format --dry-run -Werror $files >/dev/null 2>&1; then
    for f in $files; do
        n=$((n + 1))
        echo "ok $n - $f"
    done
else
    for f in $files; do
        n=$((n + 1))
        if clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
            echo "ok $n - $f"
        else
            echo "not ok $n - $f (run: clang-format -i $f)"
            bad=$((bad + 1))
        fi
    done
fi
echo "1..$n"
[ "$bad" -eq 0 ]
