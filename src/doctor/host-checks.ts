import type { LoadedConfig } from "../config/devices.js";
import { type Check, fail, na, ok } from "./check.js";
import type { DoctorProbes } from "./probes.js";

/** Less free space than this on the state directory's file system is a ✗. */
export const MIN_FREE_BYTES = 100 * 1024 * 1024;

export function clockCheck(p: DoctorProbes): Check {
  const c = p.clock();
  if (c.source === "none") return na("clock", c.why);
  return c.synced
    ? ok("clock", `synchronised (${c.detail})`)
    : fail(
        "clock",
        `not synchronised (${c.detail})`,
        "check the network reaches an NTP server (UDP 123); `timedatectl set-ntp true`, or `chronyc sources`",
      );
}

export function diskCheck(stateDir: string, p: DoctorProbes): Check {
  // The state directory may not exist before the first run: its nearest parent holds the same disk.
  let dir = stateDir;
  let d = p.disk(dir);
  while (!d && dir.includes("/") && dir !== "/") {
    dir = dir.slice(0, dir.lastIndexOf("/")) || "/";
    d = p.disk(dir);
  }
  if (!d) return na("disk", `cannot stat the file system of ${stateDir}`);
  const mb = (n: number) => `${Math.round(n / 1048576)} MB`;
  const pct = Math.round((d.freeBytes / d.totalBytes) * 100);
  const what = `${mb(d.freeBytes)} free of ${mb(d.totalBytes)} (${pct}%) at ${dir}`;
  return d.freeBytes < MIN_FREE_BYTES
    ? fail(
        "disk",
        what,
        "free space on the card (old logs: `journalctl --vacuum-size=50M`) or use a larger card",
      )
    : ok("disk", what);
}

/** The agent's service: running and enabled under systemd; elsewhere, an agent answering its socket. */
export function serviceCheck(unit: string, agentAnswers: boolean, p: DoctorProbes): Check {
  const s = p.systemd(unit);
  if (!s.available) {
    if (agentAnswers) return ok("service", `an agent answers its control socket; ${s.why}`);
    return na("service", `${s.why}; and no agent answers its control socket`);
  }
  if (s.active !== "active")
    return fail(
      "service",
      `${unit} is ${s.active}`,
      `systemctl enable --now ${unit}; its log: journalctl -u ${unit} -n 50`,
    );
  if (s.enabled !== "enabled")
    return fail("service", `${unit} runs but is ${s.enabled || "not enabled"}`, `systemctl enable ${unit}`);
  return ok("service", `${unit} active and enabled${agentAnswers ? ", control socket answers" : ""}`);
}

/**
 * The BLE adapter of each button or sensor: present, powered, and (with the agent's status) hearing
 * the configured devices' adverts.
 */
export function bleChecks(
  config: LoadedConfig,
  agent: Record<string, unknown> | undefined,
  p: DoctorProbes,
): Check[] {
  const ble = config.devices.filter((d) => d.protocol === "bthome");
  if (ble.length === 0) return [na("ble", "no BLE devices configured")];
  const adapters = [...new Set(ble.map((d) => ("adapter" in d && d.adapter) || "hci0"))];
  const out: Check[] = [];
  for (const a of adapters) {
    const id = `ble:${a}`;
    const s = p.ble(a);
    if (!s.present) {
      out.push(
        fail(id, `${a} not found`, "plug in or enable the Bluetooth adapter (`rfkill unblock bluetooth`)"),
      );
      continue;
    }
    if (s.powered === false) {
      out.push(fail(id, `${a} present but powered off`, `bluetoothctl power on (and check rfkill)`));
      continue;
    }
    const stats = (agent?.drivers as { bthome?: Record<string, { accepted?: number }> } | undefined)?.bthome;
    const mine = ble.filter((d) => (("adapter" in d && d.adapter) || "hci0") === a);
    const heard = mine.reduce((n, d) => n + (stats?.[d.id]?.accepted ?? 0), 0);
    const powered = s.powered === undefined ? "present (power state unknown: no busctl)" : "present, powered";
    if (!agent) out.push(ok(id, `${powered}; adverts not counted (the agent is not running)`));
    else if (heard === 0)
      out.push(
        fail(
          id,
          `${powered}, but no advert from ${mine.map((d) => d.id).join(", ")} since the agent started`,
          "press the button once near the gateway; check its battery and its MAC in the config",
        ),
      );
    else out.push(ok(id, `${powered}, ${heard} adverts heard from configured devices`));
  }
  return out;
}
