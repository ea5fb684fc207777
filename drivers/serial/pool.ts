import type { Clock } from "../../src/core/clock.js";
import { ErrorCode, HearthError } from "../../src/core/errors.js";
import type { Logger } from "../../src/core/log.js";
import type { SerialSettings } from "../../src/profiles/common.js";
import type { BindingInterface } from "./binding-types.js";
import { type BackoffOptions, describeSettings, SerialLine } from "./line.js";

export interface SerialLinePoolOptions {
  binding: BindingInterface;
  clock: Clock;
  log?: Logger;
  maxQueue?: number;
  backoff?: Partial<BackoffOptions>;
}

interface Held {
  line: SerialLine;
  users: Set<string>;
}

/**
 * Hands out one `SerialLine` per port path to every driver that needs it (Modbus, DL/T 645, CJ/T 188
 * share an RS-485 line), so the composition root creates one pool and gives it to each serial driver.
 * A line is opened on first acquire and closed when its last user releases it.
 */
export class SerialLinePool {
  readonly #opts: SerialLinePoolOptions;
  /** Keyed by port path. */
  readonly #lines = new Map<string, Held>();

  constructor(options: SerialLinePoolOptions) {
    this.#opts = options;
  }

  /**
   * The line for `path`, opened with `settings`. `user` names the caller (a device id) for messages.
   * Throws ConfigInvalid when the line is already held with other settings: one RS-485 line has one
   * baud rate and framing, whatever the protocols on it.
   */
  acquire(path: string, settings: SerialSettings, user: string): SerialLine {
    const held = this.#lines.get(path);
    if (held) {
      if (!sameSettings(held.line.settings, settings)) {
        throw new HearthError(
          `Device ${user} wants ${path} at ${describeSettings(settings)}, but ${[...held.users].join(", ")} already use it at ${describeSettings(held.line.settings)}; one serial line has one setting`,
          ErrorCode.ConfigInvalid,
          { port: path, user, users: [...held.users] },
        );
      }
      held.users.add(user);
      return held.line;
    }
    const line = new SerialLine({ path, settings, ...this.#opts });
    this.#lines.set(path, { line, users: new Set([user]) });
    line.start();
    return line;
  }

  /** Drops `user`'s hold on `path`; the last one out closes the line. */
  async release(path: string, user: string): Promise<void> {
    const held = this.#lines.get(path);
    if (!held) return;
    held.users.delete(user);
    if (held.users.size > 0) return;
    this.#lines.delete(path);
    await held.line.stop();
  }

  lines(): SerialLine[] {
    return [...this.#lines.values()].map((h) => h.line);
  }

  async stop(): Promise<void> {
    const held = [...this.#lines.values()];
    this.#lines.clear();
    await Promise.all(held.map((h) => h.line.stop()));
  }
}

export function sameSettings(a: SerialSettings, b: SerialSettings): boolean {
  return (
    a.baud === b.baud && a.data_bits === b.data_bits && a.parity === b.parity && a.stop_bits === b.stop_bits
  );
}

export interface LineUser {
  /** Device id, for the message. */
  id: string;
  /** Serial path; entries whose port is not a serial path (tcp://...) are ignored. */
  port: string;
  serial: SerialSettings;
}

export interface LineProblem {
  port: string;
  devices: string[];
  message: string;
}

/**
 * Config check: devices that share a serial path must agree on its settings. Returns one problem per
 * conflicting path, naming every device and setting involved, so `hearth config check` can print it.
 */
export function checkLineSettings(devices: readonly LineUser[]): LineProblem[] {
  const byPath = new Map<string, LineUser[]>();
  for (const d of devices) {
    if (/^[a-z]+:\/\//i.test(d.port)) continue;
    const list = byPath.get(d.port) ?? [];
    list.push(d);
    byPath.set(d.port, list);
  }
  const problems: LineProblem[] = [];
  for (const [port, users] of byPath) {
    const first = users[0];
    if (!first) continue;
    if (users.every((u) => sameSettings(u.serial, first.serial))) continue;
    const detail = users.map((u) => `${u.id} ${describeSettings(u.serial)}`).join(", ");
    problems.push({
      port,
      devices: users.map((u) => u.id),
      message: `devices on ${port} disagree on serial settings (${detail}); one RS-485 line has one baud rate and framing`,
    });
  }
  return problems;
}
