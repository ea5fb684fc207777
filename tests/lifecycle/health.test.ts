import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ControlServer } from "../../src/control/server.js";
import { socketPath } from "../../src/control/socket.js";
import { silentLogger } from "../../src/core/log.js";
import { type StatusSnapshot, socketHealthCheck, unhealthyReasons } from "../../src/lifecycle/health.js";

const healthy: StatusSnapshot = {
  version: "1.1.0",
  uplink: { connected: true },
  storage: { state: "ok" },
  devices: { "meter-1": { availability: "online" }, "button-1": { availability: "unknown" } },
};
const before: StatusSnapshot = {
  devices: { "meter-1": { availability: "online" }, "button-1": { availability: "unknown" } },
};

describe("healthy after a restart", () => {
  it("is the expected version, connected, on a usable outbox, with the devices that reported before reporting again", () => {
    expect(unhealthyReasons(healthy, { version: "1.1.0", before })).toEqual([]);
    expect(
      unhealthyReasons(
        { version: "1.0.0", uplink: { connected: false }, storage: { state: "memory" }, devices: {} },
        { version: "1.1.0", before },
      ),
    ).toEqual([
      "version 1.0.0 runs, not 1.1.0",
      "not connected to a broker",
      "outbox not usable (storage memory)",
      "not polled again: meter-1",
    ]);
    // A device that had never reported (a button nobody pressed) is not waited for.
    expect(
      unhealthyReasons({ ...healthy, devices: { "meter-1": { availability: "online" } } }, { before }),
    ).toEqual([]);
  });

  it("is read from the agent's control socket, polled until healthy or the time is up", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-health-"));
    let looks = 0;
    const server = new ControlServer(
      socketPath(dir),
      { status: () => (++looks < 3 ? { ...healthy, uplink: { connected: false } } : healthy) },
      silentLogger(),
    );
    await server.start();
    try {
      const check = socketHealthCheck(dir, 5);
      expect(await check({ version: "1.1.0", before, timeoutMs: 10_000 })).toEqual({
        ok: true,
        detail: "connected, devices polled, outbox usable",
      });
      expect(looks).toBe(3);
      const late = await check({ version: "2.0.0", timeoutMs: 30 });
      expect(late.ok).toBe(false);
      expect(late.detail).toMatch(/^not healthy within 0 s: version 1.1.0 runs, not 2.0.0$/);
    } finally {
      await server.stop();
    }
    const none = await socketHealthCheck(dir, 5)({ timeoutMs: 20 });
    expect(none).toMatchObject({ ok: false, detail: expect.stringMatching(/no agent is running/) });
  });
});
