#!/usr/bin/env python3
"""
The format man pages keep up with the code (TAP).

Every config key, runbook step type and key, and drill key is extracted from
the C sources, never from a hand list, and must be documented in its page, in
the right place: a key is documented when it is the tag of a .TP (or .IP)
entry under the page's heading for its section (a config section, a backend
type, a step type, the drill block, injects, checks).

Where the keys come from:
  opsdeck.ini(5)    engine/config.c: the section names of section_header() and,
                    for each `case SECTION_X: return FN(...)` of on_pair(), the
                    keys FN compares `key` with; backends/backend.c
                    backend_configure() (every backend); each backend table's
                    .configure function (`.type = "T"`) with the functions it
                    hands `key` to (http.c's common HTTP keys, the prometheus
                    signals keys).
  opsdeck-runbook(5) engine/runbook.c: the keys[] table (with the step types
                    each key belongs to), type_names[], the runbook block's
                    `var`; engine/runbook_json.c: the JSON members;
                    engine/cond.c: a condition's column words and operators.
  opsdeck-drill(5)  engine/drill.c block_kv(), inject_kv(), check_kv() and the
                    functions they hand the key to (drill_extra.c); the
                    section headings drill.c and drill_extra.c look for.

The handlers' values are checked too, more loosely: every word a key handler
(or a set_/parse/configure/_key helper it hands the value to) compares the
value with, or lists in a word array of its own, must be a word of the page
(tones, auth kinds, demo modes, notify services, channels, check times...).

Handlers are followed by name: a call that passes the key on is followed when
the callee is named *_key or *configure* (a helper that only looks at the key
for a message, parse_secs(), is not where keys are read). Every extraction
also asserts it found a plausible number of keys, so code that moves keys
somewhere this test does not look fails here instead of passing empty.

A key in the code that no page documents fails with the file and the place
to document it. ALLOW lists the only names left out, each with its reason.

Usage: mancover.py SOURCE_ROOT
"""
import os
import re
import subprocess
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
DOCS = os.path.join(ROOT, "docs")

# (page, key): why it is not documented. Internal names only, each with its reason.
# Empty today: every key the code reads is documented (the prometheus backend's
# service and service.NAME.KEY, how [service] sections reach it, are documented too).
ALLOW = {
}
# Section handlers whose keys are names the user chooses (no literal key to find).
FREE_FORM_SECTIONS = {
    "views": "NAME = VIEW-STRING: the view's name is the user's",
    "keys": "VERB = KEYS or PANE.VERB = KEYS: verbs come from the key tables",
}

n = 0
failed = 0


def check(ok, what):
    global n, failed
    n += 1
    print(("ok %d - %s" if ok else "not ok %d - %s") % (n, what))
    if not ok:
        failed += 1


def bail(msg):
    print("Bail out! " + msg)
    sys.exit(1)


# ---- C sources ----

def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def strip_comments(src):
    src = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), src, flags=re.S)
    return re.sub(r"//[^\n]*", "", src)


FUNC_RE = re.compile(r"^(?:static\s+)?(?:const\s+)?[A-Za-z_][\w\s\*]*?\b(\w+)\(([^;{]*?)\)\s*\n\{",
                     re.M)


def functions(path):
    """{name: (params, body, path)} of the functions defined in a C file."""
    src = strip_comments(read(path))
    out = {}
    for m in FUNC_RE.finditer(src):
        depth, i = 0, m.end() - 1
        while i < len(src):
            if src[i] == "{":
                depth += 1
            elif src[i] == "}":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        out[m.group(1)] = (m.group(2), src[m.end() - 1:i + 1], path)
    return out


def arrays(path):
    """{name: [strings]} of the string arrays a file defines."""
    src = strip_comments(read(path))
    out = {}
    for m in re.finditer(r"\bconst\s+char\s*\*\s*(?:const\s+)?(\w+)\s*\[[^\]]*\]\s*=\s*\{(.*?)\};",
                         src, re.S):
        out[m.group(1)] = re.findall(r'"([^"]*)"', m.group(2))
    return out


KEYVAR = r"(?:key|k|kv->key)"


def keys_of(body, arrs):
    """The keys a function body compares its key with: (exact keys, prefixes)."""
    exact, prefixes = set(), set()
    for m in re.finditer(r"\bstr(?:case)?cmp\(\s*" + KEYVAR + r"\s*,\s*\"([^\"]+)\"\s*\)", body):
        exact.add(m.group(1))
    local = {}  # a function's own arrays win over the file's (two functions may each have keys[])
    for m in re.finditer(r"\bconst\s+char\s*\*\s*(?:const\s+)?(\w+)\s*\[[^\]]*\]\s*=\s*\{(.*?)\};",
                         body, re.S):
        local[m.group(1)] = re.findall(r'"([^"]*)"', m.group(2))
    arrs = dict(arrs, **local)
    for m in re.finditer(r"\bstr(?:case)?cmp\(\s*" + KEYVAR + r"\s*,\s*(\w+)\s*\[", body):
        if m.group(1) not in arrs:
            bail("keys compared with %s[], an array this test cannot find" % m.group(1))
        exact.update(arrs[m.group(1)])
    for m in re.finditer(r"\bstr_has_prefix\(\s*" + KEYVAR + r"\s*,\s*\"([^\"]+)\"\s*\)", body):
        prefixes.add(m.group(1))
    for m in re.finditer(r"\bstrn(?:case)?cmp\(\s*" + KEYVAR + r"\s*,\s*\"([^\"]+)\"\s*,\s*\d+\s*\)",
                         body):
        prefixes.add(m.group(1))
    return exact, prefixes


def handed_key(body, funcs):
    """The key handlers of funcs a body calls with its key (a bare key, k or kv argument)."""
    out = []
    for m in re.finditer(r"\b(\w+)\(([^;]*?)\)", body):
        name, args = m.group(1), m.group(2)
        # only key handlers (…_key, …configure…): a helper such as parse_secs() that looks
        # at the key for an error message is not where keys are read
        if not re.search(r"_key$|configure", name):
            continue
        if name in funcs and re.search(r"(?:^|,)\s*(?:key|k|kv)\s*(?:,|$)", args):
            out.append(name)
    return out


def collect(name, funcs, arrs, seen=None):
    """Keys of a function and of every function it hands its key to."""
    seen = seen if seen is not None else set()
    if name in seen:
        return set(), set()
    seen.add(name)
    params, body, path = funcs[name]
    exact, prefixes = keys_of(body, arrs[path])
    for callee in handed_key(body, funcs):
        e, p = collect(callee, funcs, arrs, seen)
        exact |= e
        prefixes |= p
    return exact, prefixes


VALVAR = r"(?:v|value|w|kv->value)"


def values_of(body, arrs):
    """The words a key handler takes as values: compared literals and its own word lists."""
    vals = set(re.findall(r"\bstrn?(?:case)?cmp\(\s*" + VALVAR + r"\s*,\s*\"([^\"]+)\"", body))
    for m in re.finditer(r"\bconst\s+char\s*\*\s*(?:const\s+)?(\w+)\s*\[[^\]]*\]\s*=\s*\{(.*?)\};",
                         body, re.S):
        if re.search(r"\bstr(?:case)?cmp\(\s*" + KEYVAR + r"\s*,\s*" + m.group(1) + r"\s*\[", body):
            continue  # the key names, not values
        vals.update(re.findall(r'"([^"]*)"', m.group(2)))
    return {v for v in vals if v}


def collect_values(name, funcs, arrs, seen=None):
    """Values of a key handler and of the handlers it hands its key or value to."""
    seen = seen if seen is not None else set()
    if name in seen or name not in funcs:
        return set()
    seen.add(name)
    params, body, path = funcs[name]
    vals = values_of(body, arrs[path])
    for m in re.finditer(r"\b(\w+)\(([^;]*?)\)", body):
        callee, args = m.group(1), m.group(2)
        if callee in funcs and re.search(r"_key$|configure|^set_|parse|pane", callee) and \
                re.search(r"(?:^|,)\s*(?:key|k|kv|value|v)\s*(?:,|$)", args):
            vals |= collect_values(callee, funcs, arrs, seen)
    return vals


def want_values(pagename, text, vals, origin):
    """Each value a handler takes is a word of the page."""
    missing = sorted(v for v in vals if not re.search(r"(?<![\w-])" + re.escape(v) + r"(?![\w-])", text))
    check(not missing, "%s names every value %s takes (%d: %s)%s" % (
        pagename, origin, len(vals), " ".join(sorted(vals)),
        "" if not missing else ": missing " + ", ".join(missing)))


def load(paths):
    funcs, arrs = {}, {}
    for p in paths:
        funcs.update(functions(p))
        arrs[p] = arrays(p)
    # arrays are file-local: give each function its file's arrays
    return funcs, arrs


# ---- roff pages ----

def roff_text(s):
    """A roff line as the reader sees it, near enough: fonts, escapes, quotes gone."""
    s = re.sub(r"^\.(?:B|I|BR|RB|BI|IB|IR|RI|SM|SB)\s+", "", s)
    s = re.sub(r"\\f(?:\[[^\]]*\]|\(..|.)", "", s)
    s = s.replace("\\(dq", '"').replace("\\-", "-").replace("\\e", "\\").replace("\\&", "")
    s = s.replace("\\ ", " ").replace("\\~", " ").replace("\\(em", "--").replace("\\(en", "-")
    s = s.replace('"', " ") if s.count('"') and not re.search(r'\w"\w', s) else s
    return s


def page(name):
    """(headings, entries) of a page: entries are (heading, tag text)."""
    path = os.path.join(DOCS, name)
    if not os.path.exists(path):
        return None
    lines = open(path, encoding="utf-8").read().split("\n")
    heading, sh = "", ""
    entries, headings = [], []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith(".SH") or line.startswith(".SS"):
            text = line[3:].strip()
            if text.startswith('"') and text.endswith('"'):
                text = text[1:-1]
            text = roff_text(text.replace('\\"', '"'))
            if line.startswith(".SH"):
                sh = text
                heading = text
            else:
                heading = sh + " / " + text
            headings.append(heading)
        elif line.startswith(".TP") or line.startswith(".TQ"):
            if i + 1 < len(lines):
                entries.append((heading, raw_tag(lines[i + 1])))
        elif line.startswith(".IP "):
            entries.append((heading, raw_tag(line[4:])))
        i += 1
    return headings, entries


def roff_args(rest):
    """A macro's arguments: blank-separated, "quoted" ones kept whole."""
    return [a[1:-1] if a.startswith('"') else a
            for a in re.findall(r'"(?:[^"]|"")*"|\S+', rest)]


def raw_tag(line):
    """The words of a .TP tag: key names separated by blanks, commas, slashes."""
    m = re.match(r"^\.(BR|RB|BI|IB|IR|RI)\s+(.*)$", line)
    if m:  # alternating fonts: the arguments are set without blanks between them
        line = "".join(roff_args(m.group(2)))
    s = re.sub(r"^\.(?:B|I)\s+", "", line)
    s = re.sub(r"\\f(?:\[[^\]]*\]|\(..|.)", "", s)
    s = s.replace("\\-", "-").replace("\\(dq", '"').replace("\\&", "")
    s = s.replace('"', " ")
    return [w for w in re.split(r"[\s,/]+|\bor\b", s) if w]


def rendered(name):
    """The page as text (groff, no hyphenation, one long line per paragraph), blanks squeezed."""
    path = os.path.join(DOCS, name)
    out = subprocess.run(["groff", "-man", "-Tascii", "-P-cbou", "-rHY=0", "-rLL=1000n", path],
                         capture_output=True, text=True)
    return re.sub(r"\s+", " ", out.stdout)


def documented(pg, key, prefix, markers):
    """True when key is the tag of an entry under a heading containing one of markers."""
    for heading, words in pg[1]:
        if markers and not any(m.lower() in heading.lower() for m in markers):
            continue
        for w in words:
            if (not prefix and w == key) or (prefix and w.startswith(key) and len(w) > len(key)):
                return True
    return False


def want(pagename, pg, key, prefix, markers, origin):
    if (pagename, key) in ALLOW:
        check(True, "%s: %s %s # SKIP allowlisted: %s" % (pagename, key, origin, ALLOW[(pagename, key)]))
        return
    shown = key + ("NAME" if prefix else "")
    where = " or ".join("'%s'" % m for m in markers) if markers else "anywhere"
    check(documented(pg, key, prefix, markers),
          "%s documents %s (%s) under %s" % (pagename, shown, origin, where))


def need_page(name):
    pg = page(name)
    check(pg is not None, "docs/%s exists" % name)
    return pg


# ---- opsdeck.ini(5) ----

def ini():
    name = "opsdeck.ini.5"
    pg = need_page(name)
    if pg is None:
        return
    # a section handler may hand its key to a function of another file (prom_service_key()
    # for [service]): every engine and backend file is read, config.c's own functions win
    every = sorted(d + "/" + f for d in ("engine", "backends")
                   for f in os.listdir(os.path.join(ROOT, d)) if f.endswith(".c"))
    funcs, arrs = load([f for f in every if f != "engine/config.c"] + ["engine/config.c"])
    text = rendered(name)
    _, header, _ = funcs["section_header"]
    sections = re.findall(r"\b(?:strcmp|str_has_prefix)\(\s*inner\s*,\s*\"(\w+)\"\s*\)", header)
    check(len(sections) >= 8, "config.c: %d section names found (%s)" % (len(sections), ", ".join(sections)))
    named = set(re.findall(r"\bstr_has_prefix\(\s*inner\s*,\s*\"(\w+)\"\s*\)", header))
    for s in sections:
        form = '[%s "NAME"]' % s if s in named else "[%s]" % s
        check(any(("[" + s) in h for h in pg[0]), "%s has a heading for %s" % (name, form))
    _, on_pair, _ = funcs["on_pair"]
    cases = re.findall(r"case\s+SECTION_(\w+)\s*:\s*return\s+(\w+)\(", on_pair)
    check(len(cases) >= 8, "config.c on_pair: %d section handlers found" % len(cases))
    for sec, fn in cases:
        s = sec.lower()
        check(s in sections, "config.c: SECTION_%s is the section [%s]" % (sec, s))
        exact, prefixes = collect(fn, funcs, arrs)
        if s in FREE_FORM_SECTIONS:
            check(True, "[%s] takes user names (%s): %s" % (s, FREE_FORM_SECTIONS[s], fn))
            continue
        check(exact or prefixes, "config.c %s: keys found for [%s] (else teach this test how %s reads them)"
              % (fn, s, fn))
        markers = ["[%s]" % s, "[%s " % s]
        for k in sorted(exact):
            want(name, pg, k, False, markers, "config.c %s" % fn)
        for k in sorted(prefixes):
            want(name, pg, k, True, markers, "config.c %s" % fn)
        want_values(name, text, collect_values(fn, funcs, arrs), "[%s] (config.c %s)" % (s, fn))

    # every backend: backends/backend.c
    bfuncs, barrs = load(["backends/backend.c"])
    exact, prefixes = collect("backend_configure", bfuncs, barrs)
    check(len(exact) >= 4, "backend.c backend_configure: %d keys found" % len(exact))
    for k in sorted(exact):
        want(name, pg, k, False, ['[backend '], "backend.c backend_configure")
    want_values(name, text, collect_values("backend_configure", bfuncs, barrs), "backend.c backend_configure")

    # each backend type: its table's .configure and what it hands key to
    files = sorted("backends/" + f for f in os.listdir(os.path.join(ROOT, "backends")) if f.endswith(".c"))
    funcs, arrs = load(files)
    real = []
    for f in files:
        src = strip_comments(read(f))
        for m in re.finditer(r"struct\s+backend_impl\s+\w+\s*=\s*\{(.*?)\};", src, re.S):
            t = re.search(r"\.type\s*=\s*\"([\w-]+)\"", m.group(1))
            cfg = re.search(r"\.configure\s*=\s*(\w+)", m.group(1))
            if t:
                real.append((t.group(1), cfg.group(1) if cfg else None, f))
    check(len(real) >= 9, "backends: %d types found (%s)" % (len(real), ", ".join(t[0] for t in real)))
    for t, fn, f in real:
        check(any(("type = " + t) in h for h in pg[0]), "%s has a heading for type = %s" % (name, t))
        if fn is None:
            continue
        exact, prefixes = collect(fn, funcs, arrs)
        markers = ["type = " + t, "common keys"]
        for k in sorted(exact):
            want(name, pg, k, False, markers, "%s %s" % (f, fn))
        for k in sorted(prefixes):
            want(name, pg, k, True, markers, "%s %s" % (f, fn))
        want_values(name, text, collect_values(fn, funcs, arrs), "type = %s (%s %s)" % (t, f, fn))
    for what in ["opsdeck doctor", ":reload", "SIGHUP", "opsdeck lint"]:
        check(what in text, "%s mentions %s" % (name, what))


# ---- opsdeck-runbook(5) ----

def runbook():
    name = "opsdeck-runbook.5"
    pg = need_page(name)
    if pg is None:
        return
    src = strip_comments(read("engine/runbook.c"))
    tn = re.search(r"type_names\[\]\s*=\s*\{(.*?)\};", src, re.S)
    types = dict(re.findall(r"\[(RB_\w+)\]\s*=\s*\"([\w-]+)\"", tn.group(1))) if tn else {}
    check(len(types) >= 8, "runbook.c: %d step types found (%s)" % (len(types), ", ".join(types.values())))
    for t in types.values():
        check(any(("type: " + t) in h for h in pg[0]), "%s has a heading for type: %s" % (name, t))
    mask_bits = {}
    for m in re.finditer(r"\b(M_\w+)\s*=\s*1u\s*<<\s*(RB_\w+)", src):
        mask_bits[m.group(1)] = types.get(m.group(2))
    table = re.search(r"\bkeys\[K_COUNT\]\s*=\s*\{(.*?)\n\};", src, re.S)
    rows = re.findall(r"\[K_\w+\]\s*=\s*\{\s*\"([\w-]+)\"\s*,\s*([^,]+),", table.group(1)) if table else []
    check(len(rows) >= 25, "runbook.c keys[]: %d step keys found" % len(rows))
    for key, mask in rows:
        if "M_ALL" in mask:
            want(name, pg, key, False, ["every step"], "runbook.c keys[], every step")
            continue
        for bit in re.findall(r"M_\w+", mask):
            t = mask_bits.get(bit)
            check(t is not None, "runbook.c keys[]: %s's type %s is known" % (key, bit))
            if t is not None:
                want(name, pg, key, False, ["type: " + t], "runbook.c keys[], %s steps" % t)
    funcs, arrs = load(["engine/runbook.c"])
    want_values(name, rendered(name), values_of(funcs["apply_kv"][1], arrs["engine/runbook.c"]),
                "a step's keys (runbook.c apply_kv)")
    blk = re.findall(r"strcmp\(kv->key,\s*\"(\w+)\"\)\s*!=\s*0", funcs["runbook_block"][1])
    check(blk == ["var"] or len(blk) >= 1, "runbook.c runbook_block: keys %s" % blk)
    for k in blk:
        want(name, pg, k, False, ["runbook block"], "runbook.c runbook_block")
    # conditions (engine/cond.c): the column words and the operators
    cond = strip_comments(read("engine/cond.c"))
    al = re.search(r"\baliases\[\]\s*=\s*\{(.*?)\n\};", cond, re.S)
    words = re.findall(r"\{\s*MODEL_\w+\s*,\s*\"(\w+)\"", al.group(1)) if al else []
    ops = re.search(r"\bop_names\[\]\s*=\s*\{(.*?)\};", cond, re.S)
    ops = re.findall(r'"([^"]+)"', ops.group(1)) if ops else []
    check(len(words) >= 8 and len(ops) >= 6, "cond.c: %d column words, %d operators" % (len(words), len(ops)))
    want_values(name, rendered(name), set(words) | set(ops), "in a condition (cond.c aliases[], op_names[])")
    js = strip_comments(read("engine/runbook_json.c"))
    members = set(re.findall(r"\bstrcmp\(\s*k\s*,\s*\"(\w+)\"\s*\)", js))
    members |= set(re.findall(r"\bjson_str\(\s*\w+\s*,\s*\"(\w+)\"\s*\)", js))
    check(len(members) >= 6, "runbook_json.c: %d JSON members found" % len(members))
    for k in sorted(members):
        want(name, pg, k, False, ["JSON"], "runbook_json.c")


# ---- opsdeck-drill(5) ----

def drill():
    name = "opsdeck-drill.5"
    pg = need_page(name)
    if pg is None:
        return
    funcs, arrs = load(["engine/drill.c", "engine/drill_extra.c"])
    for fn, markers, least in [("block_kv", ["drill block"], 14), ("inject_kv", ["injects"], 14),
                               ("check_kv", ["checks"], 7)]:
        exact, prefixes = collect(fn, funcs, arrs)
        check(len(exact) >= least, "drill.c %s: %d keys found" % (fn, len(exact)))
        for k in sorted(exact):
            want(name, pg, k, False, markers, "drill.c %s" % fn)
        for k in sorted(prefixes):
            want(name, pg, k, True, markers, "drill.c %s" % fn)
    text = rendered(name)
    for fn in ("block_kv", "inject_kv", "check_kv"):
        want_values(name, text, collect_values(fn, funcs, arrs), "(drill.c %s)" % fn)
    text = text.lower()
    titles = set()
    for f in ["engine/drill.c", "engine/drill_extra.c"]:
        titles |= set(re.findall(r"strcasecmp\(\s*n->title\s*,\s*\"([^\"]+)\"\s*\)", strip_comments(read(f))))
    check(len(titles) >= 3, "drill headings found: %s" % ", ".join(sorted(titles)))
    for t in sorted(titles):
        check(("## " + t) in text or ('"' + t + '"') in text or ("heading named " + t) in text
              or ("heading " + t) in text,
              "%s says what a heading named '%s' is" % (name, t))


# ---- every page: lint clean ----

def lint(name):
    path = os.path.join(DOCS, name)
    if not os.path.exists(path):
        return
    out = subprocess.run(["groff", "-ww", "-z", "-man", path], capture_output=True, text=True)
    check(out.returncode == 0 and out.stderr == "", "groff -ww -z -man %s: no warning%s"
          % (name, "" if not out.stderr else ": " + out.stderr.strip().replace("\n", " | ")))
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
    out = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", path], capture_output=True,
                         text=True, env=env)
    check(out.returncode == 0 and out.stderr == "", "man --warnings -l %s: no warning%s"
          % (name, "" if not out.stderr else ": " + out.stderr.strip().replace("\n", " | ")))


import shutil
for tool, pkg in (("groff", "groff-base"), ("man", "man-db")):
    if shutil.which(tool) is None:
        bail("%s is not installed (apt-get install %s): the pages cannot be checked" % (tool, pkg))
ini()
runbook()
drill()

# every format page is installed and named from opsdeck(1) and the other pages
build = re.sub(r"#[^\n]*", "", read("meson.build"))
installs = " ".join(re.findall(r"install_man\((.*?)\)", build, re.S))
pages = sorted(f for f in os.listdir(DOCS) if re.match(r".*\.[1-9]$", f))
for pg in pages:
    check("'docs/%s'" % pg in installs, "meson.build installs docs/%s (install_man)" % pg)
for pg in pages:
    text = rendered(pg)
    for other in pages:
        if other != pg and other.endswith(".5"):
            ref = "%s(%s)" % (other[:-2], other[-1])
            check(ref in text, "%s names %s" % (pg, ref))
for p in ["opsdeck.ini.5", "opsdeck-runbook.5", "opsdeck-drill.5", "opsdeck.1"]:
    lint(p)
print("1..%d" % n)
sys.exit(1 if failed else 0)
