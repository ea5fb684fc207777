#!/bin/bash -e
# Installs the Hearth release artefact placed in files/ (built for this image's architecture) into the
# image, with the same installer a gateway uses. UNTESTED, see ../../README.md.
shopt -s nullglob
artefacts=(files/hearth-*.tar.gz)
[ "${#artefacts[@]}" = 1 ] || { echo "stage-hearth: put exactly one hearth-<version>-<arch>.tar.gz in files/" >&2; exit 1; }
install -m 0644 "${artefacts[0]}" "${ROOTFS_DIR}/tmp/hearth-release.tar.gz"
tar -xzf "${artefacts[0]}" -O --wildcards '*/deploy/install.sh' > "${ROOTFS_DIR}/tmp/hearth-install.sh"
on_chroot <<'CHROOT'
bash /tmp/hearth-install.sh /tmp/hearth-release.tar.gz
rm -f /tmp/hearth-release.tar.gz /tmp/hearth-install.sh
CHROOT
