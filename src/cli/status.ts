import { join } from "node:path";
import { loadConfigFile } from "../config/load.js";
import { controlRequest } from "../control/server.js";
import { loadCatalogue } from "../profiles/catalogue.js";
import { CliExit, EXIT } from "./exit.js";
import { printJson, printProblems } from "./io.js";

export const SOCKET_NAME = "hearth.sock";

export async function statusCommand(opts: {
  config?: string;
  stateDir?: string;
  socket?: string;
}): Promise<void> {
  let socket = opts.socket;
  if (!socket && opts.stateDir) socket = join(opts.stateDir, SOCKET_NAME);
  if (!socket && opts.config) {
    const parsed = loadConfigFile(opts.config, loadCatalogue().profiles);
    if (!parsed.ok) {
      printProblems(`${opts.config} is not a valid Hearth config`, parsed.problems);
      throw new CliExit(EXIT.failed);
    }
    socket = join(parsed.value.state_dir, SOCKET_NAME);
  }
  socket ??= join("/var/lib/hearth", SOCKET_NAME);
  try {
    printJson(await controlRequest(socket, { cmd: "status" }));
  } catch (e) {
    throw new CliExit(EXIT.failed, `hearth status: ${(e as Error).message}`);
  }
}
