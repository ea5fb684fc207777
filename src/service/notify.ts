import { createRequire } from "node:module";
import { ErrorCode, HearthError } from "../core/errors.js";
import type { Logger } from "../core/log.js";

/**
 * systemd's notify protocol (sd_notify(3)): one datagram of `KEY=value` lines to the AF_UNIX socket
 * named by NOTIFY_SOCKET. Node has no AF_UNIX datagram socket of its own, so this goes through the
 * `unix-dgram` addon (docs/decisions/systemd-notify.md says why that one); it is loaded only here,
 * and this module only when NOTIFY_SOCKET is set (src/cli/run.ts).
 */
export interface Notifier {
  send(state: string): void;
  close(): void;
}

/** The minimal shape of `unix-dgram` used here (the package ships no types). */
interface DgramSocket {
  on(event: "error" | "congestion", fn: (e: unknown) => void): void;
  send(buf: Buffer, offset: number, length: number, path: string, cb?: (err?: Error) => void): void;
  close(): void;
}
interface UnixDgram {
  createSocket(type: "unix_dgram"): DgramSocket;
}

/** Opens a notifier on `socketPath`, or throws with the reason (an abstract socket, no addon). */
export function openNotifier(socketPath: string, log: Logger): Notifier {
  // An abstract address (`@name`, used by containers) cannot be given to unix-dgram; system services
  // get a path (/run/systemd/notify).
  if (!socketPath.startsWith("/"))
    throw new HearthError(
      `NOTIFY_SOCKET=${socketPath} is not a path: abstract notify sockets are not supported`,
      ErrorCode.ConfigInvalid,
      { socket: socketPath },
    );
  // Cast: the package is CommonJS without types; its exports have the shape above.
  const dgram = createRequire(import.meta.url)("unix-dgram") as UnixDgram;
  const sock = dgram.createSocket("unix_dgram");
  sock.on("error", (e) => log.warn({ err: e }, "systemd notify socket error"));
  sock.on("congestion", () => log.warn("systemd notify socket congested: a notification was dropped"));
  return {
    send: (state) => {
      const buf = Buffer.from(state);
      sock.send(buf, 0, buf.length, socketPath, (err) => {
        if (err) log.warn({ err, state }, `systemd notify failed: ${err.message}`);
      });
    },
    close: () => sock.close(),
  };
}

/** The watchdog period systemd asked for (WATCHDOG_USEC, for this process), in ms; undefined: none. */
export function watchdogMs(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (env.WATCHDOG_USEC === undefined || !Number.isFinite(usec) || usec <= 0) return undefined;
  if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 1000));
}
