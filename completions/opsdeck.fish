# fish completion for opsdeck(1): subcommands and their options (opsdeck
# --help), theme names, run ids (`opsdeck runs --ids`), runbook, drill and
# config files, and act's BACKEND PANE VERB from the config (`opsdeck act
# --list`, which honours a -c FILE typed earlier and polls nothing).
# Installed as share/fish/vendor_completions.d/opsdeck.fish.

# -c FILE typed on the line, as arguments for opsdeck
function __opsdeck_cfg
    set -l words (commandline -opc)
    set -l n (count $words)
    for i in (seq 2 $n)
        if contains -- $words[$i] -c --config; and test $i -lt $n
            set -l f $words[(math $i + 1)]
            echo -c
            string replace -r '^~/' "$HOME/" -- $f
        end
    end
end

function __opsdeck_bin
    set -l words (commandline -opc)
    string replace -r '^~/' "$HOME/" -- $words[1]
end

function __opsdeck_themes
    printf '%s\n' dark light high-contrast mono
    set -l cfg $XDG_CONFIG_HOME
    test -n "$cfg"; or set cfg $HOME/.config
    for d in $cfg/opsdeck/themes /usr/share/opsdeck/themes /usr/local/share/opsdeck/themes
        for f in $d/*.theme
            basename $f .theme
        end
    end
end

function __opsdeck_run_ids
    set -l bin (__opsdeck_bin)
    $bin runs --ids (__opsdeck_cfg) 2>/dev/null
end

function __opsdeck_backend_names
    set -l cfg (__opsdeck_cfg)
    set -l f $cfg[2]
    if test -z "$f"
        set -l d $XDG_CONFIG_HOME
        test -n "$d"; or set d $HOME/.config
        set f $d/opsdeck/config.ini
    end
    if test -r $f
        string replace -rf '^\s*\[\s*backend\s*"([^"]*)".*' '$1' <$f
    else
        echo demo
    end
end

# the positional words after `act` (options and their values left out)
function __opsdeck_act_args
    set -l words (commandline -opc)
    set -l skip 0
    for w in $words[3..-1]
        if test $skip = 1
            set skip 0
        else if contains -- $w -c --config --input --confirm
            set skip 1
        else if not string match -q -- '-*' $w
            echo $w
        end
    end
end

# act: BACKEND, then PANE, then VERB (with its label)
function __opsdeck_act_complete
    set -l args (__opsdeck_act_args)
    set -l bin (__opsdeck_bin)
    set -l lines ($bin act --list (__opsdeck_cfg) 2>/dev/null)
    switch (count $args)
        case 0
            for l in $lines
                string split -f1 \t -- $l
            end | sort -u
        case 1
            for l in $lines
                set -l f (string split \t -- $l)
                test "$f[1]" = "$args[1]"; and echo $f[2]
            end | sort -u
        case 2
            for l in $lines
                set -l f (string split \t -- $l)
                test "$f[1]" = "$args[1]" -a "$f[2]" = "$args[2]"; and printf '%s\t%s\n' $f[3] $f[4]
            end
    end
end

function __opsdeck_sub
    set -l words (commandline -opc)
    test (count $words) -ge 2; and contains -- $words[2] $argv
end

function __opsdeck_no_sub
    test (count (commandline -opc)) -eq 1
end

complete -c opsdeck -f
complete -c opsdeck -n __opsdeck_no_sub -a snapshot -d 'print every pane once and exit'
complete -c opsdeck -n __opsdeck_no_sub -a lint -d 'check a config, a runbook or a drill'
complete -c opsdeck -n __opsdeck_no_sub -a act -d 'one action, headless, through the audit log'
complete -c opsdeck -n __opsdeck_no_sub -a drill -d 'run a drill'
complete -c opsdeck -n __opsdeck_no_sub -a join -d 'follow a shared run or drill'
complete -c opsdeck -n __opsdeck_no_sub -a run -d 'run a runbook'
complete -c opsdeck -n __opsdeck_no_sub -a runs -d 'the runs in the state directory'
complete -c opsdeck -n __opsdeck_no_sub -a report -d 'the incident report'
complete -c opsdeck -n __opsdeck_no_sub -a doctor -d 'check the config against the real backends'

# every subcommand but lint takes -c
complete -c opsdeck -n "not __opsdeck_sub lint" -s c -l config -r -F -d 'config file (*.ini)'
complete -c opsdeck -n "not __opsdeck_sub lint runs report doctor act" -s t -l theme -x \
    -a '(__opsdeck_themes)' -d theme
complete -c opsdeck -n "not __opsdeck_sub lint runs report doctor join" -s r -l read-only \
    -d 'disable every action'

# the console
complete -c opsdeck -n __opsdeck_no_sub -l seed -x -d 'demo: random seed'
complete -c opsdeck -n "__opsdeck_no_sub; or __opsdeck_sub snapshot" -l demo-mode -x \
    -a 'live still trickle' -d 'demo mode'
complete -c opsdeck -n "__opsdeck_no_sub; or __opsdeck_sub snapshot" -l demo-queues -x -d 'demo: queue rows'
complete -c opsdeck -n "__opsdeck_no_sub; or __opsdeck_sub snapshot" -l demo-alerts -x -d 'demo: an alert storm of N alerts'
complete -c opsdeck -n "__opsdeck_no_sub; or __opsdeck_sub snapshot" -l exit-after -x -d 'quit after N s or Nf'
complete -c opsdeck -n __opsdeck_no_sub -l view -x -d 'start on a view'
complete -c opsdeck -n __opsdeck_no_sub -l keys -d 'every verb with its keys'
complete -c opsdeck -n __opsdeck_no_sub -s h -l help -d help
complete -c opsdeck -n __opsdeck_no_sub -s V -l version -d version

complete -c opsdeck -n "__opsdeck_sub snapshot" -l json -d JSON
complete -c opsdeck -n "__opsdeck_sub snapshot drill" -l seed -x -d seed

complete -c opsdeck -n "__opsdeck_sub lint" -l strict -d 'warnings fail too'
complete -c opsdeck -n "__opsdeck_sub lint" -k -a '(__fish_complete_suffix .ini; __fish_complete_suffix .json; __fish_complete_suffix .md)'

complete -c opsdeck -n "__opsdeck_sub act" -l yes -d 'confirm the action'
complete -c opsdeck -n "__opsdeck_sub act" -l input -x -d 'the value the action asks for'
complete -c opsdeck -n "__opsdeck_sub act" -l confirm -x -d 'the typed confirmation'
complete -c opsdeck -n "__opsdeck_sub act" -l list -d 'every action of the config'
complete -c opsdeck -n "__opsdeck_sub act" -a '(__opsdeck_act_complete)'

complete -c opsdeck -n "__opsdeck_sub run drill" -k -a '(__fish_complete_suffix .json; __fish_complete_suffix .md)'
complete -c opsdeck -n "__opsdeck_sub run drill" -l resume -x -a '(__opsdeck_run_ids)' -d 'resume a run'
complete -c opsdeck -n "__opsdeck_sub run drill" -l plain -d 'line mode'
complete -c opsdeck -n "__opsdeck_sub run" -l var -x -d k=v
complete -c opsdeck -n "__opsdeck_sub run" -l dry-run -d 'print the steps only'
complete -c opsdeck -n "__opsdeck_sub drill" -l auto -d unattended
complete -c opsdeck -n "__opsdeck_sub drill" -l report-to -x -d 'webhook URL'
complete -c opsdeck -n "__opsdeck_sub drill" -l players -x -d 'role=person,...'
complete -c opsdeck -n "__opsdeck_sub drill" -l recover -d 'roll back a crashed drill'
complete -c opsdeck -n "__opsdeck_sub drill" -l give-up -x -a '(__opsdeck_run_ids)' -d 'stop retrying a rollback'
complete -c opsdeck -n "__opsdeck_sub drill" -l stop-all -d 'the safety lever'
complete -c opsdeck -n "__opsdeck_sub drill" -l release-lever -d 'release the safety lever'
complete -c opsdeck -n "__opsdeck_sub drill" -l wheel -x -a '(__fish_complete_directories)' -d 'draw a drill from DIR'
complete -c opsdeck -n "__opsdeck_sub drill" -l from-run -x -a '(__opsdeck_run_ids)' -d 'a past run as a tabletop drill'

complete -c opsdeck -n "__opsdeck_sub runs" -l ids -d 'the run ids alone'

complete -c opsdeck -n "__opsdeck_sub join report" -a '(__opsdeck_run_ids)' -d 'run id'
complete -c opsdeck -n "__opsdeck_sub join" -l projector -d 'the room projector'
complete -c opsdeck -n "__opsdeck_sub report" -l last -d 'the last run'
complete -c opsdeck -n "__opsdeck_sub report" -l since -x -d from
complete -c opsdeck -n "__opsdeck_sub report" -l until -x -d to
complete -c opsdeck -n "__opsdeck_sub report doctor" -l json -d JSON
complete -c opsdeck -n "__opsdeck_sub report" -l post -d 'post to Slack'

complete -c opsdeck -n "__opsdeck_sub doctor" -l backend -x -a '(__opsdeck_backend_names)' -d backend
complete -c opsdeck -n "__opsdeck_sub doctor" -l timeout -x -d 'bound per backend'
