import { setTimeout as sleep } from "node:timers/promises";
import { controlRequest } from "../control/client.js";
import { parseDuration } from "../core/duration.js";
import { errorMessage } from "../core/errors.js";
import { CliExit, EXIT } from "./exit.js";
import { renderStatus, type StatusData } from "./status-view.js";

/** Clears the screen and puts the cursor top left: the view is redrawn in place. */
const HOME_CLEAR = "\x1b[H\x1b[2J";

/** The terminal view of `hearth status`: redrawn every interval until Ctrl-C; the agent lost is said in place. */
export async function liveStatus(socket: string, opts: { once?: boolean; interval?: string }): Promise<void> {
  const everyMs = parseDuration(opts.interval ?? "2s");
  if (everyMs === undefined || everyMs <= 0)
    throw new CliExit(EXIT.usage, `hearth status: --interval ${opts.interval}: not a duration`);
  let stop = false;
  const onInt = () => {
    stop = true;
  };
  process.once("SIGINT", onInt);
  try {
    do {
      let screen: string;
      try {
        const s = (await controlRequest(socket, { cmd: "status" })) as StatusData;
        screen = renderStatus(s, Date.now());
      } catch (e) {
        if (opts.once) throw new CliExit(EXIT.failed, `hearth status: ${errorMessage(e)}`);
        screen = `hearth status: ${errorMessage(e)} (trying again)\n`;
      }
      process.stdout.write(
        `${opts.once ? "" : HOME_CLEAR}${screen}${opts.once ? "" : `\n(every ${opts.interval ?? "2s"}; Ctrl-C to leave)\n`}`,
      );
      if (opts.once) return;
      await sleep(everyMs);
    } while (!stop);
  } finally {
    process.off("SIGINT", onInt);
  }
}
