import { parseDuration } from "../core/duration.js";
import { errorMessage } from "../core/errors.js";
import { CliExit, EXIT } from "./exit.js";
import { printJson } from "./io.js";

const MAC = /^([0-9A-Fa-f]{2}[:-]?){5}[0-9A-Fa-f]{2}$/;

/**
 * `hearth pair <mac>`: bonds a health monitor that needs it (its profile says `bonding: required`),
 * with the device in its pairing mode near the gateway. Prints `{ mac, paired, trusted, asked }`.
 */
export async function pairCommand(mac: string, o: { adapter: string; timeout: string }): Promise<void> {
  if (!MAC.test(mac))
    throw new CliExit(EXIT.usage, `hearth pair: "${mac}" is not a MAC address (AA:BB:CC:DD:EE:FF)`);
  const timeoutMs = parseDuration(o.timeout);
  if (timeoutMs === undefined)
    throw new CliExit(EXIT.usage, `hearth pair: --timeout "${o.timeout}" is not a duration`);
  const colons = mac
    .replace(/[:-]/g, "")
    .replace(/(..)(?!$)/g, "$1:")
    .toUpperCase();
  process.stderr.write(`Pairing ${colons} on ${o.adapter} (device in pairing mode, near the gateway)…\n`);
  const { pairDevice } = await import("../../drivers/gatt-health/pairing.js");
  try {
    const r = await pairDevice(colons, o.adapter, timeoutMs);
    printJson(r);
    if (!r.paired || !r.trusted)
      throw new CliExit(EXIT.failed, `hearth pair: ${colons} is not paired and trusted`);
  } catch (e) {
    if (e instanceof CliExit) throw e;
    throw new CliExit(EXIT.failed, `hearth pair: ${errorMessage(e)}`);
  }
}
