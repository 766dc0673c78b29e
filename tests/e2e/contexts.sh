#!/bin/bash
# Contexts over the demo (two demo backends, each in its own context): the
# title bar says which context(s) are shown, :ctx NAME narrows the rows and
# :ctx all brings the CONTEXT column back, X cycles all -> each -> all, :ctx
# alone lists them, a read-only context refuses an action (and nothing is
# audited as done), a protected one asks the row's name typed. NO_COLOR still
# says it in words.
. "$(dirname "$0")/lib.sh"

AUDIT="$XDG_STATE_HOME/opsdeck/audit.jsonl"
CFG="$E2E_DIR/contexts.ini"
cat >"$CFG" <<'INI'
[context "prod-eu"]
tone = crit
protected = true
description = EU production

[context "staging"]
tone = warn
read_only = true

[context "nobody"]
tone = ok

[backend "eu"]
type = demo
context = prod-eu
mode = still

[backend "stg"]
type = demo
context = staging
mode = still
seed = 7
INI

# lint: the config's [context] sections are checked as it loads them
check "lint accepts the contexts" sh -c '"$1" lint "$2" | grep -q ": ok (2 backends)"' _ "$OPSDECK" "$CFG"
sed 's/^tone = warn$/tone = red/' "$CFG" >"$E2E_DIR/bad.ini"
"$OPSDECK" lint "$E2E_DIR/bad.ini" >"$E2E_DIR/lint.out" 2>&1
check "lint: an unknown tone exits 2" test $? = 2
check "lint: ... naming file:line and the tones" grep -qF \
    "bad.ini:7: bad tone 'red' for context 'staging' (normal, ok, info, warn, crit or muted)" "$E2E_DIR/lint.out"

e2e_start 160 40 LANG=C.UTF-8 -- -c "$CFG"
check "all shown: the title says both, with their flags" \
    wait_for "[all: prod-eu PROTECTED, staging READ-ONLY]"
keys 3
check "all shown: the CONTEXT column in the pools" wait_line "│POOL .* CONTEXT"
check "all shown: rows of both contexts" wait_line "web2 .* prod-eu"
check "... and of staging" wait_line "web2 .* staging"
check "all shown: 24 pools" wait_for "3 Pools 24 up"

keys : c t x Space p r o d - e u Enter
check ":ctx prod-eu: the title says it" wait_for " opsdeck [prod-eu PROTECTED] "
check ":ctx prod-eu: its 12 pools only" wait_for "3 Pools 12 up"
check ":ctx prod-eu: no CONTEXT column with one context" wait_gone "CONTEXT"
check ":ctx prod-eu: said" wait_for "context: prod-eu"

keys : c t x Space a l l Enter
check ":ctx all: the CONTEXT column is back" wait_line "│POOL .* CONTEXT"
check ":ctx all: every pool" wait_for "3 Pools 24 up"

keys : c t x Space n o p e Enter
check ":ctx with an unknown name: says which exist" \
    wait_for "no context 'nope' (contexts: prod-eu, staging)"

keys : c t x Enter
check ":ctx alone lists the contexts with their flags" \
    wait_for "contexts: prod-eu (crit, protected, EU production), staging (warn, read-only); shown: all"

keys X
check "X: the first context" wait_for "[prod-eu PROTECTED]"
keys X
check "X again: the next" wait_for " opsdeck [staging READ-ONLY] "
check "X: staging's pools only" wait_for "3 Pools 12 up"
keys X
check "X after the last: all again" wait_for "[all: prod-eu PROTECTED, staging READ-ONLY]"

keys ?
wait_for "Help"
keys G
check "? shows the key" wait_line "X +show the next context \(all, each one, all again; :ctx\)"
keys Escape

# a read-only context: refused with the reason, nothing done
keys X X / w e b 2 Enter
wait_for " opsdeck [staging READ-ONLY] "
keys d
check "read-only context: the drain is refused, with why" \
    wait_for "Drain server be_web/web2: context staging is read-only"
check "read-only context: web2 still UP" wait_line "be_web +web2 +UP"
no_ok_line() { ! grep -qs '"result":"ok"' "$AUDIT"; }
check "read-only context: nothing done (no ok in the audit log)" no_ok_line

# a protected context: the typed confirmation, and why
keys X X
wait_for " opsdeck [prod-eu PROTECTED] "
keys d
check "protected: the dialog says why it asks" wait_for "prod-eu is protected: type web2 to confirm"
check "protected: the typed field" wait_for "Type 'web2' to confirm"
keys w e b 3 Enter
check "protected: a wrong word does not confirm" wait_for "'web3' is not 'web2'"
keys C-u w e b 2 Enter
check "protected: typed, web2 drains" wait_line "be_web +web2 +DRAIN"
check "protected: the drain is audited ok on eu" \
    grep -q '"action":"drain","target":"be_web/web2","result":"ok","data":{"backend":"eu"' "$AUDIT"
keys q
check "it quits with status 0" test "$(wait_exit)" = 0

# NO_COLOR: the context still in words
e2e_start 120 30 LANG=C.UTF-8 NO_COLOR=1 -- -c "$CFG"
check "NO_COLOR: the title says the contexts in text" \
    wait_for "[all: prod-eu PROTECTED, staging READ-ONLY]"
keys X
check "NO_COLOR: one context, in words" wait_for "[prod-eu PROTECTED]"
keys q
wait_exit >/dev/null

# a view carries its context: pasted, then saved and restored after a restart
e2e_start 160 40 LANG=C.UTF-8 -- -c "$CFG" --view 'pools;ctx=staging;filter=web2'
check "--view with ctx=staging: the title says staging" wait_for " opsdeck [staging READ-ONLY] "
check "... staging's web2 rows only" wait_line "be_web +web2 +UP"
check "... no CONTEXT column (one context shown)" wait_gone "CONTEXT"
keys : v i e w Space s a v e Space s t g Enter
check ":view save stg: said" wait_for "stg"
keys X
check "X moves on from the view's context" wait_for "[all: prod-eu PROTECTED, staging READ-ONLY]"
keys q
wait_exit >/dev/null
grep -q '^stg = pools;ctx=staging;filter=web2' "$XDG_STATE_HOME/opsdeck/views"
check "the saved view names its context" test $? = 0
e2e_start 160 40 LANG=C.UTF-8 -- -c "$CFG" --view stg
check "--view stg after a restart: staging again" wait_for " opsdeck [staging READ-ONLY] "
check "... filtered on web2" wait_line "be_web +web2 +UP"
keys q
wait_exit >/dev/null

# one context named default, no flags (every config until now): nothing new on screen
e2e_start 120 30 LANG=C.UTF-8 -- --seed 7
check "no contexts: no label in the title" wait_line "^ opsdeck  DEMO "
keys 3
check "no contexts: no CONTEXT column" wait_gone "CONTEXT"
keys q
wait_exit >/dev/null
done_testing
