# SPDX-License-Identifier: GPL-2.0
# Shared settings for the harness scripts. Sourced, not run.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
# Downloads and the compiler cache live outside the repository so that a
# fresh clone reuses them; nothing in them is needed for correctness.
CACHE=${VMAPLOCAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/drm-vmap-local}

# The pinned base. fetch-base.sh falls back to the newest 6.12 with a warning.
BASE_PKG=linux-source-6.12
BASE_VERSION=6.12.117-1~deb12u1

# assembled tree: base + patches; VL_SRC names another one, e.g.
# with VL_SERIES_UPTO (assemble.sh) for a kernel without the later patches
SRC=${VL_SRC:-$BUILD/linux}
JOBS=${JOBS:-$(nproc)}

export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
export CCACHE_BASEDIR=$BUILD
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-10G}
export CCACHE_NOHASHDIR=1
export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime

msg() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
