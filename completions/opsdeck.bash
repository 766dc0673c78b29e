# bash completion for opsdeck(1)                           -*- shell-script -*-
#
# Subcommands and their options (opsdeck --help), theme names, run ids (from
# `opsdeck runs --ids`), runbook and drill files, config files, and for `act`
# BACKEND PANE VERB from the config (`opsdeck act --list`, which reads the
# config given with -c on the line without polling anything).
# Installed as share/bash-completion/completions/opsdeck.

# The opsdeck being completed, as typed (a path too), ~ expanded.
_opsdeck_cmd()
{
    local c=${COMP_WORDS[0]}
    [[ $c == "~/"* ]] && c=$HOME/${c#"~/"}
    printf '%s\n' "$c"
}

# -c FILE / --config FILE given on the line: sets the array _opsdeck_cfg.
_opsdeck_find_config()
{
    _opsdeck_cfg=()
    local i w
    for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
        ((i == COMP_CWORD)) && continue
        case ${COMP_WORDS[i]} in
            -c | --config)
                ((i + 1 == COMP_CWORD)) && continue
                w=${COMP_WORDS[i + 1]}
                [[ $w == "~/"* ]] && w=$HOME/${w#"~/"}
                _opsdeck_cfg=(-c "$w")
                ;;
        esac
    done
}

# The config file's path (for reading [backend "NAME"] headers).
_opsdeck_config_file()
{
    if ((${#_opsdeck_cfg[@]})); then
        printf '%s\n' "${_opsdeck_cfg[1]}"
    else
        printf '%s\n' "${XDG_CONFIG_HOME:-$HOME/.config}/opsdeck/config.ini"
    fi
}

_opsdeck_themes()
{
    local d f names="dark light high-contrast mono"
    for d in "${XDG_CONFIG_HOME:-$HOME/.config}/opsdeck/themes" /usr/share/opsdeck/themes \
        /usr/local/share/opsdeck/themes; do
        for f in "$d"/*.theme; do
            [[ -f $f ]] || continue
            f=${f##*/}
            names+=" ${f%.theme}"
        done
    done
    printf '%s\n' "$names"
}

_opsdeck_run_ids()
{
    "$(_opsdeck_cmd)" runs --ids "${_opsdeck_cfg[@]}" 2>/dev/null
}

# The config's actions: BACKEND<TAB>PANE<TAB>VERB<TAB>LABEL lines.
_opsdeck_actions()
{
    "$(_opsdeck_cmd)" act --list "${_opsdeck_cfg[@]}" 2>/dev/null
}

_opsdeck_backends()
{
    local f
    f=$(_opsdeck_config_file)
    if [[ -r $f ]]; then
        sed -n 's/^[[:space:]]*\[[[:space:]]*backend[[:space:]]*"\([^"]*\)".*/\1/p' "$f"
    else
        printf 'demo\n'
    fi
}

# Files with one of the extensions ("md|json"), and directories to walk into.
_opsdeck_files()
{
    if declare -F _filedir >/dev/null; then
        _filedir "$1"
        return
    fi
    local IFS=$'\n' restore=
    shopt -q extglob || {
        shopt -s extglob
        restore=1
    }
    COMPREPLY+=($(compgen -d -- "$cur") $(compgen -f -X "!*.@($1)" -- "$cur"))
    [[ $restore ]] && shopt -u extglob
}

_opsdeck_words()
{
    local IFS=$'\n'
    COMPREPLY+=($(compgen -W "$1" -- "$cur"))
}

_opsdeck()
{
    local cur prev sub
    COMPREPLY=()
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    local subs="snapshot lint act drill join run runs report doctor"
    sub=
    if ((COMP_CWORD > 1)); then
        case " $subs " in *" ${COMP_WORDS[1]} "*) sub=${COMP_WORDS[1]} ;; esac
    fi
    _opsdeck_find_config

    # values of options, whatever the subcommand
    case $prev in
        -c | --config)
            _opsdeck_files 'ini'
            return
            ;;
        -t | --theme)
            _opsdeck_words "$(_opsdeck_themes | tr ' ' '\n')"
            return
            ;;
        --demo-mode)
            _opsdeck_words $'live\nstill\ntrickle'
            return
            ;;
        --resume | --give-up | --from-run)
            _opsdeck_words "$(_opsdeck_run_ids)"
            return
            ;;
        --wheel)
            local IFS=$'\n'
            COMPREPLY=($(compgen -d -- "$cur"))
            return
            ;;
        --backend)
            _opsdeck_words "$(_opsdeck_backends)"
            return
            ;;
        --seed | --demo-queues | --demo-alerts | --exit-after | --view | --input | --confirm | --var | \
            --report-to | --players | --since | --until | --timeout)
            return # a value of the user's
            ;;
    esac

    local common="-c --config -r --read-only -t --theme"
    local opts
    case $sub in
        "")
            if ((COMP_CWORD == 1)) && [[ $cur != -* ]]; then
                _opsdeck_words "$(tr ' ' '\n' <<<"$subs")"
                return
            fi
            opts="$common --seed --demo-mode --demo-queues --demo-alerts --exit-after --view --keys -h --help
                -V --version"
            ;;
        snapshot) opts="$common --json --seed --demo-mode --demo-queues --demo-alerts --exit-after" ;;
        lint)
            if [[ $cur != -* ]]; then
                _opsdeck_files 'md|markdown|json|ini'
                return
            fi
            opts="--strict"
            ;;
        act)
            if [[ $cur != -* ]]; then
                # BACKEND PANE VERB TARGET: which one is this word?
                local i pos=0 w args=()
                for ((i = 2; i < COMP_CWORD; i++)); do
                    w=${COMP_WORDS[i]}
                    case $w in
                        -c | --config | --input | --confirm) ((i++)) ;;
                        -*) ;;
                        *) args+=("$w") ;;
                    esac
                done
                pos=${#args[@]}
                local IFS=$'\n' lines
                lines=$(_opsdeck_actions)
                case $pos in
                    0) _opsdeck_words "$(cut -f1 <<<"$lines" | sort -u)" ;;
                    1) _opsdeck_words "$(awk -F'\t' -v b="${args[0]}" '$1 == b { print $2 }' \
                        <<<"$lines" | sort -u)" ;;
                    2) _opsdeck_words "$(awk -F'\t' -v b="${args[0]}" -v p="${args[1]}" \
                        '$1 == b && $2 == p { print $3 }' <<<"$lines")" ;;
                esac
                return
            fi
            opts="--yes --input --confirm --list -c --config -r --read-only"
            ;;
        run)
            if [[ $cur != -* ]]; then
                _opsdeck_files 'md|markdown|json'
                return
            fi
            opts="$common --var --plain --dry-run --resume"
            ;;
        drill)
            if [[ $cur != -* ]]; then
                _opsdeck_files 'md|markdown|json'
                return
            fi
            opts="$common --plain --resume --auto --report-to --players --recover --give-up
                --stop-all --release-lever --wheel --seed --from-run"
            ;;
        runs) opts="--ids -c --config" ;;
        join)
            if [[ $cur != -* ]]; then
                _opsdeck_words "$(_opsdeck_run_ids)"
                return
            fi
            opts="--projector -c --config -t --theme"
            ;;
        report)
            if [[ $cur != -* ]]; then
                _opsdeck_words "$(_opsdeck_run_ids)"
                return
            fi
            opts="--last --since --until --json --post -c --config"
            ;;
        doctor) opts="-c --config --backend --timeout --json" ;;
    esac
    _opsdeck_words "$(printf '%s\n' $opts)"
}

complete -F _opsdeck opsdeck
