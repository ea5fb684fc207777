import { certificateHealth } from "../certs/expiry.js";
import type { LoadedConfig } from "../config/devices.js";
import type { StatusBody } from "../contract/messages.js";
import type { Logger } from "../core/log.js";
import type { SqliteOutbox } from "../outbox/index.js";
import type { Commissioning } from "../pipeline/commissioning.js";
import type { Pipeline } from "../pipeline/pipeline.js";
import type { Uplink } from "../uplink/index.js";
import type { CommandSecurity } from "./command-guard.js";
import { securityHealth } from "./command-security.js";
import type { RunningDrivers } from "./drivers.js";

/** What the agent's status and heartbeat are read from. */
export interface StatusParts {
  config: LoadedConfig;
  version: string;
  wallSynced: () => boolean;
  uptimeS: () => number;
  pipeline: Pipeline;
  outbox: SqliteOutbox;
  uplink: Uplink;
  drivers: () => RunningDrivers | undefined;
  security: CommandSecurity;
  commissioning: Commissioning;
  /** The SMS fallback's modem, where the config has `sms`: undefined otherwise (nothing is reported). */
  cellular: () => NonNullable<StatusBody["health"]>["cellular"];
  log: Logger;
}

/** What `hearth status` prints. */
export function agentStatus(p: StatusParts): Record<string, unknown> {
  return {
    home: p.config.home.id,
    version: p.version,
    uptime_s: p.uptimeS(),
    clock: p.wallSynced() ? "synced" : "unsynced",
    devices: p.pipeline.devices(),
    drivers: p.drivers()?.status() ?? {},
    last_activity: p.pipeline.lastActivity() ?? null,
    watch: p.pipeline.watch(),
    outbox: {
      depth: outboxDepth(p),
      last_seq: p.outbox.lastSeq(),
      size_bytes: p.outbox.sizeBytes(),
    },
    storage: p.outbox.storageHealth(),
    uplink: p.uplink.state(),
    security: securityHealth(p.config, p.security),
    commissioning: p.commissioning.state() ?? null,
    ...(p.cellular() ? { cellular: p.cellular() } : {}),
    open_alerts: p.pipeline.alerts
      .open()
      .map((a) => ({ alert: a.alert, kind: a.kind, state: a.state, device: a.device, since: a.since })),
  };
}

/** The heartbeat's health: what the cloud sees of the gateway every few minutes. */
export function agentHealth(p: StatusParts): NonNullable<StatusBody["health"]> {
  const devices: Record<string, "online" | "offline" | "unknown"> = {};
  for (const d of p.config.devices) devices[d.id] = p.pipeline.devices()[d.id]?.availability ?? "unknown";
  const commissioning = p.commissioning.state();
  const cellular = p.cellular();
  const certificate = certificateHealth(p.config, Date.now());
  return {
    uptime_s: p.uptimeS(),
    rss_mb: Math.round(process.memoryUsage().rss / 1048576),
    outbox: outboxDepth(p),
    storage: p.outbox.storageHealth(),
    devices,
    open_alerts: p.pipeline.alerts.open().length,
    clock: p.wallSynced() ? "synced" : "unsynced",
    security: securityHealth(p.config, p.security),
    ...(certificate ? { certificate } : {}),
    ...(commissioning ? { commissioning: { by: commissioning.by, until: commissioning.until } } : {}),
    ...(cellular ? { cellular } : {}),
  };
}

/** Queue depth per lane; zeros when the outbox cannot be read (status must still answer). */
function outboxDepth(p: StatusParts): Record<"alert" | "event" | "telemetry", number> {
  try {
    return p.outbox.depth();
  } catch (e) {
    p.log.error({ err: e }, "Outbox depth unreadable");
    return { alert: 0, event: 0, telemetry: 0 };
  }
}
