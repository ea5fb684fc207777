import type { SerialLinePool } from "../../drivers/serial/pool.js";
import { errorMessage } from "../core/errors.js";
import type { Protocol } from "../profiles/schema.js";
import type {
  DriverContext,
  DriverFactory,
  FactoryContext,
  ProtocolDevice,
  StartedDriver,
} from "./driver-context.js";

export interface RunningDrivers {
  stop(): Promise<void>;
  status(): Record<string, unknown>;
  /**
   * Forgets a BLE device's last encryption counter (after its battery was changed or it was reset,
   * its counter starts again and its presses are rejected as replays). False for an unknown device.
   */
  resetBleCounter(device: string): boolean;
}

interface DriverRow<P extends Protocol> {
  /** Loads the protocol's driver code: only when the home has a device that speaks it. */
  load(): Promise<DriverFactory<P>>;
  /** What the log says when it cannot start. */
  failure: string;
}

/**
 * Which driver runs each protocol's devices, in start order (stopped in reverse). Each is loaded
 * lazily: a home without BLE never loads node-ble, one without meters never loads serialport. A new
 * protocol is a new row.
 */
const DRIVERS: { [P in Protocol]: DriverRow<P> } = {
  bthome: {
    load: async () => (await import("./bthome.js")).startBthome,
    failure: "BLE driver failed to start",
  },
  modbus: {
    load: async () => (await import("./meters.js")).startModbus,
    failure: "Meter drivers failed to start",
  },
  dlt645: {
    load: async () => (await import("./meters.js")).startDlt645,
    failure: "Meter drivers failed to start",
  },
  cjt188: {
    load: async () => (await import("./meters.js")).startCjt188,
    failure: "Meter drivers failed to start",
  },
  zigbee2mqtt: {
    load: async () => (await import("./zigbee2mqtt.js")).startZigbee2mqtt,
    failure: "Zigbee2MQTT driver failed to start",
  },
  gatt_health: {
    load: async () => (await import("./gatt-health.js")).startGattHealth,
    failure: "Health monitor driver failed to start",
  },
};

/** The home's devices of one protocol, each with its profile. */
function devicesOf<P extends Protocol>(ctx: DriverContext, protocol: P): ProtocolDevice<P>[] {
  const out: ProtocolDevice<P>[] = [];
  for (const config of ctx.config.devices) {
    const profile = ctx.profiles.get(config.profile);
    if (config.protocol !== protocol || profile?.protocol !== protocol) continue; // the config check refused a mismatch
    // Both the entry and the profile were just found to be of `protocol`; TS cannot carry a narrowing
    // to a type parameter.
    out.push({ config, profile } as unknown as ProtocolDevice<P>);
  }
  return out;
}

async function startProtocol<P extends Protocol>(
  ctx: FactoryContext,
  protocol: P,
): Promise<StartedDriver | undefined> {
  const devices = devicesOf(ctx, protocol);
  if (devices.length === 0) return undefined;
  const start = await DRIVERS[protocol].load();
  return start(ctx, devices);
}

/**
 * Starts the driver of every protocol the home's devices speak. A driver that fails to start is
 * logged and retried by its own back-off; it never takes the agent down.
 */
export async function startDrivers(ctx: DriverContext): Promise<RunningDrivers> {
  const log = ctx.host.log;
  let lines: Promise<SerialLinePool> | undefined;
  const shared: FactoryContext = {
    ...ctx,
    serialLines: () => {
      lines ??= import("./meters.js").then((m) => m.openSerialLines(ctx));
      return lines;
    },
  };
  const started: StartedDriver[] = [];
  // Meters of several protocols fail together when their shared lines cannot open: said once.
  const reported = new Set<unknown>();
  for (const protocol of Object.keys(DRIVERS) as Protocol[]) {
    try {
      const s = await startProtocol(shared, protocol);
      if (s) started.push(s);
    } catch (e) {
      if (reported.has(e)) continue;
      reported.add(e);
      log.error({ err: e }, `${DRIVERS[protocol].failure}: ${errorMessage(e)}`);
    }
  }

  return {
    async stop() {
      for (const s of started.reverse()) {
        const name = s.group ?? s.name;
        try {
          await s.stop();
        } catch (e) {
          log.warn({ err: e, driver: name }, `Driver ${name} did not stop cleanly: ${errorMessage(e)}`);
        }
      }
    },
    status() {
      const out: Record<string, unknown> = {};
      for (const s of started) {
        const status = s.status?.() ?? {};
        if (s.group === undefined) {
          out[s.name] = status;
          continue;
        }
        const group = (out[s.group] ?? {}) as Record<string, unknown>;
        group[s.name] = status;
        out[s.group] = group;
      }
      return out;
    },
    resetBleCounter(device) {
      return started.some((s) => s.resetCounter?.(device) ?? false);
    },
  };
}
