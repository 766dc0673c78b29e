#!/bin/bash
# The Debian package, end to end: build it from a copy of the source tree with
# `dpkg-buildpackage -us -uc -b`, run lintian on the .deb (no E: or W: beyond
# debian/opsdeck.lintian-overrides), install it with apt-get, use the
# installed program (--version, lint of every installed runbook and drill, a
# demo snapshot, man -w for each page, the completions where each shell looks),
# then purge it and check that nothing it installed is left.
#
# Needs root (apt-get install/purge; CI runs as root): without it, it FAILS
# with a message, it does not skip. Refuses to run when an opsdeck package is
# already installed (it would replace it, then purge it). A trap purges the
# package on any failure or interruption. The packaging tools come from
# `scripts/deps --test` (debhelper, lintian, dpkg-dev, fakeroot, man-db,
# bash-completion).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../tap.sh"
src=${MESON_SOURCE_ROOT:-$(cd "$here/../.." && pwd)}

if [ "$(id -u)" -ne 0 ]; then
    echo "Bail out! tests/pkg/package.sh must run as root: it installs and purges the opsdeck package with apt-get (CI runs as root)"
    exit 1
fi
for tool in dpkg-buildpackage dh dpkg-checkbuilddeps lintian apt-get man meson python3; do
    command -v "$tool" >/dev/null 2>&1 ||
        { echo "Bail out! $tool is missing: scripts/deps --test installs the packaging tools"; exit 1; }
done
if dpkg-query -W -f='${Status}' opsdeck 2>/dev/null | grep -q 'install ok installed'; then
    echo "Bail out! an opsdeck package is already installed: this test would replace, then purge it (apt-get purge opsdeck first)"
    exit 1
fi

scratch pkg
installed=no
# apt's lock may be held by another apt run for a while: wait, do not fail.
# --path-include: a container's dpkg excludes (/usr/share/man, /usr/share/doc)
# would otherwise leave out exactly the files this test checks.
apt_opts=(-y -q -o DPkg::Lock::Timeout=300
    -o 'Dpkg::Options::=--path-include=/usr/share/man/*'
    -o 'Dpkg::Options::=--path-include=/usr/share/doc/opsdeck/*')
pkg_cleanup() {
    if [ "$installed" = yes ]; then
        DEBIAN_FRONTEND=noninteractive apt-get purge "${apt_opts[@]}" opsdeck >/dev/null 2>&1 ||
            dpkg --purge opsdeck >/dev/null 2>&1
    fi
    scratch_cleanup
}
trap pkg_cleanup EXIT

# --- the versions agree --------------------------------------------------------
mver=$(meson introspect --projectinfo "$src/meson.build" 2>/dev/null |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
dver=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
echo "# meson version $mver, debian/changelog $dver"
check "debian/changelog's upstream version ($dver) is meson's project version ($mver)" \
    test -n "$mver" -a "${dver%-*}" = "$mver"

# --- build ---------------------------------------------------------------------
# A copy of the tree as git sees it (tracked and new, not ignored: no build*/),
# or, outside git, the source dir without its build directories.
tree=$T/opsdeck-$mver
mkdir -p "$tree"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$src" && git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
        tar --null -T - -cf - | tar -xf - -C "$tree") || bail "cannot copy the source tree"
else
    (cd "$src" && tar --exclude='./build*' --exclude=./.git -cf - .) | (cd "$tree" && tar -xf -) ||
        bail "cannot copy the source tree"
fi
check "the build dependencies are installed (dpkg-checkbuilddeps)" \
    sh -c "cd '$tree' && dpkg-checkbuilddeps >'$T/builddeps.log' 2>&1"
t0=$SECONDS
# -j: debhelper builds serially unless told; both cores of the CI machine.
(cd "$tree" && dpkg-buildpackage -us -uc -b -j"$(nproc)" >"$T/build.log" 2>&1)
rc=$?
echo "# dpkg-buildpackage -us -uc -b: exit $rc in $((SECONDS - t0)) s"
check "dpkg-buildpackage -us -uc -b builds the package" test "$rc" -eq 0
[ "$rc" -eq 0 ] || sed 's/^/# build: /' "$T/build.log" | tail -40
arch=$(dpkg --print-architecture)
deb=$T/opsdeck_${dver}_$arch.deb
check "it made ../opsdeck_${dver}_$arch.deb" test -f "$deb"
[ -f "$deb" ] || bail "no package was built"

# --- what the .deb says ----------------------------------------------------------
depends=$(dpkg-deb -f "$deb" Depends)
echo "# Depends: $depends"
has_dep() { printf '%s\n' "$depends" | tr ',' '\n' | sed 's/^ *//' | grep -q "^$1\( \|$\)"; }
for l in libc6 libncursesw6 libtinfo6 libcurl4 libcjson1 libinih1 libmd4c0 'libnats[0-9.]*'; do
    check "Depends (dpkg-shlibdeps) names $l" has_dep "$l"
done
check "Depends hold no unexpanded substitution variable" sh -c "! dpkg-deb -f '$deb' Depends | grep -q '[$]{'"

# --- lintian -------------------------------------------------------------------
# -I --pedantic: the info and pedantic tags are shown (as comments) too, and
# an override that no longer matches anything shows as unused-override.
lintian -I --pedantic --tag-display-limit 0 "$deb" 2>&1 | grep -v '^running with root' >"$T/lintian.log"
sed 's/^/# lintian: /' "$T/lintian.log"
check "lintian: no error or warning on the .deb (beyond debian/opsdeck.lintian-overrides)" \
    sh -c "! grep -q '^[EW]: ' '$T/lintian.log'"
# An override that no longer matches a tag is itself a sign of rot.
check "lintian: every override is still used" \
    sh -c "! grep -q 'unused-override' '$T/lintian.log'"

# --- install -------------------------------------------------------------------
installed=yes
DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "$deb" >"$T/install.log" 2>&1
rc=$?
check "apt-get install ./opsdeck_${dver}_$arch.deb" test "$rc" -eq 0
[ "$rc" -eq 0 ] || { sed 's/^/# /' "$T/install.log" | tail -20; bail "the package does not install"; }
dpkg -L opsdeck | sort >"$T/files"

# --- use it --------------------------------------------------------------------
check "/usr/bin/opsdeck is the installed program" test -x /usr/bin/opsdeck
check "opsdeck --version says opsdeck $mver" \
    sh -c "test \"\$(/usr/bin/opsdeck --version)\" = 'opsdeck $mver'"
check "the binary holds no path into the build tree (-Dsource_dirs=false)" \
    sh -c "! grep -q -a -F '$T' /usr/bin/opsdeck"
for f in /usr/share/opsdeck/runbooks/*.md /usr/share/opsdeck/drills/*.md; do
    check "opsdeck lint $f" sh -c "/usr/bin/opsdeck lint '$f' >'$T/lint.log' 2>&1 ||
                                   { sed 's/^/# /' '$T/lint.log'; exit 1; }"
done
check "4 runbooks in /usr/share/opsdeck/runbooks" \
    test "$(find /usr/share/opsdeck/runbooks -name '*.md' | wc -l)" -eq 4
check "2 drills in /usr/share/opsdeck/drills" \
    test "$(find /usr/share/opsdeck/drills -name '*.md' | wc -l)" -eq 2
for t in dark light high-contrast mono; do
    check "theme $t in /usr/share/opsdeck/themes" test -f "/usr/share/opsdeck/themes/$t.theme"
done
check "opsdeck snapshot (the demo) works from the package" \
    sh -c "cd / && /usr/bin/opsdeck snapshot >'$T/snap.txt' 2>&1 && grep -q . '$T/snap.txt'"
check "opsdeck run --dry-run --plain on an installed runbook walks its steps" \
    sh -c "cd / && /usr/bin/opsdeck run /usr/share/opsdeck/runbooks/pool-server-down.md --dry-run --plain \
               </dev/null >'$T/dry.txt' 2>&1 && grep -q '^== .*step 1/' '$T/dry.txt'"

for page in 1:opsdeck 5:opsdeck.ini 5:opsdeck-runbook 5:opsdeck-drill; do
    sec=${page%%:*}
    name=${page#*:}
    want=/usr/share/man/man$sec/$name.$sec.gz
    check "man -w $sec $name finds $want" sh -c "test \"\$(man -w $sec $name 2>/dev/null)\" = $want"
done

check "bash completion in /usr/share/bash-completion/completions/opsdeck" \
    test -f /usr/share/bash-completion/completions/opsdeck
check "zsh completion in /usr/share/zsh/vendor-completions/_opsdeck" \
    test -f /usr/share/zsh/vendor-completions/_opsdeck
check "fish completion in /usr/share/fish/vendor_completions.d/opsdeck.fish" \
    test -f /usr/share/fish/vendor_completions.d/opsdeck.fish
if [ -f /usr/share/bash-completion/bash_completion ]; then
    # bash-completion's own loader finds it by the command's name, as in a login shell
    check "bash-completion loads the opsdeck completion on demand" \
        bash -c '. /usr/share/bash-completion/bash_completion && __load_completion opsdeck &&
                 complete -p opsdeck >/dev/null 2>&1'
fi

for f in README.md docs/configuration.md docs/runbooks.md docs/drills.md docs/war-room.md \
    docs/plugins.md docs/architecture.md; do
    check "/usr/share/doc/opsdeck/$f" \
        sh -c "test -f /usr/share/doc/opsdeck/$f || test -f /usr/share/doc/opsdeck/$f.gz"
done
check "/usr/share/doc/opsdeck/examples/plugins/plugins.ini" \
    test -f /usr/share/doc/opsdeck/examples/plugins/plugins.ini
check "/usr/share/doc/opsdeck/copyright and changelog.Debian.gz" \
    test -f /usr/share/doc/opsdeck/copyright -a -f /usr/share/doc/opsdeck/changelog.Debian.gz
check "/usr/share/lintian/overrides/opsdeck" test -f /usr/share/lintian/overrides/opsdeck

# --- remove --------------------------------------------------------------------
DEBIAN_FRONTEND=noninteractive apt-get purge "${apt_opts[@]}" opsdeck >"$T/purge.log" 2>&1
rc=$?
check "apt-get purge opsdeck" test "$rc" -eq 0
[ "$rc" -eq 0 ] && installed=no
check "dpkg no longer knows opsdeck" sh -c "! dpkg-query -W -f='\${Status}' opsdeck 2>/dev/null | grep -q installed"
left=$(while read -r f; do [ -f "$f" ] && echo "$f"; done <"$T/files")
[ -n "$left" ] && printf '# left behind: %s\n' $left
check "every file it installed ($(wc -l <"$T/files") paths) is gone" test -z "$left"
check "/usr/share/opsdeck and /usr/share/doc/opsdeck are gone" \
    test ! -e /usr/share/opsdeck -a ! -e /usr/share/doc/opsdeck

done_testing
