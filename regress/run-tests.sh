#!/usr/bin/env bash
# Runs every cellcdc test suite, from a fresh Debian 12 machine if need be.
#
# As root it installs the packages it lacks, builds, installs (make install,
# then again from the PGXN zip with pgxnclient, so the packaged path is
# tested too), and runs the suites as an unprivileged user, because initdb
# refuses root.  As another user it expects that done and only runs the
# suites.  Exits non-zero when anything fails; prints the diffs of failing
# pg_regress tests.
#
#   sudo regress/run-tests.sh
#   PG_MAJOR=16 TEST_USER=me sudo -E regress/run-tests.sh
set -euo pipefail

cd "$(dirname "$0")/.."
src=$(pwd)
PG_MAJOR=${PG_MAJOR:-15}
TEST_USER=${TEST_USER:-postgres}
export PG_CONFIG=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config

packages=(make gcc git zip unzip python3 pgxnclient libipc-run-perl
	"postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR" librdkafka-dev kcat)

say() { printf '== %s\n' "$*" >&2; }

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ "$(id -u)" -eq 0 ]; then
	if [ ${#missing[@]} -gt 0 ]; then
		say "installing ${missing[*]}"
		apt-get update -q
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
	id "$TEST_USER" >/dev/null 2>&1 || useradd --system --create-home "$TEST_USER"

	say "checking META.json"
	python3 regress/check-meta.py META.json

	say "building and installing"
	make -s clean
	make -s
	make -s install

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
	if [ ${#missing[@]} -gt 0 ]; then
		echo "missing packages: ${missing[*]}; run this script as root (sudo) to install them" >&2
		exit 2
	fi
	run() { "$@"; }
fi

say "pg_regress and TAP suites"
status=0
run make -s installcheck PG_CONFIG="$PG_CONFIG" || status=$?
if [ $status -ne 0 ] && [ -f regress/regression.diffs ]; then
	cat regress/regression.diffs
fi
exit $status
