import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { controlRequest } from "../../src/control/client.js";
import { type ControlHandler, ControlServer } from "../../src/control/server.js";
import { SOCKET_NAME, socketPath } from "../../src/control/socket.js";
import { ErrorCode, HearthError, isHearthError } from "../../src/core/errors.js";
import { hearth } from "../helpers/cli.js";
import { captureLog } from "../helpers/log-capture.js";
import { waitFor } from "../helpers/wait.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const STATUS = { home: "h1", uptime_s: 12, outbox: { depth: { alert: 0 } } };

/** A started control server in a fresh state directory, with `status`, `ping` and the given handlers. */
async function serve(handlers: Record<string, ControlHandler> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "hearth-control-"));
  const path = socketPath(dir);
  const capture = captureLog();
  const server = new ControlServer(
    path,
    { status: () => STATUS, ping: () => ({ pong: true }), ...handlers },
    capture.log,
  );
  await server.start();
  cleanups.push(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, path, server, ...capture };
}

/** Writes raw lines to the socket and collects the reply lines until `n` have come. */
async function rawExchange(path: string, text: string, n: number): Promise<Record<string, unknown>[]> {
  const c = createConnection(path);
  cleanups.push(() => {
    c.destroy();
  });
  let buf = "";
  c.setEncoding("utf8");
  c.on("data", (d: string) => {
    buf += d;
  });
  c.on("error", () => undefined);
  await new Promise<void>((resolve) => c.once("connect", () => resolve()));
  c.write(text);
  const lines = () => buf.split("\n").filter((l) => l.trim() !== "");
  await waitFor(`${n} replies`, () => lines().length >= n, { detail: () => buf });
  return lines().map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("the control socket (server)", () => {
  it("answers a status request with the handler's data", async () => {
    const { path } = await serve();
    expect(await controlRequest(path, { cmd: "status" })).toEqual(STATUS);
    expect(await controlRequest(path, { cmd: "ping" })).toEqual({ pong: true });
  });

  it("a bad request gets an error reply with its code, and the server goes on answering", async () => {
    const { path, lines } = await serve();
    const replies = await rawExchange(
      path,
      `${["not json", '{"nocmd":1}', "null", '{"cmd":"reboot"}', '{"cmd":"status"}'].join("\n")}\n`,
      5,
    );
    expect(replies[0]).toMatchObject({ ok: false, code: ErrorCode.CommandInvalid });
    expect(typeof replies[0]?.error).toBe("string");
    expect(replies[1]).toEqual({ ok: false, error: 'a request needs "cmd"', code: ErrorCode.CommandInvalid });
    expect(replies[2]).toEqual({ ok: false, error: 'a request needs "cmd"', code: ErrorCode.CommandInvalid });
    expect(replies[3]).toEqual({
      ok: false,
      error: 'unknown command "reboot" (known: status, ping)',
      code: ErrorCode.CommandUnknown,
    });
    expect(replies[4]).toEqual({ ok: true, data: STATUS });
    expect(lines.filter((l) => l.msg === "Control request failed")).toHaveLength(4);
  });

  it("a request longer than 64 KiB is refused and the connection closed", async () => {
    const { path } = await serve();
    const replies = await rawExchange(path, `{"cmd":"status","pad":"${"x".repeat(70_000)}"}\n`, 1);
    expect(replies).toEqual([{ ok: false, error: "request too long", code: ErrorCode.CommandInvalid }]);
  });

  it("a handler's HearthError reaches the client with its message and code; a plain one as CommandFailed", async () => {
    const { path } = await serve({
      reset_counter: (req) => {
        throw new HearthError(`no BLE device "${String(req.device)}"`, ErrorCode.CommandInvalid);
      },
      crash: () => {
        throw new Error("boom");
      },
    });
    const refused = await controlRequest(path, { cmd: "reset_counter", device: "b1" }).catch(
      (e: unknown) => e,
    );
    expect(isHearthError(refused, ErrorCode.CommandInvalid)).toBe(true);
    expect((refused as Error).message).toBe('no BLE device "b1"');
    const crashed = await controlRequest(path, { cmd: "crash" }).catch((e: unknown) => e);
    expect(isHearthError(crashed, ErrorCode.CommandFailed)).toBe(true);
    expect((crashed as Error).message).toBe("boom");
  });

  it("the socket file is rw for owner and group only, lives in the state directory, and is gone after stop", async () => {
    const { dir, path, server } = await serve();
    expect(path).toBe(join(dir, SOCKET_NAME));
    const st = statSync(path);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
    await server.stop();
    expect(existsSync(path)).toBe(false);
  });

  it("refuses to start while another agent answers on the socket; takes over a stale one", async () => {
    const { dir, path } = await serve();
    const second = new ControlServer(path, {}, captureLog().log);
    const refused = await second.start().catch((e: unknown) => e);
    expect(isHearthError(refused, ErrorCode.ControlInUse)).toBe(true);
    expect((refused as Error).message).toBe(`another agent is running (control socket ${path} answers)`);
    // The first one still answers.
    expect(await controlRequest(path, { cmd: "ping" })).toEqual({ pong: true });

    // A file left behind by a killed agent answers nothing: the new agent replaces it.
    const stalePath = join(dir, "stale.sock");
    writeFileSync(stalePath, "");
    const third = new ControlServer(stalePath, { ping: () => "pong" }, captureLog().log);
    await third.start();
    cleanups.push(() => third.stop());
    expect(statSync(stalePath).isSocket()).toBe(true);
    expect(await controlRequest(stalePath, { cmd: "ping" })).toBe("pong");
  });
});

describe("the control socket (client)", () => {
  it("no agent: ControlUnavailable saying so", async () => {
    const path = join(tmpdir(), `hearth-none-${process.pid}.sock`);
    const e = await controlRequest(path, { cmd: "status" }).catch((x: unknown) => x);
    expect(isHearthError(e, ErrorCode.ControlUnavailable)).toBe(true);
    expect((e as Error).message).toBe(`no agent is running with its control socket at ${path}`);
  });

  it("an agent that does not answer in time: Timeout", async () => {
    const { path } = await serve({ status: () => new Promise(() => {}) });
    const e = await controlRequest(path, { cmd: "status" }, 200).catch((x: unknown) => x);
    expect(isHearthError(e, ErrorCode.Timeout)).toBe(true);
    expect((e as Error).message).toBe(`no answer from the agent on ${path} within 200 ms`);
  });
});

describe("hearth status and ble-reset-counter against the socket", () => {
  it("status --state-dir prints the agent's state as JSON, exit 0; --socket finds it too", async () => {
    const { dir, path } = await serve();
    const byDir = await hearth(["status", "--state-dir", dir]);
    expect(byDir.code, byDir.stderr).toBe(0);
    expect(JSON.parse(byDir.stdout)).toEqual(STATUS);
    const bySocket = await hearth(["status", "--socket", path]);
    expect(bySocket.code, bySocket.stderr).toBe(0);
    expect(JSON.parse(bySocket.stdout)).toEqual(STATUS);
  }, 60_000);

  it("ble-reset-counter: the agent's answer on stdout, exit 0; its refusal on stderr, exit 1", async () => {
    const { dir } = await serve({
      reset_counter: (req) => {
        if (req.device !== "button-1")
          throw new HearthError(
            `no BLE device "${String(req.device)}" with a bind key`,
            ErrorCode.CommandInvalid,
          );
        return { device: req.device, reset: true };
      },
    });
    const ok = await hearth(["ble-reset-counter", "button-1", "--state-dir", dir]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ device: "button-1", reset: true });
    const refused = await hearth(["ble-reset-counter", "meter-1", "--state-dir", dir]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toBe('hearth ble-reset-counter: no BLE device "meter-1" with a bind key\n');
  }, 60_000);

  it("status with no agent: says so, exit 1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hearth-control-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const r = await hearth(["status", "--state-dir", dir]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `hearth status: no agent is running with its control socket at ${socketPath(dir)}\n`,
    );
  }, 60_000);
});
