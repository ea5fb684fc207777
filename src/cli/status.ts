import { loadConfigFile } from "../config/load.js";
import { controlRequest } from "../control/client.js";
import { socketPath } from "../control/socket.js";
import { errorMessage } from "../core/errors.js";
import { loadCatalogue } from "../profiles/catalogue.js";
import { CliExit, EXIT } from "./exit.js";
import { printJson, printProblems } from "./io.js";

export interface SocketOptions {
  config?: string;
  stateDir?: string;
  socket?: string;
}

/** The running agent's control socket: given, in the state directory, or in the config's state_dir. */
export function resolveSocket(opts: SocketOptions): string {
  let socket = opts.socket;
  if (!socket && opts.stateDir) socket = socketPath(opts.stateDir);
  if (!socket && opts.config) {
    const parsed = loadConfigFile(opts.config, loadCatalogue().profiles);
    if (!parsed.ok) {
      printProblems(`${opts.config} is not a valid Hearth config`, parsed.problems);
      throw new CliExit(EXIT.failed);
    }
    socket = socketPath(parsed.value.state_dir);
  }
  return socket ?? socketPath("/var/lib/hearth");
}

async function ask(command: string, opts: SocketOptions, request: { cmd: string; [k: string]: unknown }) {
  const socket = resolveSocket(opts);
  try {
    printJson(await controlRequest(socket, request));
  } catch (e) {
    throw new CliExit(EXIT.failed, `hearth ${command}: ${errorMessage(e)}`);
  }
}

/**
 * `hearth status`: JSON, as before, when stdout is not a terminal or with `--json`; on a terminal, a
 * view that refreshes in place every `--interval` until Ctrl-C (`--once`: one screen).
 */
export async function statusCommand(
  opts: SocketOptions & { json?: boolean; once?: boolean; interval?: string },
): Promise<void> {
  if (opts.json || !process.stdout.isTTY) {
    await ask("status", opts, { cmd: "status" });
    return;
  }
  const { liveStatus } = await import("./status-live.js");
  await liveStatus(resolveSocket(opts), opts);
}

/** `hearth ble-reset-counter <device>`: the running agent forgets the button's last counter. */
export async function resetCounterCommand(device: string, opts: SocketOptions): Promise<void> {
  await ask("ble-reset-counter", opts, { cmd: "reset_counter", device });
}
