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
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    build-essential cmake pkg-config clang clang-format libclang-rt-14-dev \
    libjansson-dev libxml2-dev libxml2-utils libcmocka-dev libpcap-dev libpcre2-dev \
    nmap nmap-common iproute2 nftables python3 procps time hyperfine ca-certificates \
    dnsmasq-base snmpd chrony masscan zmap ethtool libcap2-bin util-linux \
    python3-libnmap python3-nmap libnmap-parser-perl xsltproc tshark python3-yaml >/dev/null
