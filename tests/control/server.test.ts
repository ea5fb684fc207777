import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { controlRequest } from "../../src/control/client.js";
import { type ControlHandler, ControlServer, type ControlServerOptions } from "../../src/control/server.js";
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
async function serve(handlers: Record<string, ControlHandler> = {}, options: ControlServerOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), "hearth-control-"));
  const path = socketPath(dir);
  const capture = captureLog();
  const server = new ControlServer(
    path,
    { status: () => STATUS, ping: () => ({ pong: true }), ...handlers },
    capture.log,
    options,
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
  await waitFor(`${n} replies`, () => lines().length >= n, { detail: () => buf.slice(-2_000) });
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
    expect(replies).toEqual([
      { ok: false, error: "request too long (limit 65536 characters)", code: ErrorCode.CommandInvalid },
    ]);
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

/** A raw connection to the socket: its reply lines as they come, and whether the server closed it. */
async function rawClient(path: string, opts: { allowHalfOpen?: boolean } = {}) {
  const c = createConnection({ path, allowHalfOpen: opts.allowHalfOpen ?? false });
  cleanups.push(() => {
    c.destroy();
  });
  const state = { buf: "", ended: false, closed: false };
  c.setEncoding("utf8");
  c.on("data", (d: string) => {
    state.buf += d;
  });
  c.on("end", () => {
    state.ended = true;
  });
  c.on("close", () => {
    state.closed = true;
  });
  c.on("error", () => undefined);
  await new Promise<void>((resolve) => c.once("connect", () => resolve()));
  const lines = () =>
    state.buf
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  /** Sends one request line and resolves with the next reply line. */
  const ask = async (request: Record<string, unknown>) => {
    const before = lines().length;
    c.write(`${JSON.stringify(request)}\n`);
    await waitFor("a reply", () => lines().length > before, { timeoutMs: 5_000, detail: () => state.buf });
    return lines()[before];
  };
  return { c, state, lines, ask };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("the control socket (limits and lookups)", () => {
  it("inherited Object names are unknown commands, and the server goes on answering", async () => {
    const { path } = await serve();
    const names = ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf", "isPrototypeOf"];
    const replies = await rawExchange(
      path,
      `${[...names.map((cmd) => JSON.stringify({ cmd })), '{"cmd":"status"}'].join("\n")}\n`,
      names.length + 1,
    );
    for (const [i, cmd] of names.entries())
      expect(replies[i]).toEqual({
        ok: false,
        error: `unknown command "${cmd}" (known: status, ping)`,
        code: ErrorCode.CommandUnknown,
      });
    expect(replies[names.length]).toEqual({ ok: true, data: STATUS });
    const e = await controlRequest(path, { cmd: "constructor" }).catch((x: unknown) => x);
    expect(isHearthError(e, ErrorCode.CommandUnknown)).toBe(true);
  });

  it("a connection that sends nothing is closed after the idle timeout; one that keeps asking is not", async () => {
    const { path } = await serve({}, { idleTimeoutMs: 300 });
    const silent = await rawClient(path);
    const busy = await rawClient(path);
    const started = Date.now();
    // The busy one asks every 100 ms, well inside the timeout, for twice the timeout.
    while (Date.now() - started < 600) {
      expect(await busy.ask({ cmd: "ping" })).toEqual({ ok: true, data: { pong: true } });
      await sleep(100);
    }
    await waitFor("the silent connection closed", () => silent.state.closed, { timeoutMs: 5_000 });
    expect(silent.state.buf).toBe("");
    expect(busy.state.closed).toBe(false);
    await waitFor("the busy connection closed once idle", () => busy.state.closed, { timeoutMs: 5_000 });
  });

  it("the idle timeout does not cut a request whose handler is still working", async () => {
    const { path } = await serve(
      { slow: () => new Promise((resolve) => setTimeout(() => resolve("done"), 500)) },
      { idleTimeoutMs: 150 },
    );
    expect(await controlRequest(path, { cmd: "slow" }, 5_000)).toBe("done");
  });

  it("connections beyond the cap are refused with a reply and closed; the open ones keep working", async () => {
    const { path } = await serve({}, { maxConnections: 2 });
    const first = await rawClient(path);
    const second = await rawClient(path);
    // Both are registered once they have been answered.
    expect(await first.ask({ cmd: "ping" })).toEqual({ ok: true, data: { pong: true } });
    expect(await second.ask({ cmd: "ping" })).toEqual({ ok: true, data: { pong: true } });

    // Half-open on its side: what counts is that the server ends the connection on its own.
    const third = await rawClient(path, { allowHalfOpen: true });
    await waitFor("the server ended the third connection", () => third.state.ended, {
      timeoutMs: 5_000,
      detail: () => third.state,
    });
    expect(third.lines()).toEqual([
      {
        ok: false,
        error: "too many control connections (limit 2)",
        code: ErrorCode.ControlUnavailable,
      },
    ]);
    const refused = await controlRequest(path, { cmd: "status" }).catch((x: unknown) => x);
    expect(isHearthError(refused, ErrorCode.ControlUnavailable)).toBe(true);
    expect((refused as Error).message).toBe("too many control connections (limit 2)");

    expect(await first.ask({ cmd: "status" })).toEqual({ ok: true, data: STATUS });
    expect(await second.ask({ cmd: "ping" })).toEqual({ ok: true, data: { pong: true } });

    // A closed connection frees its place.
    first.c.end();
    await waitFor("the first connection closed", () => first.state.closed, { timeoutMs: 5_000 });
    await waitFor(
      "a new connection answered",
      async () => (await controlRequest(path, { cmd: "ping" }).catch(() => undefined)) !== undefined,
      { timeoutMs: 5_000 },
    );
    expect(await second.ask({ cmd: "ping" })).toEqual({ ok: true, data: { pong: true } });
  });

  it("a line growing past the limit without a newline: one reply naming the limit, then the server closes", async () => {
    const { path } = await serve();
    // A client that neither ends nor stops sending: the server must close on its own.
    const hog = await rawClient(path, { allowHalfOpen: true });
    const chunk = "x".repeat(16 * 1024);
    for (let i = 0; i < 8 && !hog.state.closed; i++) {
      hog.c.write(chunk);
      await sleep(10);
    }
    await waitFor("the server closed the connection", () => hog.state.closed, {
      timeoutMs: 5_000,
      detail: () => hog.state,
    });
    expect(hog.lines()).toEqual([
      { ok: false, error: "request too long (limit 65536 characters)", code: ErrorCode.CommandInvalid },
    ]);
    // The server goes on answering others.
    expect(await controlRequest(path, { cmd: "ping" })).toEqual({ pong: true });
  });

  it("a client that sends requests but reads no replies: the server stops reading instead of buffering replies", async () => {
    let answered = 0;
    const { path } = await serve({
      status: () => {
        answered++;
        return STATUS;
      },
    });
    const { c } = await rawClient(path);
    c.pause();
    const line = `${JSON.stringify({ cmd: "status" })}\n`;
    const total = 2 * 1024 * 1024;
    // In pieces of ~16 KiB: a write counts in writableLength until all of it is taken.
    const piece = line.repeat(1_000);
    for (let sent = 0; sent < total; sent += piece.length) c.write(piece);
    // Without backpressure the server reads all 2 MiB and holds ~8 MiB of replies in memory; with it,
    // it stops reading once its replies back up, and most of the requests stay on the client's side.
    let last = -1;
    const settled = Date.now() + 30_000;
    while ((answered !== last || answered === 0) && Date.now() < settled) {
      last = answered;
      await sleep(300);
    }
    expect(answered * line.length).toBeLessThan(total / 4);
    expect(c.writableLength).toBeGreaterThan(total / 2);
  }, 40_000);

  it("a reply delayed past the idle timeout is delivered, and the connection closes once idle after it", async () => {
    const { path } = await serve(
      { slow: () => new Promise((resolve) => setTimeout(() => resolve("done"), 400)) },
      { idleTimeoutMs: 150 },
    );
    const client = await rawClient(path);
    expect(await client.ask({ cmd: "slow" })).toEqual({ ok: true, data: "done" });
    await waitFor("the connection closed once idle", () => client.state.closed, { timeoutMs: 5_000 });
  });

  it("many short requests sent at once are all answered, however long their sum", async () => {
    const { path } = await serve();
    const n = 3_000;
    const line = `${JSON.stringify({ cmd: "ping", pad: "y".repeat(80) })}\n`;
    const replies = await rawExchange(path, line.repeat(n), n);
    expect(replies).toHaveLength(n);
    expect(replies.every((r) => r.ok === true)).toBe(true);
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
