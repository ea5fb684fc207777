import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Agent } from "../../src/agent/agent.js";
import type { AlertBody, Envelope, StatusBody } from "../../src/contract/messages.js";
import { SystemClock } from "../../src/core/clock.js";
import { ErrorCode, HearthError, isHearthError } from "../../src/core/errors.js";
import { randomIds } from "../../src/core/ids.js";
import { SqliteOutbox } from "../../src/outbox/sqlite.js";
import {
  type Received,
  startAedes,
  subscribe,
  type TestBroker,
  type TestSubscriber,
} from "../helpers/brokers.js";
import { captureLog } from "../helpers/log-capture.js";
import { type SimDevices, simHomeAgent } from "../helpers/sim-home.js";
import { waitFor } from "../helpers/wait.js";
import { cannotMount, mountTmpfs, type Tmpfs } from "../outbox/tmpfs.js";

/**
 * Issue 9, defects 1 and 2, through the whole agent (simulated button and meters, an embedded broker,
 * the real SQLite outbox): a full disk, a corrupt outbox and a read-only state directory never cost a
 * call, and the cloud hears of the storage problem by a `storage` alert.
 */

const alerts = (msgs: readonly Received[]) =>
  msgs
    .filter((m) => m.envelope.type === "alert")
    .map((m) => (m.envelope as Envelope<"alert">).body as AlertBody);
const states = (msgs: readonly Received[], kind: string) => [
  ...new Set(
    alerts(msgs)
      .filter((a) => a.kind === kind)
      .map((a) => `${a.alert}:${a.state}`),
  ),
];

interface Rig {
  agent: Agent;
  devices: SimDevices;
  sub: TestSubscriber;
  lines: Record<string, unknown>[];
}

describe("the agent on failing storage", () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
  });

  async function start(stateDir: string): Promise<Rig> {
    const broker: TestBroker = await startAedes();
    cleanups.push(() => broker.close());
    const sub = await subscribe(broker.url, "hearth/#");
    cleanups.push(() => sub.close());
    const capture = captureLog();
    const { agent, devices } = simHomeAgent({ brokerUrl: broker.url, stateDir, log: capture.log });
    cleanups.push(() => agent.stop());
    await agent.start();
    return { agent, devices, sub, lines: capture.lines };
  }

  const press = async (r: Rig, calls: number) => {
    r.devices.button().press("press");
    await r.sub.waitFor((m) => states(m, "call").filter((s) => s.endsWith(":raised")).length >= calls);
  };

  it.skipIf(cannotMount() !== undefined)(
    "full disk (a real 16 MiB tmpfs, filled): three encrypted presses are three calls in the cloud, a storage alert too; space back: it is cleared",
    async () => {
      const fs: Tmpfs = mountTmpfs(16 * 1024 * 1024);
      cleanups.push(() => fs.unmount());
      const r = await start(fs.dir);
      await waitFor("the meters' first telemetry", () => r.agent.outbox.lastSeq() > 0);
      const filler = fs.fill();
      for (let i = 1; i <= 3; i++) await press(r, i);
      await r.sub.waitFor((m) => states(m, "storage").some((s) => s.endsWith(":raised")));
      const raised = alerts(r.sub.messages).find((a) => a.kind === "storage");
      expect(raised?.evidence).toMatchObject({ reason: "full" });
      expect(["memory", "degraded"]).toContain((r.agent.status().storage as { state: string }).state);
      rmSync(filler);
      r.agent.outbox.checkStorage();
      await r.sub.waitFor((m) => states(m, "storage").some((s) => s.endsWith(":cleared")));
      expect(r.agent.status().storage).toMatchObject({ state: "ok", memory_lane: 0 });
      // Every call is on disk now, with the id the cloud got.
      const heard = new Set(
        alerts(r.sub.messages)
          .filter((a) => a.kind === "call")
          .map((a) => a.alert),
      );
      for (const id of heard) expect(r.agent.outbox.alertState(id)?.kind).toBe("call");
    },
    60_000,
  );

  it("a corrupt outbox at start: moved aside, the agent runs, a press is a call, a storage alert names the file", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "hearth-agent-corrupt-"));
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    writeFileSync(join(stateDir, "outbox.db"), "garbage from a failing SD card ".repeat(200));
    const r = await start(stateDir);
    await press(r, 1);
    await r.sub.waitFor((m) => states(m, "storage").length > 0);
    const storage = alerts(r.sub.messages).find((a) => a.kind === "storage");
    expect(storage?.evidence).toMatchObject({ reason: "corrupt" });
    const moved = String(storage?.evidence.moved_to);
    expect(existsSync(moved)).toBe(true);
    expect(readdirSync(stateDir).some((f) => f.startsWith("outbox.db.corrupt-"))).toBe(true);
  }, 30_000);

  it.skipIf(cannotMount() !== undefined)(
    "a read-only state directory at start: queued messages are delivered from memory, the button works, a read_only storage alert; the heartbeat says so",
    async () => {
      const fs: Tmpfs = mountTmpfs(16 * 1024 * 1024);
      cleanups.push(() => fs.unmount());
      const before = new SqliteOutbox({
        path: join(fs.dir, "outbox.db"),
        home: "test-home",
        timeZone: "Asia/Shanghai",
        clock: new SystemClock(),
        ids: randomIds,
        maxSizeBytes: 1 << 20,
        retentionMs: 1000,
        telemetryBatch: 10,
        telemetryFlushMs: 1000,
        log: captureLog().log,
      });
      before.open();
      const queued = before.putEvent({ event: "button", device: "button-1", data: { queued: true } });
      before.close();
      fs.readOnly();
      const r = await start(fs.dir);
      await r.sub.waitFor((m) => m.some((x) => x.envelope.id === queued.id));
      await press(r, 1);
      await r.sub.waitFor((m) => states(m, "storage").length > 0);
      expect(alerts(r.sub.messages).find((a) => a.kind === "storage")?.evidence).toMatchObject({
        reason: "read_only",
      });
      await r.sub.waitFor((m) =>
        m.some(
          (x) =>
            x.envelope.type === "status" &&
            (x.envelope.body as StatusBody).health?.storage?.state === "read_only",
        ),
      );
    },
    30_000,
  );

  it("stop: a step that throws does not skip the rest; the outbox is closed and the uplink ended", async () => {
    const stateDir = mkdtempSync(join(tmpdir(), "hearth-agent-stop-"));
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const r = await start(stateDir);
    await waitFor("the uplink to connect", () => r.agent.uplink.state().connected);
    r.agent.pipeline.stop = () => {
      throw new HearthError("saving learned models failed: disk I/O error", ErrorCode.Internal);
    };
    await r.agent.stop();
    expect(r.agent.uplink.state().connected).toBe(false);
    let closed: unknown;
    try {
      r.agent.outbox.putEvent({ event: "button", device: "button-1", data: {} });
    } catch (e) {
      closed = e;
    }
    expect(isHearthError(closed, ErrorCode.OutboxClosed)).toBe(true);
    expect(
      r.lines.some(
        (l) => l.msg === "Agent stop step failed: pipeline: saving learned models failed: disk I/O error",
      ),
    ).toBe(true);
  }, 30_000);
});
