#!/usr/bin/env bash
# Installs Hearth from this checkout on a Debian/Raspberry Pi OS gateway. Native modules are built from
# source for this machine's architecture (no prebuilt downloads).
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
src=$(cd "$(dirname "$0")/.." && pwd)
apt-get update -qq
apt-get install -y -qq nodejs npm build-essential python3 bluez udev
id hearth >/dev/null 2>&1 || useradd --system --home /var/lib/hearth --shell /usr/sbin/nologin hearth
install -d -m 0755 /opt/hearth
cp -a "$src/package.json" "$src/package-lock.json" "$src/tsconfig.json" "$src/tsconfig.build.json" "$src/src" "$src/drivers" "$src/device-profiles" "$src/README.md" /opt/hearth/
cd /opt/hearth
npm ci --no-audit --no-fund --build-from-source
install -d -m 0750 -o root -g hearth /etc/hearth
[ -f /etc/hearth/home.yaml ] || install -m 0640 -o root -g hearth "$src/deploy/hearth.example.yaml" /etc/hearth/home.yaml
install -m 0644 "$src/deploy/99-hearth-serial.rules" /etc/udev/rules.d/
udevadm control --reload-rules || true
install -m 0644 "$src/deploy/hearth.service" /etc/systemd/system/hearth.service
systemctl daemon-reload
echo "Edit /etc/hearth/home.yaml (check it with: node /opt/hearth/dist/src/cli/main.js validate /etc/hearth/home.yaml),"
echo "then: systemctl enable --now hearth"
