#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run quilt on the assembled tree (build/linux) with the project's patch
# directory and kernel-style diff options, e.g.:
#   scripts/quilt.sh new 0003-drm-gem-add-foo.patch
#   scripts/quilt.sh edit drivers/gpu/drm/drm_gem.c
#   scripts/quilt.sh refresh
# build/linux/patches is a symlink to the repository's patches/, so refresh
# writes straight into the repository.
. "$(dirname "$0")/lib.sh"
[ -d "$SRC" ] || die "no assembled tree; run make assemble"
cd "$SRC"
exec quilt --quiltrc "$TOP/scripts/quiltrc" "$@"
