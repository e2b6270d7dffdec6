#!/usr/bin/env bash
# Install everything prtip needs to build, test and benchmark on Debian 12.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# chrony, snmpd and dnsmasq must not start on install: the tests run their
# own copies inside lab namespaces, and a chronyd in the root namespace would
# try to reach public NTP servers. invoke-rc.d honours policy-rc.d; add one
# for the duration of the install unless the image already has it.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
# Debian's postgresql creates and starts a "main" cluster on install; the
# storage tests run their own server (initdb into a temporary directory, as
# nobody, on a Unix socket), so no cluster is created here and, with the
# policy-rc.d above, none is started.
$SUDO mkdir -p /etc/postgresql-common/createcluster.d
printf 'create_main_cluster = false\n' |
    $SUDO tee /etc/postgresql-common/createcluster.d/prtip-no-main.conf >/dev/null
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    build-essential cmake pkg-config clang clang-format libclang-rt-14-dev \
    libjansson-dev libxml2-dev libxml2-utils libcmocka-dev libpcap-dev libpcre2-dev libssl-dev \
    nmap nmap-common iproute2 nftables python3 procps time hyperfine ca-certificates \
    dnsmasq-base snmpd chrony masscan zmap ethtool libcap2-bin util-linux \
    python3-libnmap python3-nmap libnmap-parser-perl xsltproc \
    openssl openssh-server openssh-client nginx-light vsftpd redis-server memcached \
    exim4-daemon-light libsqlite3-dev libpq-dev postgresql ndiff tshark python3-yaml \
    slurmctld slurmd slurm-client munge >/dev/null
# The -sV lab (tests/lab/services.sh) runs these daemons inside namespaces
# with its own configurations; on the host they must stay off. policy-rc.d
# kept them from starting; also undo what their postinst enabled for boot.
for unit in ssh nginx vsftpd redis-server memcached exim4 munge slurmctld slurmd; do
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        $SUDO systemctl disable --now "$unit" >/dev/null 2>&1 || true
    elif command -v update-rc.d >/dev/null 2>&1 && [ -e "/etc/init.d/$unit" ]; then
        $SUDO update-rc.d "$unit" disable >/dev/null 2>&1 || true
    fi
done
