import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/log.js";
import { decommission } from "../../src/decommission/run.js";
import { privilegedActions } from "../../src/privileged/actions/index.js";
import { runPendingRequests, takeResult, writeRequest } from "../../src/privileged/index.js";

/** A provisioned gateway in a throwaway root: config, CA, client key and cert (with a rotation's .prev), state. */
function provisioned() {
  const root = mkdtempSync(join(tmpdir(), "hearth-decom-"));
  const etc = join(root, "etc/hearth");
  const state = join(root, "var/lib/hearth");
  const run = join(root, "run/hearth");
  for (const d of [etc, state, run, join(state, "certs")]) mkdirSync(d, { recursive: true });
  writeFileSync(
    join(etc, "home.yaml"),
    "version: 1\nhome: { id: h1 }\ncloud:\n  brokers:\n    - url: mqtts://b:8883\n      password: pw\n      tls: { ca: /etc/hearth/ca.pem, cert: /etc/hearth/client.pem, key: /etc/hearth/client.key }\ndevices:\n  - { id: b1, profile: shelly-blu-button1, key: 0123456789abcdef0123456789abcdef }\n",
  );
  for (const f of [
    "home.yaml.prev",
    "ca.pem",
    "client.pem",
    "client.key",
    "client.key.prev",
    "client.pem.prev",
  ])
    writeFileSync(join(etc, f), "x");
  for (const f of ["outbox.db", "outbox.db-wal", "ballast", "certs/pending.key"])
    writeFileSync(join(state, f), "x");
  writeFileSync(join(run, "outbox.db"), "x");
  let stops = 0;
  const actions = privilegedActions({
    stop: () => {
      stops++;
      return Promise.resolve();
    },
  });
  const helper = () =>
    runPendingRequests(state, actions, { root, log: silentLogger(), now: () => new Date() });
  return { root, etc, state, run, helper, stops: () => stops };
}

describe("hearth decommission", () => {
  it("flushes the outbox, sends decommissioned, then the helper stops the agent and deletes keys, config and outbox", async () => {
    const g = provisioned();
    // The agent's outbox drains over three looks; the event adds one message that drains too.
    const depths = [3, 1, 0, 1, 0];
    const events: string[] = [];
    const report = await decommission({
      status: () =>
        Promise.resolve({ outbox: { depth: { alert: 0, event: depths.shift() ?? 0, telemetry: 0 } } }),
      notify: () => {
        events.push("decommissioned");
        return Promise.resolve({ seq: 9 });
      },
      erase: async () => {
        const req = writeRequest(g.state, "decommission", {});
        await g.helper();
        const r = takeResult(g.state, req.id);
        if (!r) throw new Error("no result");
        return r;
      },
      flushTimeoutMs: 10_000,
      pollMs: 1,
      progress: () => undefined,
    });
    expect(report).toMatchObject({ ok: true, flushed: true, pending: 0, told_cloud: true });
    expect(events).toEqual(["decommissioned"]);
    expect(g.stops()).toBe(1);
    // Only the public CA stays; the helper's own folder stays for its result.
    expect(readdirSync(g.etc)).toEqual(["ca.pem"]);
    expect(readdirSync(g.state)).toEqual(["privileged"]);
    expect(readdirSync(g.run)).toEqual([]);
    expect(report.deleted).toEqual(
      expect.arrayContaining([
        "/etc/hearth/home.yaml",
        "/etc/hearth/client.key",
        "/etc/hearth/client.key.prev",
        "/var/lib/hearth/outbox.db",
      ]),
    );
  });

  it("gives up flushing at the timeout and says how much was left; with no agent, says the cloud was not told", async () => {
    const g = provisioned();
    let t = 0;
    const stuck = await decommission({
      status: () => Promise.resolve({ outbox: { depth: { alert: 2, event: 0, telemetry: 5 } } }),
      notify: () => Promise.resolve({}),
      erase: () =>
        Promise.resolve({ id: "x", action: "decommission", ok: true, message: "done", finished_at: "" }),
      flushTimeoutMs: 50,
      pollMs: 1,
      nowMs: () => (t += 10),
      progress: () => undefined,
    });
    expect(stuck).toMatchObject({ flushed: false, pending: 7, told_cloud: false, ok: true });
    const none = await decommission({
      status: () => Promise.resolve(undefined),
      notify: () => Promise.reject(new Error("must not be called")),
      erase: () =>
        Promise.resolve({ id: "x", action: "decommission", ok: true, message: "done", finished_at: "" }),
      flushTimeoutMs: 50,
      progress: () => undefined,
    });
    expect(none).toMatchObject({ flushed: false, pending: null, told_cloud: false });
    expect(existsSync(join(g.etc, "client.key"))).toBe(true);
  });
});
