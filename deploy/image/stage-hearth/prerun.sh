#!/bin/bash -e
# pi-gen: start from the previous stage's root (UNTESTED, see ../README.md).
if [ ! -d "${ROOTFS_DIR}" ]; then
  copy_previous
fi
