import { describe, expect, it } from "vitest";
import { CommandGuard, MAX_REMEMBERED_IDS, type SeenStore } from "../../src/agent/command-guard.js";
import { type CommandEnvelope, commandEnvelope } from "../../src/contract/messages.js";
import { VirtualClock } from "../../src/core/clock.js";
import { isHearthError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/log.js";
import { MINUTE_MS } from "../../src/core/time.js";
import { captureLog } from "../helpers/log-capture.js";

const now = Date.parse("2026-03-01T08:00:00Z");
const insecure = { keys: [], insecure: true };
const env = (id: string, atMs = now): CommandEnvelope =>
  commandEnvelope.parse({
    v: 1,
    id,
    ts: new Date(atMs).toISOString(),
    expires: new Date(atMs + 5 * MINUTE_MS).toISOString(),
    body: {},
  });
const admit = (g: CommandGuard, e: CommandEnvelope) => g.admit("ping", "hearth/v1/h1/cmd/ping", e, e);
const codeOf = (f: () => void): string => {
  try {
    f();
    return "ok";
  } catch (e) {
    return isHearthError(e) ? String(e.code) : "not a HearthError";
  }
};

describe("command guard: remembered ids", () => {
  it("forgets an id once its command has expired, so the memory does not grow", () => {
    const clock = new VirtualClock({ wallStartMs: now });
    const g = new CommandGuard({ security: insecure, clock, log: silentLogger() });
    for (let i = 0; i < MAX_REMEMBERED_IDS; i++) admit(g, env(`cmd-a-${String(i).padStart(6, "0")}`));
    // Full: a new command is refused rather than an unexpired id forgotten (its replay would pass).
    expect(codeOf(() => admit(g, env("cmd-b-000001")))).toBe("519");
    clock.advanceBy(7 * MINUTE_MS);
    expect(codeOf(() => admit(g, env("cmd-b-000002", clock.wallMs())))).toBe("ok");
  });

  it("keeps ids in the store across a restart, and goes on when the store fails", () => {
    const clock = new VirtualClock({ wallStartMs: now });
    const map = new Map<string, string>();
    const store: SeenStore = { get: (k) => map.get(k), set: (k, v) => void map.set(k, v) };
    admit(
      new CommandGuard({ security: insecure, clock, log: silentLogger(), seen: store }),
      env("cmd-c-000001"),
    );
    const again = new CommandGuard({ security: insecure, clock, log: silentLogger(), seen: store });
    expect(codeOf(() => admit(again, env("cmd-c-000001")))).toBe("516");

    const { log, lines } = captureLog();
    const broken: SeenStore = {
      get: () => {
        throw new Error("database disk image is malformed");
      },
      set: () => {
        throw new Error("database or disk is full");
      },
    };
    const g = new CommandGuard({ security: insecure, clock, log, seen: broken });
    expect(codeOf(() => admit(g, env("cmd-d-000001")))).toBe("ok");
    expect(codeOf(() => admit(g, env("cmd-d-000001")))).toBe("516");
    expect(lines.filter((l) => l.level === 40).length).toBeGreaterThanOrEqual(2);
  });
});
