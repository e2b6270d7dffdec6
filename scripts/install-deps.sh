#!/usr/bin/env bash
# Install everything prtip needs to build, test and benchmark on Debian 12.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    build-essential cmake pkg-config clang clang-format libclang-rt-14-dev \
    libjansson-dev libxml2-dev libxml2-utils libcmocka-dev libpcap-dev \
    nmap nmap-common iproute2 nftables python3 procps time hyperfine ca-certificates \
    dnsmasq-base snmpd chrony masscan zmap ethtool libcap2-bin util-linux >/dev/null
