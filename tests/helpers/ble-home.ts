import { SimulatedScanner } from "../../drivers/bthome/sim/index.js";
import { type RunningDrivers, startDrivers } from "../../src/agent/drivers.js";
import type { LoadedConfig } from "../../src/config/devices.js";
import { parseConfig } from "../../src/config/load.js";
import { VirtualClock } from "../../src/core/clock.js";
import { SeededIds } from "../../src/core/ids.js";
import { silentLogger } from "../../src/core/log.js";
import type { ReadingSink } from "../../src/core/readings.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import { MapStore } from "../../src/replay/engine.js";

/** A home's config, parsed against the shipped profiles; throws with the problems when it is refused. */
export function parsedHome(yaml: string): LoadedConfig {
  const cat = loadCatalogue();
  const parsed = parseConfig(yaml, "home.yaml", cat.profiles);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
  return parsed.value;
}

/**
 * The agent's own driver wiring (`startDrivers`) for `config`, its BLE scanner a simulated radio, on
 * a virtual clock at `startIso`: readings go to `sink`. The caller stops `drivers`.
 */
export async function bleHome(
  config: LoadedConfig,
  sink: ReadingSink,
  clock = new VirtualClock({ wallStartMs: Date.parse("2026-03-02T09:00:00+08:00") }),
): Promise<{ drivers: RunningDrivers; air: SimulatedScanner; clock: VirtualClock }> {
  let air: SimulatedScanner | undefined;
  const drivers = await startDrivers({
    config,
    profiles: loadCatalogue().profiles,
    sink,
    kv: new MapStore(),
    host: {
      clock,
      netClock: clock,
      ids: new SeededIds("t"),
      log: silentLogger(),
      version: "test",
      bleScanner: (consumer, adapter) => {
        air = new SimulatedScanner({ consumer, adapter });
        return air;
      },
    },
  });
  if (!air) {
    await drivers.stop();
    throw new Error("the agent built no BLE scanner");
  }
  return { drivers, air, clock };
}
