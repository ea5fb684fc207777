import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statfsSync, statSync } from "node:fs";
import type { BrokerConfig } from "../config/schema.js";
import { controlRequest } from "../control/client.js";
import { socketPath } from "../control/socket.js";
import { checkBroker } from "../uplink/index.js";
import type { ClockState, DoctorProbes, ServiceUser, SystemdState } from "./probes.js";

/** Runs a tool; undefined when it is missing or fails to start (its stdout otherwise, even on exit ≠ 0). */
function run(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5000 });
  } catch (e) {
    const out = (e as { stdout?: unknown }).stdout;
    const code = (e as { code?: unknown }).code;
    if (code === "ENOENT") return undefined;
    return typeof out === "string" ? out : undefined;
  }
}

/** `key=value` lines (systemctl show, timedatectl show). */
function props(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/** The service user from /etc/passwd and /etc/group, plus the groups the systemd unit adds. */
export function lookupUser(name: string, unitGroups: readonly string[] = ["dialout", "bluetooth"]) {
  const passwd = safeRead("/etc/passwd");
  const group = safeRead("/etc/group");
  const row = passwd
    .split("\n")
    .map((l) => l.split(":"))
    .find((f) => f[0] === name);
  if (!row) return undefined;
  const gids = new Set<number>([Number(row[3])]);
  for (const l of group.split("\n")) {
    const f = l.split(":");
    const members = (f[3] ?? "").split(",");
    if (members.includes(name) || unitGroups.includes(f[0] ?? "")) gids.add(Number(f[2]));
  }
  return { name, uid: Number(row[2]), gids: [...gids] } satisfies ServiceUser;
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

function systemd(unit: string): SystemdState {
  if (!existsSync("/run/systemd/system"))
    return { available: false, why: "systemd is not running here (a container or development machine)" };
  const out = run("systemctl", ["show", unit, "--property=ActiveState,UnitFileState"]);
  if (out === undefined) return { available: false, why: "systemctl not found" };
  const p = props(out);
  return {
    available: true,
    active: p.get("ActiveState") ?? "unknown",
    enabled: p.get("UnitFileState") ?? "",
  };
}

function clock(): ClockState {
  const td = run("timedatectl", ["show", "--property=NTPSynchronized,NTP"]);
  if (td?.includes("NTPSynchronized=")) {
    const p = props(td);
    return {
      source: "timedatectl",
      synced: p.get("NTPSynchronized") === "yes",
      detail: `NTPSynchronized=${p.get("NTPSynchronized")}, NTP=${p.get("NTP") ?? "?"}`,
    };
  }
  const ch = run("chronyc", ["-n", "tracking"]);
  if (ch?.includes("Leap status")) {
    const leap = /Leap status\s*:\s*(.+)/.exec(ch)?.[1]?.trim() ?? "?";
    return { source: "chrony", synced: leap === "Normal", detail: `chrony leap status ${leap}` };
  }
  return { source: "none", why: "neither timedatectl nor chronyc answered (no systemd, no chrony)" };
}

/** The machine as it is: files, users, systemd, the clock's sync state, BlueZ, the broker, the agent. */
export function realProbes(): DoctorProbes {
  return {
    stat(path) {
      try {
        const s = statSync(path);
        return { uid: s.uid, gid: s.gid, mode: s.mode & 0o7777 };
      } catch {
        return undefined;
      }
    },
    readFile(path) {
      try {
        return readFileSync(path);
      } catch {
        return undefined;
      }
    },
    user: (name) => lookupUser(name),
    systemd,
    clock,
    disk(path) {
      try {
        const s = statfsSync(path);
        return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
      } catch {
        return undefined;
      }
    },
    ble(adapter) {
      if (!existsSync(`/sys/class/bluetooth/${adapter}`)) return { present: false };
      const out = run("busctl", [
        "get-property",
        "org.bluez",
        `/org/bluez/${adapter}`,
        "org.bluez.Adapter1",
        "Powered",
      ]);
      if (out === undefined || !out.startsWith("b ")) return { present: true };
      return { present: true, powered: out.trim() === "b true" };
    },
    broker: (b: BrokerConfig, home: string) => checkBroker(b, home),
    async agent(stateDir) {
      try {
        return (await controlRequest(socketPath(stateDir), { cmd: "status" })) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    },
    now: () => Date.now(),
    // Loaded only here and only for a home with `sms:` (doctor asks then): dbus-next stays unloaded otherwise.
    async modem() {
      const { ModemManagerClient } = await import("../cellular/modem-manager.js");
      const client = new ModemManagerClient();
      try {
        return await client.status();
      } finally {
        client.close();
      }
    },
  };
}
