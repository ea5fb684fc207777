import type { Logger } from "../core/log.js";
import { type Notifier, openNotifier, watchdogMs } from "./notify.js";

export interface SupervisedParts {
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Why the agent's own loops are not healthy (one line), or undefined when they are. */
  unhealthy: () => string | undefined;
}

export interface Supervision {
  /** READY=1: the outbox is open and the drivers started. */
  ready(): void;
  /** STOPPING=1, then no more pings. */
  stopping(): void;
}

/**
 * The agent under systemd (Type=notify): readiness once started, and WATCHDOG=1 every half watchdog
 * period but only while `unhealthy()` finds nothing; a wedged agent (or one whose event loop is
 * blocked, when no ping can run at all) is then killed and restarted by systemd. A notifier that
 * cannot open is logged, and the agent runs on: systemd then sees no readiness and restarts it with
 * the reason in the journal.
 */
export function superviseBySystemd(o: SupervisedParts): Supervision {
  const socket = o.env.NOTIFY_SOCKET ?? "";
  const log = o.log.child({ module: "systemd" });
  let notifier: Notifier | undefined;
  try {
    notifier = openNotifier(socket, log);
  } catch (e) {
    log.error({ err: e }, `Cannot notify systemd: ${e instanceof Error ? e.message : String(e)}`);
  }
  const periodMs = watchdogMs(o.env, process.pid);
  let timer: NodeJS.Timeout | undefined;
  let lastReason: string | undefined;
  const ping = () => {
    const reason = o.unhealthy();
    if (reason === undefined) {
      if (lastReason !== undefined) log.info("Agent healthy again: watchdog pings resume");
      lastReason = undefined;
      notifier?.send("WATCHDOG=1");
      return;
    }
    // Logged when it changes, not every half period: the journal says why systemd will restart it.
    if (reason !== lastReason) log.error({ reason }, `Agent unhealthy, watchdog not fed: ${reason}`);
    lastReason = reason;
    notifier?.send(`STATUS=unhealthy: ${reason}`);
  };
  return {
    ready: () => {
      notifier?.send(`READY=1\nSTATUS=running\nMAINPID=${process.pid}`);
      log.info({ watchdog_ms: periodMs ?? null }, "Told systemd the agent is ready");
      if (periodMs !== undefined) {
        timer = setInterval(ping, Math.max(1, Math.floor(periodMs / 2)));
        timer.unref();
      }
    },
    stopping: () => {
      if (timer) clearInterval(timer);
      timer = undefined;
      notifier?.send("STOPPING=1");
      notifier?.close();
      notifier = undefined;
    },
  };
}
