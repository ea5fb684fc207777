import type { AdvertConsumer, BleScanner } from "../../drivers/ble/advert.js";
import type { BindingInterface } from "../../drivers/serial/binding-types.js";
import type { Clock } from "../core/clock.js";
import type { IdSource } from "../core/ids.js";
import type { Logger } from "../core/log.js";
import type { Outputs } from "../outputs/outputs.js";

/**
 * Platform access, bundled and injected: the composition root takes everything outside the process
 * from here, so the demo and the tests can hand in simulated lines and scanners.
 */
export interface AgentHost {
  /** Clock of the pipeline and drivers (accelerated in the demo). */
  clock: Clock;
  /** Clock of the pipeline only, when it differs: the watchdog times its tick (src/service/interval-watch.ts). */
  pipelineClock?: Clock;
  /** Clock for network back-off and heartbeats (real time, even in the demo). */
  netClock: Clock;
  ids: IdSource;
  log: Logger;
  /** serialport binding; default: the native one (`@serialport/bindings-cpp`), loaded only when needed. */
  serialBinding?: () => Promise<BindingInterface>;
  /** BLE scanner; default: BlueZ over D-Bus (node-ble), loaded only when needed. */
  bleScanner?: (consumer: AdvertConsumer, adapter: string) => BleScanner;
  /** Where the gateway's power supplies are described; default /sys/class/power_supply; null: do not look. */
  powerSupplyDir?: string | null;
  /** Speaker and GPIO for the person; default: built from the config's `outputs` (none unless configured). */
  outputs?: Outputs;
  version: string;
}
