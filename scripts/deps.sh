#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages the build and the tests need. Runs apt only
# when something is missing, so a warm machine does not touch the network.
. "$(dirname "$0")/lib.sh"

PKGS=(build-essential flex bison bc libelf-dev libssl-dev ccache quilt
      python3 qemu-system-x86 busybox-static libdrm-dev libpng-dev cpio
      xz-utils rsync kmod liblz4-dev)

# Extra packages for one target, e.g. "deps.sh gnuplot-nox" for make bench.
PKGS+=("$@")

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

msg "installing: ${missing[*]}"
[ "$(id -u)" -eq 0 ] || die "need root to install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
