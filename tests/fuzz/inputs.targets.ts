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
import { signCommand } from "../../src/contract/command-signing.js";
import { COMMAND_BODIES, COMMAND_NAMES, replyBody, WATCH_LEVELS } from "../../src/contract/messages.js";
import { commandTopic } from "../../src/contract/topics.js";
import { ControlServer } from "../../src/control/server.js";
import { CHANNELS } from "../../src/core/channels.js";
import { VirtualClock } from "../../src/core/clock.js";
import { parsePublicKey } from "../../src/core/ed25519-keys.js";
import { ErrorCode } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/log.js";
import { parseLine } from "../../src/replay/input.js";
import { OTHER_KEY, TEST_CLOUD_KEY, TEST_CLOUD_PUBLIC_KEY } from "../helpers/commands.js";
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
const HOME = "h1";
/** A fresh dispatcher (and so a fresh cache of seen ids) this often: the cache holds 1,000 ids. */
const DISPATCHER_LIFE = 500;

/** The dispatcher under test, trusting the tests' cloud key, as `hearth run` builds it. */
function makeDispatcher() {
  const calls: { name: string; body: unknown }[] = [];
  const handle = (name: string) => (body: unknown) => {
    calls.push({ name, body });
    return { done: name };
  };
  const handlers = Object.fromEntries(COMMAND_NAMES.map((n) => [n, handle(n)])) as unknown as CommandHandlers;
  const dispatch = createCommandDispatcher({
    home: HOME,
    handlers,
    clock: new VirtualClock({ wallStartMs: NOW }),
    log: silentLogger(),
    security: { keys: [parsePublicKey(TEST_CLOUD_PUBLIC_KEY)], insecure: false },
  });
  return { dispatch, calls, uses: 0, accepted: new Set<string>() };
}
let dispatcher: ReturnType<typeof makeDispatcher> | undefined;
const repliesByCode = new Map<string, number>();

/** Replies so far by error code, `ok` for those that ran: the CI test checks both kinds occur. */
export function commandReplies(): ReadonlyMap<string, number> {
  return repliesByCode;
}

const body = fc.oneof(
  fc.record(
    {
      alert: slot(fc.string({ minLength: 6, maxLength: 70 })),
      kind: slot(fc.constantFrom("call", "inactivity", "fall", "nope")),
      by: slot(fc.string({ maxLength: 5 })),
    },
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

const MINUTE = 60_000;
/** Mostly around the gateway's now (so the window checks are reached), sometimes anything. */
const nearTs = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.integer({ min: -12 * MINUTE, max: 3 * MINUTE }).map((d) => new Date(NOW + d).toISOString()),
  },
  isoTs,
);
const validity = fc.integer({ min: -MINUTE, max: 12 * MINUTE });

/** ISO text of a time, or the raw number where Date cannot write it (beyond year 275760). */
const isoOrJunk = (ms: number): string | number => {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? ms : d.toISOString();
};

const envelope = fc
  .record(
    {
      v: slot(fc.constant(1)),
      id: slot(
        fc.oneof(
          fc.string({ minLength: 8, maxLength: 64 }),
          fc.string({ maxLength: 100 }),
          fc.constantFrom("cmd-00000001", "x".repeat(65), "cmd-\u001b[2J-0001"),
        ),
      ),
      ts: slot(nearTs),
      expires: slot(isoTs),
      body: slot(body),
      extra: anyJson,
    },
    { requiredKeys: ["v", "id", "ts", "body"] },
  )
  .chain((e) =>
    validity.map((ms) =>
      // Half the time `expires` follows from `ts`, as the cloud writes it.
      ms % 2 === 0 && typeof e.ts === "string" && Number.isFinite(Date.parse(e.ts) + ms)
        ? { ...e, expires: isoOrJunk(Date.parse(e.ts) + ms) }
        : e,
    ),
  );

const commandName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...COMMAND_NAMES) },
  fc.constantFrom("toString", "constructor", "__proto__", "hasOwnProperty", "valueOf", ""),
  fc.string({ maxLength: 20 }),
);

/** How a payload is signed: by the cloud (for the name it goes to, or another), by a forger, not at all, or a junk `sig`. */
const signing = fc.constantFrom("cloud", "cloud-other-topic", "forger", "none", "junk");

type Signing = "cloud" | "cloud-other-topic" | "forger" | "none" | "junk";

function signed(name: string, e: Record<string, unknown>, how: Signing): Record<string, unknown> {
  switch (how) {
    case "cloud":
      return signCommand(commandTopic(HOME, name), e, TEST_CLOUD_KEY);
    case "cloud-other-topic":
      return signCommand(commandTopic("h2", name), e, TEST_CLOUD_KEY);
    case "forger":
      return signCommand(commandTopic(HOME, name), e, OTHER_KEY);
    case "junk":
      return { ...e, sig: "not-a-signature" };
    case "none":
      return e;
  }
}

/** Bodies each command's schema accepts (or nearly: an ack may name a kind the gateway does not know). */
const goodBody: Record<string, fc.Arbitrary<unknown>> = {
  ack: fc.record({
    alert: fc.string({ minLength: 8, maxLength: 64 }),
    kind: fc.constantFrom("call", "inactivity", "fall", "nope"),
  }),
  ping: fc.constant({}),
  watch: fc.record({
    level: fc.constantFrom(...WATCH_LEVELS),
    until: fc
      .integer({ min: -MINUTE, max: 40 * 24 * 60 * MINUTE })
      .map((d) => new Date(NOW + d).toISOString()),
  }),
  resend: fc.record({ from_seq: fc.nat({ max: 1e6 }) }),
};

/** What the cloud would send: the right body for the name, dated around now, an id repeated now and then. */
const wellFormed = fc.constantFrom(...COMMAND_NAMES).chain((name) =>
  fc.record({
    kind: fc.constant("envelope" as const),
    name: fc.constant(name),
    how: signing,
    e: fc
      .record({
        id: fc.oneof(
          { weight: 9, arbitrary: fc.uuid().map((u) => `cmd-${u}`) },
          fc.constant("cmd-repeated-0001"),
        ),
        ts: fc.integer({ min: -12 * MINUTE, max: 3 * MINUTE }),
        ttl: validity,
        body: goodBody[name] ?? fc.constant({}),
      })
      .map(({ id, ts, ttl, body }) => ({
        v: 1,
        id,
        ts: new Date(NOW + ts).toISOString(),
        expires: new Date(NOW + ts + ttl).toISOString(),
        body,
      })),
  }),
);

const payload = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("envelope" as const), e: envelope, how: signing }) },
  {
    weight: 1,
    arbitrary: anyJson.map((v) => ({ kind: "raw" as const, bytes: Buffer.from(JSON.stringify(v) ?? "") })),
  },
  {
    weight: 1,
    arbitrary: fc.string({ maxLength: 100 }).map((t) => ({ kind: "raw" as const, bytes: Buffer.from(t) })),
  },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ maxLength: 100 })
      .map((b) => ({ kind: "raw" as const, bytes: Buffer.from(b) })),
  },
);
type Payload =
  | { kind: "envelope"; e: Record<string, unknown>; how: Signing }
  | { kind: "raw"; bytes: Buffer };

function bytesOf(name: string, p: Payload): Buffer {
  if (p.kind === "raw") return p.bytes;
  let e = p.e;
  try {
    e = signed(name, p.e, p.how);
  } catch {
    // Not signable (a value JCS refuses, such as a nesting too deep): sent as it is, unsigned.
  }
  return Buffer.from(JSON.stringify(e));
}

const PRINTABLE = /^[\x20-\x7e]{1,64}$/;
const REPLY_CODES = new Set([
  "invalid",
  "unknown_command",
  "expired",
  "failed",
  "unsigned",
  "bad_signature",
  "replayed",
  "refused",
  "clock_unsynced",
  "kind_mismatch",
]);

/**
 * Any name and payload, signed or not: always a reply the contract accepts (never a throw, never
 * `internal` when the handlers do not fail), an id echoed only when short and printable, and a handler
 * reached only with a known name, a valid body, the cloud's signature for this very topic, an
 * unexpired window of at most 10 minutes, and an id not seen before.
 */
export const downlinkCommands: FuzzTarget<{ name: string; payload: Payload }> = {
  name: "commands.dispatch",
  ciRuns: 1000,
  async: true,
  allowed: new Set<ErrorCode>(),
  arbitrary: fc.oneof(
    { weight: 1, arbitrary: fc.record({ name: commandName, payload }) },
    { weight: 1, arbitrary: wellFormed.map(({ name, ...p }) => ({ name, payload: p })) },
  ),
  async run({ name, payload: p }) {
    if (!dispatcher || dispatcher.uses >= DISPATCHER_LIFE) dispatcher = makeDispatcher();
    dispatcher.uses++;
    const { dispatch, calls } = dispatcher;
    calls.length = 0;
    const bytes = bytesOf(name, p);
    const reply = await dispatch(name, bytes);
    const code = reply.status === "ok" ? "ok" : reply.error.code;
    repliesByCode.set(code, (repliesByCode.get(code) ?? 0) + 1);
    invariant(replyBody.safeParse(reply).success, `reply breaks the contract: ${JSON.stringify(reply)}`);
    invariant(PRINTABLE.test(reply.command_id), `echoed id ${JSON.stringify(reply.command_id)}`);
    if (reply.status === "error") {
      invariant(REPLY_CODES.has(reply.error.code), `error code ${reply.error.code}: ${reply.error.message}`);
      invariant(calls.length === 0, "a refused command reached its handler");
      return;
    }
    invariant(Object.hasOwn(COMMAND_BODIES, name), `unknown command ${name} accepted`);
    invariant(calls.length === 1 && calls[0]?.name === name, "one handler call, the named one");
    invariant(
      p.kind === "envelope" && p.how === "cloud",
      `a command not signed by the cloud for this topic ran (${p.kind === "envelope" ? p.how : "raw"})`,
    );
    const parsed = JSON.parse(bytes.toString("utf8")) as { id: string; ts: string; expires: string };
    invariant(!dispatcher.accepted.has(parsed.id), `command id ${parsed.id} ran twice`);
    dispatcher.accepted.add(parsed.id);
    const ts = Date.parse(parsed.ts);
    const expires = Date.parse(parsed.expires);
    invariant(expires >= NOW, `an expired command was run (expires ${parsed.expires})`);
    invariant(
      expires - ts <= 10 * MINUTE,
      `a command valid for more than 10 minutes was run (${parsed.ts} to ${parsed.expires})`,
    );
    invariant(ts <= NOW + MINUTE, `a command dated in the future was run (${parsed.ts})`);
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
