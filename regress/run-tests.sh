#!/usr/bin/env bash
# Runs every cellcdc test suite, from a fresh Debian 12 machine if need be.
#
# As root it installs the packages it lacks, builds, installs (make install,
# then again from the PGXN zip with pgxnclient, so the packaged path is
# tested too), and runs the suites as an unprivileged user, because initdb
# refuses root.  As another user it expects that done and only runs the
# suites.  Then it runs the demo briefly.  Exits non-zero when anything
# fails; prints the diffs of failing pg_regress tests.
#
#   bash regress/run-tests.sh                     (as root)
#   PG_MAJOR=16 TEST_USER=me bash regress/run-tests.sh
set -euo pipefail

cd "$(dirname "$0")/.."
src=$(pwd)
TEST_USER=${TEST_USER:-postgres}
source regress/setup.sh
packages+=(clang libclang-rt-dev)	# the fuzz targets (regress/t/023_fuzz.pl): clang and its fuzzer runtime
install_packages

if [ "$(id -u)" -eq 0 ]; then
	id "$TEST_USER" >/dev/null 2>&1 || useradd --system --create-home "$TEST_USER"

	say "checking META.json"
	python3 regress/check-meta.py META.json

	build_install

	say "installing the PGXN distribution with pgxnclient"
	version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" cellcdc.control)
	make -s dist
	pgxn install --pg_config "$PG_CONFIG" "./cellcdc-$version.zip"
	test -f "$("$PG_CONFIG" --pkglibdir)/cellcdc.so"
	test -f "$("$PG_CONFIG" --sharedir)/extension/cellcdc--$version.sql"

	# the suites write results next to the sources: give them a copy they own
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	cp -a "$src/." "$work/"
	chown -R "$TEST_USER" "$work"
	chmod 755 "$work"
	run() { runuser -u "$TEST_USER" -- "$@"; }
	cd "$work"
else
	run() { "$@"; }
fi

say "pg_regress and TAP suites"
status=0
run make -s installcheck PG_CONFIG="$PG_CONFIG" || status=$?
if [ $status -ne 0 ] && [ -f regress/regression.diffs ]; then
	cat regress/regression.diffs
fi

say "the demo, briefly"
if run env DEMO_SECONDS=3 bash demo/demo.sh >demo.log 2>&1; then
	tail -3 demo.log
else
	cat demo.log
	status=1
fi
exit $status
