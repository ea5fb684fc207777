#!/usr/bin/env bash
# Removes Hearth: the units, rules, the command and every release under /opt/hearth. The config
# (/etc/hearth), the state directory with the outbox (/var/lib/hearth) and the hearth user stay,
# unless --purge: then they go too. (On an SD card, deleting is not erasing: docs/deployment.md.)
#
# usage: uninstall.sh [--root DIR] [--purge]
set -euo pipefail
die() { echo "uninstall.sh: $*" >&2; exit 1; }
root=/ purge=no
while [ $# -gt 0 ]; do
  case "$1" in
    --root) root=${2:?--root needs a directory}; shift 2 ;;
    --purge) purge=yes; shift ;;
    *) sed -n '/^# usage:/p' "$0" | sed 's/^# //' >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || die "run as root"
root=$(cd "$root" && pwd)
R=${root%/}
rootopt=()
[ -z "$R" ] || rootopt=(--root "$root")
units="hearth.service hearth-firstboot.service hearth-privileged.path hearth-privileged.service"
if [ -z "$R" ] && [ -d /run/systemd/system ]; then
  # shellcheck disable=SC2086
  systemctl disable --now $units 2>/dev/null || true
elif command -v systemctl >/dev/null; then
  # shellcheck disable=SC2086
  systemctl "${rootopt[@]}" --quiet disable $units 2>/dev/null || true
fi
for u in $units; do rm -f "$R/etc/systemd/system/$u"; done
rm -rf "$R/etc/systemd/system/hearth.service.d"
rm -f "$R/etc/udev/rules.d/99-hearth-serial.rules" "$R/etc/udev/rules.d/99-hearth-gpio.rules" \
  "$R/etc/polkit-1/rules.d/50-hearth-modemmanager.rules" "$R/usr/local/bin/hearth"
rm -rf "$R/opt/hearth"
if [ "$purge" = yes ]; then
  rm -rf "$R/etc/hearth" "$R/var/lib/hearth" "$R/run/hearth"
  if grep -q '^hearth:' "$R/etc/passwd" 2>/dev/null; then userdel "${rootopt[@]}" hearth; fi
  if grep -q '^hearth:' "$R/etc/group" 2>/dev/null; then groupdel "${rootopt[@]}" hearth; fi
  echo "removed Hearth, its config, its outbox and the hearth user"
else
  echo "removed Hearth; kept /etc/hearth, the outbox in /var/lib/hearth and the hearth user (--purge removes them)"
fi
if [ -z "$R" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
