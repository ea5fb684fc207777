import type { LoadedConfig } from "../config/devices.js";
import { ErrorCode, HearthError } from "../core/errors.js";
import type { SqliteOutbox } from "../outbox/index.js";
import type { RunningDrivers } from "./drivers.js";

/**
 * The installer's way out after a button's battery change: its counter starts again, and until
 * the agent forgets the old one every press is rejected as a replay. Recorded as an event, so the
 * cloud sees when replay protection was relaxed for a device.
 */
export function resetBleCounter(
  config: LoadedConfig,
  drivers: RunningDrivers | undefined,
  outbox: SqliteOutbox,
  device: string,
): { device: string; reset: true } {
  const known = config.devices.some((d) => d.id === device && d.protocol === "bthome" && d.key !== undefined);
  if (!known)
    throw new HearthError(
      `no BLE device "${device}" with a bind key in this home's config`,
      ErrorCode.CommandInvalid,
      {
        device,
      },
    );
  if (!drivers?.resetBleCounter(device))
    throw new HearthError(
      `the BLE driver is not running, so "${device}" could not be reset`,
      ErrorCode.CommandFailed,
      { device },
    );
  outbox.putEvent({ event: "ble_counter_reset", device, data: { by: "installer" } });
  return { device, reset: true };
}
