/**
 * What comes from outside the box as text: replay input lines, downlink commands from the cloud, and
 * control socket request lines.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { type CommandHandlers, createCommandDispatcher } from "../../src/agent/commands.js";
import { COMMAND_BODIES, COMMAND_NAMES, replyBody, WATCH_LEVELS } from "../../src/contract/messages.js";
import { ControlServer } from "../../src/control/server.js";
import { CHANNELS } from "../../src/core/channels.js";
import { VirtualClock } from "../../src/core/clock.js";
import { ErrorCode } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/log.js";
import { parseLine } from "../../src/replay/input.js";
import { type FuzzTarget, invariant } from "./harness.js";

const anyJson = fc.jsonValue({ maxDepth: 3 });
const slot = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: good }, anyJson);
const isoTs = fc.oneof(
  fc
    .date({ min: new Date("1970-01-01Z"), max: new Date("2200-01-01Z"), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    "2026-03-01T08:00:00+08:00",
    "2026-03-01T08:00Z",
    "2026-02-30T08:00:00Z",
    "2026-03-01T24:00:00Z",
    "2026-03-01T08:00:00.123456789-05:30",
    "2026-03-01 08:00:00",
    "+275760-09-13T00:00:00Z",
  ),
  fc.string({ maxLength: 30 }),
);

// ---- replay input --------------------------------------------------------------------------------

const replayRecord = fc.record(
  {
    ts: slot(isoTs),
    device: slot(fc.constantFrom("meter-1", "button-1", "")),
    channel: slot(
      fc.constantFrom(...Object.keys(CHANNELS), "button", "toString", "__proto__", "constructor"),
    ),
    value: slot(fc.oneof(fc.double(), fc.constantFrom("press", "double_press", ""))),
    command: slot(fc.constantFrom("watch", "ack", "reboot", "__proto__")),
    level: slot(fc.constantFrom(...WATCH_LEVELS, "off")),
    until: slot(isoTs),
    alert: slot(fc.string({ maxLength: 20 })),
    by: slot(fc.string({ maxLength: 10 })),
  },
  { requiredKeys: [] },
);

/** A line of `hearth replay` input: a checked record or the reason it is not one, never a throw. */
export const replayInput: FuzzTarget<string> = {
  name: "replay.input",
  ciRuns: 3000,
  arbitrary: fc.oneof(
    { weight: 4, arbitrary: replayRecord.map((r) => JSON.stringify(r)) },
    { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 120 }) },
  ),
  run(line) {
    const r = parseLine(line);
    if (typeof r === "string") {
      invariant(r.length > 0, "a reason");
      return;
    }
    invariant(Number.isFinite(r.ms), `time ${r.ms}`);
    invariant(Number.isInteger(r.offsetMin) && Math.abs(r.offsetMin) < 24 * 60, `offset ${r.offsetMin}`);
    if (r.kind === "reading")
      invariant(Number.isFinite(r.value) && Object.hasOwn(CHANNELS, r.channel), "reading");
    if (r.kind === "watch" && r.untilMs !== undefined) invariant(Number.isFinite(r.untilMs), "until");
  },
};

// ---- downlink commands ---------------------------------------------------------------------------

const NOW = Date.parse("2026-03-01T08:00:00Z");

/**
 * The dispatcher under test, built in one place: when commands gain signatures (issue 9, another
 * branch), this and `envelope` below are what changes.
 */
function makeDispatcher() {
  const calls: { name: string; body: unknown }[] = [];
  const handle = (name: string) => (body: unknown) => {
    calls.push({ name, body });
    return { done: name };
  };
  const handlers = Object.fromEntries(COMMAND_NAMES.map((n) => [n, handle(n)])) as unknown as CommandHandlers;
  const dispatch = createCommandDispatcher(handlers, new VirtualClock({ wallStartMs: NOW }), silentLogger());
  return { dispatch, calls };
}
let dispatcher: ReturnType<typeof makeDispatcher> | undefined;

const body = fc.oneof(
  fc.record(
    { alert: slot(fc.string({ minLength: 6, maxLength: 70 })), by: slot(fc.string({ maxLength: 5 })) },
    { requiredKeys: ["alert"] },
  ),
  fc.constant({}),
  fc.record(
    { level: slot(fc.constantFrom(...WATCH_LEVELS)), until: slot(isoTs) },
    { requiredKeys: ["level"] },
  ),
  fc.record(
    { from_seq: slot(fc.integer({ min: -1, max: 1e9 })), to_seq: slot(fc.nat()) },
    { requiredKeys: ["from_seq"] },
  ),
  fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 3 }),
);

const envelope = fc.record(
  {
    v: slot(fc.constant(1)),
    id: slot(
      fc.oneof(
        fc.string({ minLength: 8, maxLength: 64 }),
        fc.string({ maxLength: 100 }),
        fc.constantFrom("cmd-00000001", "x".repeat(65), "cmd-\u001b[2J-0001"),
      ),
    ),
    ts: slot(isoTs),
    expires: slot(isoTs),
    body: slot(body),
    extra: anyJson,
  },
  { requiredKeys: ["v", "id", "ts", "body"] },
);

const commandName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...COMMAND_NAMES) },
  fc.constantFrom("toString", "constructor", "__proto__", "hasOwnProperty", "valueOf", ""),
  fc.string({ maxLength: 20 }),
);

const payload = fc.oneof(
  { weight: 6, arbitrary: envelope.map((e) => Buffer.from(JSON.stringify(e))) },
  { weight: 1, arbitrary: anyJson.map((v) => Buffer.from(JSON.stringify(v) ?? "")) },
  { weight: 1, arbitrary: fc.string({ maxLength: 100 }).map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 100 }).map((b) => Buffer.from(b)) },
);

const PRINTABLE = /^[\x20-\x7e]{1,64}$/;
const REPLY_CODES = new Set(["invalid", "unknown_command", "expired", "failed"]);

/**
 * Any name and payload: always a reply the contract accepts (never a throw, never `internal` when
 * the handlers do not fail), an id echoed only when short and printable, and a handler reached only
 * with a known name, a valid body and an unexpired command.
 */
export const downlinkCommands: FuzzTarget<{ name: string; payload: Buffer }> = {
  name: "commands.dispatch",
  ciRuns: 1000,
  async: true,
  allowed: new Set<ErrorCode>(),
  arbitrary: fc.record({ name: commandName, payload }),
  async run({ name, payload: p }) {
    dispatcher ??= makeDispatcher();
    const { dispatch, calls } = dispatcher;
    calls.length = 0;
    const reply = await dispatch(name, p);
    invariant(replyBody.safeParse(reply).success, `reply breaks the contract: ${JSON.stringify(reply)}`);
    invariant(PRINTABLE.test(reply.command_id), `echoed id ${JSON.stringify(reply.command_id)}`);
    if (reply.status === "error") {
      invariant(REPLY_CODES.has(reply.error.code), `error code ${reply.error.code}: ${reply.error.message}`);
      invariant(calls.length === 0, "a refused command reached its handler");
      return;
    }
    invariant(Object.hasOwn(COMMAND_BODIES, name), `unknown command ${name} accepted`);
    invariant(calls.length === 1 && calls[0]?.name === name, "one handler call, the named one");
    const parsed = JSON.parse(p.toString("utf8")) as { expires?: string };
    invariant(
      parsed.expires === undefined || Date.parse(parsed.expires) >= NOW,
      `an expired command was run (expires ${parsed.expires})`,
    );
    const schema = COMMAND_BODIES[name as keyof typeof COMMAND_BODIES];
    invariant(schema.safeParse(calls[0]?.body).success, "the handler got a body its schema refuses");
  },
};

// ---- control socket ------------------------------------------------------------------------------

/** One agent-side server and one client connection for a whole run; replies matched to lines in order. */
async function controlRig() {
  const dir = mkdtempSync(join(tmpdir(), "hearth-fuzz-"));
  const path = join(dir, "hearth.sock");
  const server = new ControlServer(
    path,
    {
      status: () => ({ running: true }),
      echo: (req) => ({ keys: Object.keys(req).length }),
    },
    silentLogger(),
  );
  await server.start();
  const sock: Socket = createConnection(path);
  await new Promise<void>((resolve, reject) => {
    sock.once("connect", resolve);
    sock.once("error", reject);
  });
  sock.setEncoding("utf8");
  const waiting: ((line: string) => void)[] = [];
  let buf = "";
  let closed = false;
  sock.on("close", () => {
    closed = true;
  });
  sock.on("data", (chunk: string) => {
    buf += chunk;
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      waiting.shift()?.(line);
    }
  });
  const ask = (line: string) =>
    new Promise<string>((resolve, reject) => {
      if (closed) reject(new Error("control connection closed"));
      waiting.push(resolve);
      sock.write(`${line}\n`);
    });
  const close = async () => {
    sock.destroy();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  return { ask, close };
}
let control: Promise<Awaited<ReturnType<typeof controlRig>>> | undefined;

export async function closeControlRig(): Promise<void> {
  const c = control;
  control = undefined;
  if (c !== undefined) await (await c).close();
}

const KNOWN_CODES = new Set<number>(Object.values(ErrorCode));
const request = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .record(
        {
          cmd: slot(
            fc.constantFrom("status", "echo", "constructor", "toString", "__proto__", "hasOwnProperty", ""),
          ),
          arg: anyJson,
        },
        { requiredKeys: ["cmd"] },
      )
      .map((o) => JSON.stringify(o)),
  },
  { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 100 }) },
);

/**
 * Request lines on a live control socket: exactly one JSON reply each, ok only for a handler's own
 * name, otherwise an error with a known code; the connection stays open for the next line.
 */
export const controlLines: FuzzTarget<string> = {
  name: "control.lines",
  ciRuns: 500,
  async: true,
  allowed: new Set<ErrorCode>(),
  arbitrary: request.map((l) => l.replace(/[\r\n]/g, " ")),
  async run(line) {
    control ??= controlRig();
    const { ask } = await control;
    const answer = await ask(line);
    const r = JSON.parse(answer) as { ok?: unknown; error?: unknown; code?: unknown; data?: unknown };
    invariant(typeof r.ok === "boolean", `reply without ok: ${answer}`);
    if (r.ok) {
      const cmd = (JSON.parse(line) as { cmd: string }).cmd;
      invariant(cmd === "status" || cmd === "echo", `"${cmd}" answered ok`);
      return;
    }
    invariant(typeof r.error === "string", "an error text");
    invariant(typeof r.code === "number" && KNOWN_CODES.has(r.code), `code ${String(r.code)}`);
  },
};
