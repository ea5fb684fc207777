#!/usr/bin/env bash
# Installs a Hearth release artefact (npm run release: hearth-<version>-<arch>.tar.gz) on Debian
# bookworm / Raspberry Pi OS (arm64, armhf): the system user and its groups, the directories and their
# modes, the release under /opt/hearth/releases/<version> owned by root with /opt/hearth/current
# pointing at it, udev rules for USB RS-485 adapters, the systemd units. Idempotent: a second run with
# the same artefact changes nothing; releases other than the current and the one before are removed.
# It never installs Node: it refuses a Node older than 20 (docs/deployment.md says how to get 20+).
#
# usage: install.sh [--root DIR] [--node CMD] [--with-outputs] [--with-sms] [--no-node-check] RELEASE.tar.gz
#   --root DIR       install into DIR as if it were / (images, tests): users via useradd --root,
#                    units enabled with systemctl --root, nothing started
#   --node CMD       the command asked for Node's version (default: /usr/bin/node, or
#                    `chroot DIR /usr/bin/node` with --root)
#   --with-outputs   audio and GPIO for the speaker, buzzer and LED (a drop-in for hearth.service);
#                    also chosen when /etc/hearth/home.yaml has an outputs: section
#   --with-sms       the polkit rule letting hearth send SMS through ModemManager
#   --no-node-check  for a root without Node yet (an image being built); say so in its notes
set -euo pipefail

die() { echo "install.sh: $*" >&2; exit 1; }
usage() { sed -n '/^# usage:/,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

root=/ node_cmd= outputs=no sms=no node_check=yes artefact=
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=${2:?--root needs a directory}; shift 2 ;;
    --node) node_cmd=${2:?--node needs a command}; shift 2 ;;
    --with-outputs) outputs=yes; shift ;;
    --with-sms) sms=yes; shift ;;
    --no-node-check) node_check=no; shift ;;
    -h|--help) usage ;;
    -*) echo "install.sh: unknown option $1" >&2; usage ;;
    *) [ -z "$artefact" ] || usage; artefact=$1; shift ;;
  esac
done
[ -n "$artefact" ] || usage
[ "$(id -u)" = 0 ] || die "run as root (files are installed owned by root)"
[ -f "$artefact" ] || die "$artefact: no such file"
root=$(cd "$root" && pwd)
R=${root%/}   # prefix for paths: "" for /

# ---- Node 20 or later ----------------------------------------------------------------------------
if [ "$node_check" = yes ]; then
  if [ -z "$node_cmd" ]; then
    if [ -z "$R" ]; then node_cmd=/usr/bin/node; else node_cmd="chroot $root /usr/bin/node"; fi
  fi
  v=$($node_cmd -p 'process.versions.node' 2>/dev/null) ||
    die "no Node.js at /usr/bin/node${R:+ in $root}: Hearth needs Node 20 or later (docs/deployment.md, \"Node 20\")"
  major=${v%%.*}
  [ "$major" -ge 20 ] 2>/dev/null ||
    die "Node $v at /usr/bin/node is too old: Hearth needs Node 20 or later (bookworm's own nodejs is 18; see docs/deployment.md, \"Node 20\": NodeSource's node_20.x or newer)"
fi

# ---- the artefact --------------------------------------------------------------------------------
top=$(tar -tzf "$artefact" | sed -n '1{s#^\./##; s#/.*##; p}')
case "$top" in hearth-[0-9]*) ;; *) die "$artefact: not a Hearth release (its top directory is \"$top\", not hearth-<version>)" ;; esac
version=${top#hearth-}
sum=$(sha256sum "$artefact" | cut -d' ' -f1)
releases=$R/opt/hearth/releases
dest=$releases/$version
changed=no

install -d -m 0755 -o root -g root "$R/opt/hearth" "$releases"
if [ "$(cat "$dest/.artefact-sha256" 2>/dev/null)" != "$sum" ]; then
  tmp=$(mktemp -d "$releases/.unpack-XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  # --no-same-owner/--no-same-permissions, then our own: whoever built the tarball owns nothing here.
  tar -xzf "$artefact" -C "$tmp" --no-same-owner --no-same-permissions
  [ -f "$tmp/$top/package.json" ] && [ -f "$tmp/$top/dist/src/cli/main.js" ] && [ -d "$tmp/$top/node_modules" ] ||
    die "$artefact: not a built release (needs package.json, dist/src/cli/main.js, node_modules/)"
  [ ! -e "$tmp/$top/src" ] || die "$artefact: holds src/: a checkout, not a release (npm run release makes one)"
  chown -R root:root "$tmp/$top"
  chmod -R u+rwX,go+rX,go-w "$tmp/$top"
  echo "$sum" > "$tmp/$top/.artefact-sha256"
  chmod 0644 "$tmp/$top/.artefact-sha256"
  rm -rf "$dest"
  mv "$tmp/$top" "$dest"
  rm -rf "$tmp"
  trap - EXIT
  changed=yes
  echo "installed release $version in /opt/hearth/releases/$version"
fi
previous=$(readlink "$R/opt/hearth/current" 2>/dev/null || true)
if [ "$previous" != "releases/$version" ]; then
  ln -sfn "releases/$version" "$R/opt/hearth/.current-new"
  mv -T "$R/opt/hearth/.current-new" "$R/opt/hearth/current"
  changed=yes
fi
# Stale: releases other than this one and the one before (kept for a rollback), and the files of
# the old checkout-style install (/opt/hearth/{src,dist,node_modules,...}).
keep_prev=${previous#releases/}
for d in "$releases"/* "$releases"/.unpack-*; do
  [ -e "$d" ] || continue
  b=$(basename "$d")
  [ "$b" = "$version" ] || [ "$b" = "$keep_prev" ] || { rm -rf "$d"; echo "removed stale release $b"; }
done
for old in src dist drivers node_modules device-profiles package.json package-lock.json tsconfig.json tsconfig.build.json README.md; do
  [ ! -e "$R/opt/hearth/$old" ] || { rm -rf "${R:?}/opt/hearth/$old"; echo "removed /opt/hearth/$old (old checkout install)"; }
done
rel=$R/opt/hearth/current

# ---- user, groups --------------------------------------------------------------------------------
rootopt=()
[ -z "$R" ] || rootopt=(--root "$root")
getent_in() { # group|passwd name
  grep -q "^$2:" "$R/etc/$1" 2>/dev/null
}
for g in dialout bluetooth; do
  getent_in group "$g" || groupadd "${rootopt[@]}" --system "$g"
done
getent_in group hearth || groupadd "${rootopt[@]}" --system hearth
getent_in passwd hearth ||
  useradd "${rootopt[@]}" --system --gid hearth --groups dialout,bluetooth --home-dir /var/lib/hearth \
    --no-create-home --shell /usr/sbin/nologin --comment "Hearth gateway agent" hearth

# Numeric ids from the root's own files: with --root, the host's names mean nothing.
idin() { awk -F: -v n="$2" '$1 == n { print $3 }' "$R/etc/$1"; }
hu=$(idin passwd hearth) hg=$(idin group hearth)

# ---- directories ---------------------------------------------------------------------------------
install -d -m 0750 -o root -g "$hg" "$R/etc/hearth"
install -d -m 0750 -o "$hu" -g "$hg" "$R/var/lib/hearth"
# The root helper's boundary (docs/decisions/privilege-boundary.md): privileged/ is root's, so the
# agent cannot swap its parts; the agent writes requests/, root writes results/ the agent removes.
install -d -m 0755 -o root -g root "$R/var/lib/hearth/privileged"
install -d -m 0750 -o "$hu" -g "$hg" "$R/var/lib/hearth/privileged/requests"
install -d -m 0770 -o root -g "$hg" "$R/var/lib/hearth/privileged/results"
install -C -m 0640 -o root -g "$hg" "$rel/deploy/hearth.example.yaml" "$R/etc/hearth/home.example.yaml"

# ---- files from the release ----------------------------------------------------------------------
put() { # mode source target
  install -d -m 0755 "$(dirname "$3")"
  if ! cmp -s "$2" "$3" 2>/dev/null || [ "$(stat -c %a:%u:%g "$3")" != "${1#0}:0:0" ]; then
    install -m "$1" -o root -g root "$2" "$3"
    changed=yes
    echo "wrote ${3#"$R"}"
  fi
}
drop() { # target
  if [ -e "$1" ]; then rm -f "$1"; changed=yes; echo "removed ${1#"$R"}"; fi
}
units=$R/etc/systemd/system
put 0644 "$rel/deploy/hearth.service" "$units/hearth.service"
put 0644 "$rel/deploy/hearth-firstboot.service" "$units/hearth-firstboot.service"
put 0644 "$rel/deploy/hearth-privileged.path" "$units/hearth-privileged.path"
put 0644 "$rel/deploy/hearth-privileged.service" "$units/hearth-privileged.service"
put 0644 "$rel/deploy/99-hearth-serial.rules" "$R/etc/udev/rules.d/99-hearth-serial.rules"
put 0755 "$rel/deploy/hearth.sh" "$R/usr/local/bin/hearth"
if [ "$outputs" = no ] && grep -q '^outputs:' "$R/etc/hearth/home.yaml" 2>/dev/null; then outputs=yes; fi
if [ "$outputs" = yes ]; then
  getent_in group audio || groupadd "${rootopt[@]}" --system audio
  getent_in group gpio || groupadd "${rootopt[@]}" --system gpio
  put 0644 "$rel/deploy/hearth-outputs.conf" "$units/hearth.service.d/outputs.conf"
  put 0644 "$rel/deploy/99-hearth-gpio.rules" "$R/etc/udev/rules.d/99-hearth-gpio.rules"
fi
if [ "$sms" = yes ]; then
  put 0644 "$rel/deploy/polkit/50-hearth-modemmanager.rules" "$R/etc/polkit-1/rules.d/50-hearth-modemmanager.rules"
fi

# ---- systemd, udev -------------------------------------------------------------------------------
live=no
[ -z "$R" ] && [ -d /run/systemd/system ] && live=yes
if [ "$live" = yes ]; then
  [ "$changed" = no ] || systemctl daemon-reload
  udevadm control --reload-rules 2>/dev/null || true
fi
if command -v systemctl >/dev/null; then
  # Enabled, not started: the agent starts once /etc/hearth/home.yaml exists (its unit's condition),
  # after hearth-firstboot has provisioned from the boot partition or `hearth provision` has run.
  systemctl "${rootopt[@]}" --quiet enable hearth.service hearth-firstboot.service hearth-privileged.path
fi
if [ "$live" = yes ] && systemctl --quiet is-active hearth.service && [ "$changed" = yes ]; then
  systemctl restart hearth.service
  echo "restarted hearth.service"
fi
[ "$changed" = yes ] || echo "nothing changed: release $version was already installed"
if [ ! -e "$R/etc/hearth/home.yaml" ]; then
  echo "next: hearth provision (or a hearth-provision.yaml on the boot partition), then: systemctl start hearth"
fi
