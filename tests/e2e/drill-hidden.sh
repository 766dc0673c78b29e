#!/bin/bash
# The drill pane as the facilitator reads it: a tabletop drill that reads no
# pane takes the whole screen at 120x30 and at 80x24 (no table pane beside
# it; z brings the grid back), with the inject's code block drawn line for
# line, the image as its URL, the hidden text and the choice; b picks a
# branch (the other is skipped); a tabletop whose check reads a pane keeps
# the live panes beside it. (A participant not seeing the hidden text:
# e2e-warroom, through `opsdeck join`.)
. "$(dirname "$0")/lib.sh"

TT="$E2E_DIR/flood.md"
cat >"$TT" <<'EOF2'
# Flooded data centre

```opsdeck
drill: tabletop
duration: 30m
role: gm = Game master
role: db = DB expert
facilitator: gm
```

## Water in hall B
```opsdeck
at: T+00
to: all
hidden: HIDDENMARK the pumps fail at T+10
choice: failover -> db-failover | wait -> db-wait
```
Water is coming in. The log says:

```
12:01:03 ERROR  disk   /dev/sdb1 I/O error
```

See ![plan](https://wiki.example/b.png).

## Fail over the database
```opsdeck
id: db-failover
at: contingency
to: db
```
You fail over.

## Wait it out
```opsdeck
id: db-wait
at: T+10..15
to: db
```
You wait.
EOF2
sed -e 's/^facilitator: gm/facilitator: gm\n```\n\n## Pools up\n```opsdeck\ncheck: during\nuntil: pools be_web\/web1 status == UP\ntolerance: 1h/' "$TT" >"$E2E_DIR/panes.md"

for size in "120 30" "80 24"; do
    set -- $size
    e2e_start "$1" "$2" LANG=C.UTF-8 LC_ALL=C.UTF-8 -- drill "$TT"
    wait_for "Water in hall B" || not_ok "the drill opened at ${1}x$2"
    keys Enter
    check "${1}x$2: the inject fired" wait_for "The log says"
    check "${1}x$2: the tabletop takes the whole screen (no table pane)" screen_lacks -E "Alerts [0-9]+ firing|POOL +SERVER"
    check "${1}x$2: the drill pane's border spans the screen, alone on its row" screen_has -E '^┌─ [0-9] \[DRILL\] Flooded data centre ─+ running ─┐$'
    check "${1}x$2: the code block as written (blanks kept)" screen_has -F "12:01:03 ERROR  disk   /dev/sdb1 I/O error"
    check "${1}x$2: the image as its URL" wait_for "https://wiki.example/b.png"
    check "${1}x$2: the facilitator sees the hidden text" screen_has -F "facilitator only: HIDDENMARK"
    check "${1}x$2: and the choice" screen_has -F "choice: 1. failover -> db-failover"
    keys z
    check "${1}x$2: z brings the table panes back" wait_line "Alerts|Pools"
    keys z
    check "${1}x$2: z again: the drill alone" poll_until 5 screen_lacks -E "POOL +SERVER"
    tm kill-server
done

e2e_start 120 30 LANG=C.UTF-8 LC_ALL=C.UTF-8 -- drill "$TT"
wait_for "Water in hall B" || not_ok "the drill opened"
keys Enter
wait_for "The log says" || not_ok "the inject fired"
keys b
check "b asks which option" wait_for "Choose (1 failover, 2 wait)"
keys 2 Enter
check "the picked branch: the other is skipped" wait_line "Fail over the database.* skipped"
check "the choice is shown as made" wait_for "chosen: wait"
tm kill-server

e2e_start 120 30 LANG=C.UTF-8 LC_ALL=C.UTF-8 -- drill "$E2E_DIR/panes.md"
check "a drill whose check reads a pane keeps the live panes" wait_line "POOL +SERVER"
check "beside the drill" screen_has -F "Flooded data centre"

done_testing
