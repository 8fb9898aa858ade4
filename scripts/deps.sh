# SPDX-License-Identifier: MIT
# Debian 12 packages the project needs to build, test and benchmark. Sourced by scripts/run and
# scripts/test so the list lives in one place; apc_install_deps installs only what is missing.

APC_DEPS=(
    meson ninja-build pkg-config gcc clang llvm libclang-rt-14-dev
    libpcap-dev libsqlite3-dev libcjson-dev libuv1-dev libh2o-dev libcmocka-dev
    libbpf-dev libsodium-dev libargon2-dev libpcre2-dev zlib1g-dev libcap-dev libnl-genl-3-dev libssl-dev
    libmagic-dev
    tshark tcpdump wireshark-common python3 iproute2 curl time openssl python3-pyftpdlib
    python3-venv python3-setuptools python3-wheel python3-pip
    bpftool clang-format sqlite3 groff-base shellcheck
    postgresql-15 libpq-dev libcurl4-openssl-dev
    prometheus
    netsniff-ng
    nodejs chromium
)

# Prints the packages of APC_DEPS that dpkg does not report as installed.
apc_missing_deps() {
    local p
    for p in "${APC_DEPS[@]}"; do
        if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
            printf '%s\n' "$p"
        fi
    done
}

# Installs what is missing. Needs root only when something is missing, so a developer with a
# complete machine can run the scripts as any user.
apc_install_deps() {
    local missing
    mapfile -t missing < <(apc_missing_deps)
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    echo "Installing missing packages: ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then
        echo "error: packages are missing and we are not root; run as root or install:" >&2
        echo "  apt-get install ${missing[*]}" >&2
        return 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # tshark's postinst asks whether non-root users may capture; answer it before it asks.
    echo 'wireshark-common wireshark-common/install-setuid boolean false' | debconf-set-selections
    apt-get update || return 1
    apt-get install -y "${missing[@]}" || return 1
}
