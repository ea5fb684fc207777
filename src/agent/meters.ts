import type { SerialLinePool } from "../../drivers/serial/pool.js";
import type { Clock } from "../core/clock.js";
import { errorMessage } from "../core/errors.js";
import type { Logger } from "../core/log.js";
import type { ReadingSink } from "../core/readings.js";
import { SECOND_MS } from "../core/time.js";
import type { SerialSettings } from "../profiles/common.js";
import type { DeviceProfile } from "../profiles/schema.js";
import type {
  DriverContext,
  DriverFactory,
  FactoryContext,
  ProtocolDevice,
  StartedDriver,
} from "./driver-context.js";

type MeterProtocol = "modbus" | "dlt645" | "cjt188";

/** What every meter driver takes besides its devices. */
interface MeterDeps {
  sink: ReadingSink;
  clock: Clock;
  log: Logger;
  profiles: ReadonlyMap<string, DeviceProfile>;
  lines: SerialLinePool;
}

interface MeterDriver {
  start(): void;
  stop(): Promise<void>;
  status(): unknown;
}

/**
 * The agent's serial lines: the host's binding (a simulated line in the demo and tests) or the native
 * one, loaded only now that a meter needs it.
 */
export async function openSerialLines(ctx: DriverContext): Promise<SerialLinePool> {
  const { SerialLinePool } = await import("../../drivers/serial/index.js");
  const binding = ctx.host.serialBinding
    ? await ctx.host.serialBinding()
    : (await import("@serialport/bindings-cpp")).autoDetect();
  return new SerialLinePool({
    binding,
    clock: ctx.host.clock,
    log: ctx.host.log.child({ module: "serial" }),
  });
}

type MeterProfile = Extract<DeviceProfile, { protocol: MeterProtocol }>;

/** A meter's profile with the config's per-device overrides (poll interval, line settings) applied. */
function withOverrides<T extends MeterProfile>(
  p: T,
  c: { poll?: number; baud?: number; parity?: SerialSettings["parity"] },
): T {
  return {
    ...p,
    timing: { ...p.timing, ...(c.poll !== undefined ? { poll_interval_s: c.poll / SECOND_MS } : {}) },
    serial: {
      ...p.serial,
      ...(c.baud !== undefined ? { baud: c.baud } : {}),
      ...(c.parity !== undefined ? { parity: c.parity } : {}),
    },
  };
}

/**
 * One protocol's meters as one driver on the agent's shared serial lines. A driver that refuses to
 * start is logged and the other protocols on the line carry on; its status is still reported.
 */
function meterFactory<P extends MeterProtocol>(
  protocol: P,
  build: (devices: ProtocolDevice<P>[], deps: MeterDeps) => Promise<MeterDriver>,
): DriverFactory<P> {
  return async (ctx: FactoryContext, devices): Promise<StartedDriver> => {
    const lines = await ctx.serialLines();
    const driver = await build(devices, {
      sink: ctx.sink,
      clock: ctx.host.clock,
      log: ctx.host.log,
      profiles: ctx.profiles,
      lines,
    });
    let running = true;
    try {
      driver.start();
    } catch (e) {
      running = false;
      ctx.host.log.error({ err: e }, `A meter driver failed to start: ${errorMessage(e)}`);
      void driver.stop().catch(() => undefined);
    }
    return {
      name: protocol,
      group: "meters",
      stop: () => (running ? driver.stop() : undefined),
      status: () => driver.status(),
    };
  };
}

export const startModbus = meterFactory("modbus", async (devices, deps) => {
  const { ModbusDriver } = await import("../../drivers/modbus/index.js");
  return new ModbusDriver(
    devices.map((d) => ({
      id: d.config.id,
      profile: withOverrides(d.profile, d.config),
      unit_id: d.config.unit_id,
      port: d.config.port,
    })),
    deps,
  );
});

/** DL/T 645 and CJ/T 188 meters are found on their line by the meter address printed on them. */
function addressed<T extends MeterProfile>(
  devices: readonly {
    config: {
      id: string;
      port: string;
      address: string;
      poll?: number;
      baud?: number;
      parity?: SerialSettings["parity"];
    };
    profile: T;
  }[],
) {
  return devices.map((d) => ({
    id: d.config.id,
    profile: withOverrides(d.profile, d.config),
    port: d.config.port,
    address: d.config.address,
  }));
}

export const startDlt645 = meterFactory("dlt645", async (devices, deps) => {
  const { Dlt645Driver } = await import("../../drivers/dlt645/index.js");
  return new Dlt645Driver(addressed(devices), deps);
});

export const startCjt188 = meterFactory("cjt188", async (devices, deps) => {
  const { Cjt188Driver } = await import("../../drivers/cjt188/index.js");
  return new Cjt188Driver(addressed(devices), deps);
});
