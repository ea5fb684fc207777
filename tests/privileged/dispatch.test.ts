import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ErrorCode, HearthError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/log.js";
import {
  type AnyPrivilegedAction,
  privilegedDirs,
  runPendingRequests,
  takeResult,
  underRoot,
  writeRequest,
} from "../../src/privileged/index.js";

const echo: AnyPrivilegedAction = {
  name: "echo",
  parse(args: unknown) {
    if (typeof args !== "object" || args === null || typeof (args as { text?: unknown }).text !== "string") {
      throw new HearthError("args.text must be a string", ErrorCode.CommandInvalid);
    }
    return args as { text: string };
  },
  run(args: { text: string }) {
    return Promise.resolve({ message: `echoed ${args.text}`, detail: { text: args.text } });
  },
};
const actions = new Map([[echo.name, echo]]);

function setup(now = new Date("2026-12-07T10:00:00Z")) {
  const stateDir = mkdtempSync(join(tmpdir(), "hearth-priv-"));
  return { stateDir, ctx: { root: "/nonexistent", log: silentLogger(), now: () => now } };
}

describe("privileged requests", () => {
  it("runs a valid request and hands its result back once", async () => {
    const { stateDir, ctx } = setup();
    const req = writeRequest(stateDir, "echo", { text: "hi" }, new Date("2026-12-07T09:59:00Z"));
    const results = await runPendingRequests(stateDir, actions, ctx);
    expect(results.map((r) => r.ok)).toEqual([true]);
    expect(readdirSync(privilegedDirs(stateDir).requests)).toEqual([]);
    expect(takeResult(stateDir, req.id)).toMatchObject({
      ok: true,
      message: "echoed hi",
      detail: { text: "hi" },
    });
    expect(takeResult(stateDir, req.id)).toBeUndefined();
  });

  it("refuses bad arguments, unknown actions, stale requests and non-JSON files, each with its reason", async () => {
    const { stateDir, ctx } = setup();
    const bad = writeRequest(stateDir, "echo", { text: 3 }, new Date("2026-12-07T09:59:00Z"));
    const unknown = writeRequest(stateDir, "format-disk", {}, new Date("2026-12-07T09:59:01Z"));
    const stale = writeRequest(stateDir, "echo", { text: "old" }, new Date("2026-12-07T09:00:00Z"));
    writeFileSync(join(privilegedDirs(stateDir).requests, "zz.json"), "{not json");
    const results = await runPendingRequests(stateDir, actions, ctx);
    expect(results).toHaveLength(4);
    expect(results.every((r) => !r.ok)).toBe(true);
    expect(takeResult(stateDir, bad.id)?.message).toBe("args.text must be a string");
    expect(takeResult(stateDir, unknown.id)?.message).toMatch(/unknown action "format-disk" \(known: echo\)/);
    expect(takeResult(stateDir, stale.id)?.message).toMatch(/stale/);
    expect(results.find((r) => r.id === "")?.message).toMatch(/zz\.json: not JSON/);
  });

  it("keeps action paths under the root and refuses ..", () => {
    expect(underRoot("/tmp/r", "/etc/hearth/home.yaml")).toBe("/tmp/r/etc/hearth/home.yaml");
    expect(() => underRoot("/tmp/r", "/etc/../root/.ssh")).toThrow(/without "\.\."/);
    expect(() => underRoot("/tmp/r", "etc/x")).toThrow(/absolute/);
  });
});
