import { errorMessage } from "../core/errors.js";
import { CliExit, EXIT } from "./exit.js";
import { printJson } from "./io.js";

export interface ScanCliOptions {
  seconds: string;
  press?: boolean;
  adapter: string;
  key?: string[];
  profile?: string;
}

/** "AA:BB:…=hex" pairs → keys by MAC. */
function parseKeys(pairs: readonly string[] = []): Record<string, string> {
  const keys: Record<string, string> = {};
  for (const p of pairs) {
    const m = /^([0-9A-Fa-f:]{12,17})=([0-9A-Fa-f]{32})$/.exec(p);
    if (!m) throw new CliExit(EXIT.usage, `hearth scan ble: --key "${p}": expected MAC=32 hex digits`);
    keys[m[1] as string] = m[2] as string;
  }
  return keys;
}

/** `hearth scan ble`: nearby BTHome devices, or (`--press`) the first button pressed and its config snippet. */
export async function scanCommand(what: string, o: ScanCliOptions): Promise<void> {
  if (what !== "ble") throw new CliExit(EXIT.usage, `hearth scan: unknown target "${what}" (only "ble")`);
  const seconds = Number(o.seconds);
  if (!(seconds > 0))
    throw new CliExit(EXIT.usage, `hearth scan ble: --seconds must be positive, got ${o.seconds}`);
  const { scanBle, waitForPress } = await import("../../drivers/bthome/scan.js");
  const keys = parseKeys(o.key);
  try {
    if (o.press) {
      process.stderr.write(`Press the button now (waiting up to ${seconds} s on ${o.adapter})…\n`);
      const found = await waitForPress({
        timeoutSeconds: seconds,
        adapter: o.adapter,
        keys,
        ...(o.profile ? { profile: o.profile } : {}),
      });
      process.stderr.write(
        `Heard ${found.event} from ${found.mac}${found.encrypted ? " (encrypted)" : ""}\n`,
      );
      process.stdout.write(found.snippet.endsWith("\n") ? found.snippet : `${found.snippet}\n`);
      return;
    }
    const result = await scanBle({ seconds, adapter: o.adapter, keys });
    if (result.problem !== undefined) {
      // An empty list would read as "no button in range" when the radio was never listening.
      if (result.devices.length === 0) throw new CliExit(EXIT.failed, `hearth scan ble: ${result.problem}`);
      process.stderr.write(`hearth scan ble: ${result.problem}\n`);
    }
    printJson(result);
  } catch (e) {
    if (e instanceof CliExit) throw e;
    throw new CliExit(EXIT.failed, `hearth scan ble: ${errorMessage(e)}`);
  }
}
