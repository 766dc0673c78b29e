#!/bin/sh
# The layers, enforced (docs/architecture.md): a file includes headers of its
# own layer and the layers below it only, and curses is for the top layer.
#   common   <- backends <- engine <- panes, tui
# One TAP line per source file; a violation names the file, the include and
# the rule. The fix is never to add an exception here: move the code to the
# layer it belongs to, or hand the value up through an interface below.
cd "${MESON_SOURCE_ROOT:-$(dirname "$0")/..}" || exit 1
rank() {
    case "$1" in
    common) echo 0 ;;
    backends) echo 1 ;;
    engine) echo 2 ;;
    panes | tui) echo 3 ;;
    *) echo 9 ;;
    esac
}
files=$(git ls-files 'common/*.[ch]' 'backends/*.[ch]' 'engine/*.[ch]' 'panes/*.[ch]' 'tui/*.[ch]' \
    2>/dev/null || find common backends engine panes tui -name '*.[ch]')
n=0
bad=0
for f in $files; do
    n=$((n + 1))
    layer=${f%%/*}
    mine=$(rank "$layer")
    why=""
    # quoted includes, resolved against the file's directory
    for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
        case "$inc" in
        ../*/*) target=${inc#../} ;;
        */*) target=$inc ;;
        *) target=$layer/$inc ;;
        esac
        tl=${target%%/*}
        if [ "$(rank "$tl")" -gt "$mine" ]; then
            why="$why includes $inc, a header of $tl (above $layer);"
        fi
    done
    if [ "$mine" -lt 3 ] && grep -qE '^#include <n?curses(w/[a-z]*)?\.h>' "$f"; then
        why="$why includes curses, which only panes/ and tui/ may use;"
    fi
    if [ -z "$why" ]; then
        echo "ok $n - $f"
    else
        echo "not ok $n - $f:$why"
        bad=$((bad + 1))
    fi
done
echo "1..$n"
[ "$bad" -eq 0 ]
