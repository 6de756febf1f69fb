# Sourced by regress/run-tests.sh and demo/demo.sh: install the Debian
# packages cellcdc needs (as root), build it and install it.
PG_MAJOR=${PG_MAJOR:-15}
export PG_CONFIG=/usr/lib/postgresql/$PG_MAJOR/bin/pg_config

packages=(make gcc git zip unzip python3 pgxnclient libipc-run-perl
	"postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR" librdkafka-dev
	libjansson-dev libzstd-dev kcat)

say() { printf '== %s\n' "$*" >&2; }

# Install what is missing (root), or say what is (other users) and exit 2.
install_packages() {
	local missing=() p
	for p in "${packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing packages: ${missing[*]}; run this as root (sudo) to install them" >&2
		exit 2
	fi
	say "installing ${missing[*]}"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

build_install() {
	say "building and installing"
	make -s clean
	make -s
	make -s install
}
