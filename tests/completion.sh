#!/bin/bash
# Shell completions (completions/): bash's real completion driven as bash
# does it (source the file, set COMP_WORDS/COMP_CWORD, call the function,
# read COMPREPLY), once alone and once under bash-completion's own
# bash_completion (its _filedir), for subcommands, options, themes, run ids
# (from a real run), runbook/drill/config files, and act's BACKEND PANE VERB
# from a test config given with -c. Also `opsdeck runs --ids` and `opsdeck act
# --list` themselves; zsh's completion driven the same way in a zpty
# (tests/zsh-capture.zsh) and fish's through `complete -C`, after `zsh -n` /
# `fish -n` (zsh and fish are in scripts/deps test_pkgs: a missing one fails,
# it is not skipped).
set -u
OPSDECK=${OPSDECK:?}
SRC=${MESON_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$(dirname "$0")/tap.sh"
scratch completion
COMP="$SRC/completions"

# complete LINE: the candidates bash offers for the last word of LINE (a
# trailing space: a new empty word), one a line, sorted. BC=1: under
# bash-completion (its _filedir and friends).
complete_line() {
    bash --norc --noprofile -c '
        [ "${BC:-}" = 1 ] && . /usr/share/bash-completion/bash_completion
        . "$1"
        read -ra COMP_WORDS <<<"$2"
        [[ $2 == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE=$2
        COMP_POINT=${#COMP_LINE}
        _opsdeck opsdeck "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf "%s\n" "${COMPREPLY[@]}" | sort
    ' _ "$COMP/opsdeck.bash" "$1"
}
# has LINE WORD...: every WORD is among the candidates
has() {
    local line=$1 out w
    shift
    out=$(complete_line "$line")
    for w in "$@"; do
        grep -qxF -- "$w" <<<"$out" || {
            echo "# '$line' offers: $(tr '\n' ' ' <<<"$out") (no '$w')"
            return 1
        }
    done
}
# only LINE WORD...: exactly these candidates
only() {
    local line=$1 out want
    shift
    out=$(complete_line "$line")
    want=$(printf '%s\n' "$@" | sort)
    [ "$out" = "$want" ] || {
        echo "# '$line' offers: $(tr '\n' ' ' <<<"$out"), want: $*"
        return 1
    }
}

O=$OPSDECK
mkdir -p "$XDG_CONFIG_HOME/opsdeck/themes" "$T/work/books"
: >"$XDG_CONFIG_HOME/opsdeck/themes/solarized-night.theme"
cat >"$T/work/ops.ini" <<'EOF'
[backend "edge-lb"]
type = demo
[backend "kube"]
type = exec
command = true
pane = deployments
action.bounce = b | Bounce it | | echo ${key}
[backend "quiet"]
type = demo
actions = off
EOF
: >"$T/work/books/pool.md"
: >"$T/work/books/game.json"
: >"$T/work/books/notes.txt"
: >"$T/work/other.ini"

for mode in plain bash-completion; do
    export BC=
    [ $mode = bash-completion ] && BC=1
    check "$mode: subcommands" only "$O " snapshot lint act drill join run runs report doctor
    check "$mode: subcommands by prefix" only "$O r" run runs report
    check "$mode: console options" has "$O -" -c --config --theme --read-only --view --keys --version
    check "$mode: snapshot options" has "$O snapshot --" --json --theme --seed --demo-mode
    check "$mode: drill options" has "$O drill --" --resume --recover --give-up --wheel --auto --plain
    check "$mode: act options" has "$O act --" --yes --input --confirm --list --config
    check "$mode: doctor options" has "$O doctor --" --config --backend --timeout
    check "$mode: runs options" only "$O runs --" --ids --config
    check "$mode: --demo-mode values" only "$O --demo-mode " live still trickle
    check "$mode: built-in and user themes" has "$O -t " dark light high-contrast mono solarized-night
    check "$mode: themes by prefix (snapshot --theme)" only "$O snapshot --theme s" solarized-night
    cd "$T/work" || bail "no $T/work"
    check "$mode: run FILE: runbooks and dirs, not .txt" only "$O run books/" books/game.json books/pool.md
    check "$mode: lint FILE: configs too" has "$O lint " ops.ini other.ini books
    check "$mode: -c FILE: *.ini" has "$O act -c " ops.ini other.ini
    check "$mode: act BACKEND from -c's config (actions off: none)" only "$O act -c ops.ini " edge-lb kube
    check "$mode: act PANE of the backend" only "$O act -c ops.ini kube " deploys
    check "$mode: act VERB of backend and pane" only "$O act -c ops.ini kube deploys " bounce
    check "$mode: act VERB by prefix, demo" only "$O act -c ops.ini edge-lb pools d" drain
    check "$mode: act after --yes and --input V" only "$O act --yes --input 5m -c ops.ini edge-lb alerts " silence expire
    check "$mode: doctor --backend NAME from the config" only "$O doctor -c ops.ini --backend " edge-lb kube quiet
    check "$mode: act without a config: the demo's" has "$O act " demo
    cd / || bail "cd /"
done
export BC=
# the config given with ~ on the line
mkdir -p "$HOME" 2>/dev/null
check "act -c with an unknown file: no candidates, no noise" only "$O act -c /nonexistent.ini "

# run ids: none, then real runs
check "runs --ids with no runs: nothing, exit 0" test -z "$("$O" runs --ids)"
check "runs --ids with no runs exits 0" "$O" runs --ids
printf 'q\n' | "$O" run "$SRC/examples/runbooks/plain-wiki-page.md" --plain >/dev/null 2>&1
printf 'q\n' | "$O" run "$SRC/examples/runbooks/queue-backlog.md" --plain >/dev/null 2>&1
"$O" runs --ids >"$T/ids"
check "runs --ids: one id a line, nothing else" test "$(wc -l <"$T/ids")" = 2
check "runs --ids: the ids opsdeck runs lists" bash -c '
    while read -r id; do "$1" runs | grep -q "^$id " || exit 1; done <"$2"' _ "$O" "$T/ids"
ID1=$(sed -n 1p "$T/ids")
ID2=$(sed -n 2p "$T/ids")
check "run --resume: the run ids" only "$O run --resume " "$ID1" "$ID2"
check "drill --resume: the run ids" has "$O drill --resume " "$ID1"
check "report: the run ids" has "$O report " "$ID1" "$ID2"
check "join: the run ids" has "$O join " "$ID2"
check "report --: its options" has "$O report --" --last --since --json

# act --list itself
"$O" act --list -c "$T/work/ops.ini" >"$T/acts" 2>"$T/acts.err"
check "act --list exits 0" test $? = 0
check "act --list: BACKEND TAB PANE TAB VERB TAB LABEL" grep -qP '^kube\tdeploys\tbounce\tBounce it$' "$T/acts"
check "act --list: the demo's actions" grep -qP '^edge-lb\tpools\tdrain\tDrain server$' "$T/acts"
check "act --list: nothing of a backend with actions off" bash -c '! grep -q "^quiet" "$1"' _ "$T/acts"
check "act --list: four fields on every line" awk -F'\t' 'NF != 4 { exit 1 }' "$T/acts"
check "act --list polls nothing (its exec command never ran)" bash -c '
    cd "$1" && printf "[backend \"p\"]\ntype = exec\ncommand = touch %s/polled\npane = queues\n" "$1" >p.ini &&
    "$2" act --list -c p.ini >/dev/null && sleep 0.3 && [ ! -e polled ]' _ "$T/work" "$O"
printf '[backend "a"]\ntype = demo\ncluster = web\n[backend "b"]\ntype = demo\ncluster = web\n' >"$T/cl.ini"
check "act --list: a cluster's name acts too, listed once" bash -c '
    [ "$("$1" act --list -c "$2" | cut -f1 | uniq | tr "\n" " ")" = "web a b " ]' _ "$O" "$T/cl.ini"
printf '[backend "x"]\ntype = nope\n' >"$T/bad.ini"
"$O" act --list -c "$T/bad.ini" >/dev/null 2>"$T/bad.err"
check "act --list on a bad config: exit 2 with file:line" \
    bash -c '[ $1 = 2 ] && grep -q "bad.ini:1:" "$2"' _ $? "$T/bad.err"

# the other shells: syntax only
check "zsh is installed (scripts/deps --test)" test -x "$(command -v zsh)"
check "zsh -n completions/_opsdeck" zsh -n "$COMP/_opsdeck"
check "fish is installed (scripts/deps --test)" test -x "$(command -v fish)"
check "fish -n completions/opsdeck.fish" fish -n "$COMP/opsdeck.fish"
check "fish: the file loads and offers the subcommands" bash -c '
    fish --no-config -c "source $1; complete -C \"opsdeck \"" | cut -f1 | grep -qx doctor' _ "$COMP/opsdeck.fish"
# fish's own completion engine: complete -C LINE
fcomp() {
    (cd "$T/work" && PATH="$(dirname "$O"):$PATH" fish --no-config -c \
        "source $COMP/opsdeck.fish; complete -C '$1'" | cut -f1 | sort -u)
}
fonly() {
    local out want
    out=$(fcomp "$1")
    shift
    want=$(printf '%s\n' "$@" | sort -u)
    [ "$out" = "$want" ] || {
        echo "# fish offers: $(tr '\n' ' ' <<<"$out"), want: $*"
        return 1
    }
}
fhas() {
    local out w
    out=$(fcomp "$1")
    shift
    for w in "$@"; do
        grep -qxF -- "$w" <<<"$out" || {
            echo "# fish offers: $(tr '\n' ' ' <<<"$out") (no '$w')"
            return 1
        }
    done
}
check "fish: act BACKEND from the config" fonly "opsdeck act -c ops.ini " edge-lb kube
check "fish: act PANE" fonly "opsdeck act -c ops.ini kube " deploys
check "fish: act VERB" fonly "opsdeck act -c ops.ini edge-lb pools d" drain
check "fish: themes" fhas "opsdeck -t " dark light high-contrast mono solarized-night
check "fish: drill options" fhas "opsdeck drill --" --resume --recover --give-up --wheel
check "fish: run --resume: the run ids" fonly "opsdeck run --resume " "$ID1" "$ID2"
check "fish: join: the run ids" fhas "opsdeck join " "$ID1" "$ID2"
check "fish: doctor --backend" fonly "opsdeck doctor -c ops.ini --backend " edge-lb kube quiet
check "fish: run FILE: runbooks" fhas "opsdeck run books/" books/pool.md books/game.json
check "zsh: the file defines _opsdeck" zsh -fc "source $COMP/_opsdeck 2>/dev/null; whence -w _opsdeck | grep -q function"

# zsh's real completion: an interactive zsh in a zpty, Tab sent (tests/zsh-capture.zsh)
zcomp() {
    (cd "$T/work" && PATH="$(dirname "$O"):$PATH" timeout 30 zsh -f "$SRC/tests/zsh-capture.zsh" \
        "$COMP" "$1" | sort -u)
}
zhas() {
    local out w
    out=$(zcomp "$1")
    shift
    for w in "$@"; do
        grep -qxF -- "$w" <<<"$out" || {
            echo "# zsh offers: $(tr '\n' ' ' <<<"$out") (no '$w')"
            return 1
        }
    done
}
zonly() {
    local out want
    out=$(zcomp "$1")
    shift
    want=$(printf '%s\n' "$@" | sort -u)
    [ "$out" = "$want" ] || {
        echo "# zsh offers: $(tr '\n' ' ' <<<"$out"), want: $*"
        return 1
    }
}
check "zsh: subcommands" zonly "opsdeck " snapshot lint act drill join run runs report doctor
check "zsh: snapshot options" zhas "opsdeck snapshot --" --json --theme --seed --demo-mode
check "zsh: themes" zhas "opsdeck -t " dark light high-contrast mono solarized-night
check "zsh: act BACKEND from -c's config" zonly "opsdeck act -c ops.ini " edge-lb kube
check "zsh: act PANE" zonly "opsdeck act -c ops.ini kube " deploys
check "zsh: act VERB after --yes" zonly "opsdeck act --yes -c ops.ini edge-lb pools d" drain
check "zsh: run --resume: the run ids" zonly "opsdeck run --resume " "$ID1" "$ID2"
check "zsh: report: the run ids" zhas "opsdeck report " "$ID1" "$ID2"
check "zsh: doctor --backend" zonly "opsdeck doctor -c ops.ini --backend " edge-lb kube quiet
check "zsh: run FILE: runbooks" zhas "opsdeck run books/" books/pool.md books/game.json

done_testing
