import { request } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/log.js";
import { ReceiverHttp } from "../../src/receiver/http.js";
import type { ReceiverStore } from "../../src/receiver/store/types.js";
import { sqliteStoreFactory } from "./rig.js";

/** The console's HTTP side on its own: a real store, the receiver's ack and watch recorded. */
const sqlite = sqliteStoreFactory();
let store: ReceiverStore;
let http: ReceiverHttp;
let base = "";
const acks: { alert: string; by: string; note: string | undefined }[] = [];
const watches: { home: string; level: string; until: string | undefined }[] = [];
const NOW = Date.parse("2026-03-01T12:00:00Z");

async function serve(token: string | undefined): Promise<void> {
  store = sqlite.make();
  await store.migrate();
  http = new ReceiverHttp(
    { host: "127.0.0.1", port: 0, token, eventsPollMs: 20 },
    {
      store,
      log: silentLogger(),
      now: () => NOW,
      ack: (alert, by, note) => {
        acks.push({ alert, by, note });
        return Promise.resolve(true);
      },
      watch: (home, level, until) => {
        watches.push({ home, level, until });
        return Promise.resolve();
      },
    },
  );
  await http.start();
  base = `http://127.0.0.1:${http.address?.port}`;
}

/** A raw request, so that browser-only headers (Origin, Sec-Fetch-Site) can be set as a browser would. */
function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  body = "",
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}

const json = { "content-type": "application/json" };
const alertRow = (alert: string, updatedAt: number) => ({
  alert,
  home: "home-1",
  kind: "call",
  state: "raised",
  device: "button-1",
  since: "2026-03-01T14:32:00.000+08:00",
  evidence: { button: "<img src=x onerror=alert(1)>" },
  origin: "gateway" as const,
  messageId: `m-${alert}`,
  updatedAt,
});

afterAll(() => sqlite.cleanup());

/** An event stream read as text: waits until what it has received contains a string. */
async function openStream(url: string): Promise<{
  until(what: string): Promise<void>;
  text(): string;
  cancel(): Promise<void>;
}> {
  const res = await fetch(url);
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  return {
    until: async (what) => {
      while (!text.includes(what)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${what}: ${text}`);
        text += decoder.decode(value);
      }
    },
    text: () => text,
    cancel: () => reader.cancel(),
  };
}

describe("receiver console over HTTP, loopback (no token)", () => {
  beforeAll(() => serve(undefined));
  afterAll(async () => {
    await http.stop();
    await store.close();
  });
  afterEach(() => {
    acks.length = 0;
    watches.length = 0;
  });

  it("serves the page, its script and style with a strict Content-Security-Policy; the API too", async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(await page.text()).toContain('<script type="module" src="console.js">');
    const script = await fetch(`${base}/console.js`);
    expect(script.headers.get("content-type")).toMatch(/^text\/javascript/);
    // The page writes gateway data as text only.
    expect(await script.text()).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    expect((await fetch(`${base}/console.css`)).headers.get("content-type")).toMatch(/^text\/css/);
    const apiAnswer = await fetch(`${base}/api/alerts`);
    expect(apiAnswer.headers.get("content-type")).toBe("application/json");
    expect(apiAnswer.headers.get("content-security-policy")).toBe(csp);
    expect((await fetch(`${base}/nothing.html`)).status).toBe(404);
  });

  it("a gateway's markup comes back as JSON data, never as a page", async () => {
    await store.applyAlert(alertRow("a-markup", 1));
    const res = await fetch(`${base}/api/alerts`);
    expect(res.headers.get("content-type")).toBe("application/json");
    const [a] = (await res.json()) as { evidence: { button: string } }[];
    expect(a?.evidence.button).toBe("<img src=x onerror=alert(1)>");
  });

  it("refuses state-changing requests from another site; takes them from this one", async () => {
    const body = JSON.stringify({ by: "evil" });
    const form = await raw("POST", "/api/alerts/a1/ack", { "content-type": "text/plain" }, body);
    expect(form.status).toBe(415);
    const crossSite = await raw(
      "POST",
      "/api/alerts/a1/ack",
      { ...json, "sec-fetch-site": "cross-site" },
      body,
    );
    expect(crossSite.status).toBe(403);
    const sameSite = await raw(
      "POST",
      "/api/alerts/a1/ack",
      { ...json, "sec-fetch-site": "same-site" },
      body,
    );
    expect(sameSite.status).toBe(403);
    const evilOrigin = await raw(
      "POST",
      "/api/alerts/a1/ack",
      { ...json, origin: "http://evil.example" },
      body,
    );
    expect(evilOrigin.status).toBe(403);
    const nullOrigin = await raw("POST", "/api/alerts/a1/ack", { ...json, origin: "null" }, body);
    expect(nullOrigin.status).toBe(403);
    expect(acks).toEqual([]);
    const host = new URL(base).host;
    const ok = await raw(
      "POST",
      "/api/alerts/a1/ack",
      { ...json, origin: `http://${host}`, "sec-fetch-site": "same-origin" },
      JSON.stringify({ by: "operator Li", note: "" }),
    );
    expect(ok.status).toBe(200);
    expect(acks).toEqual([{ alert: "a1", by: "operator Li", note: undefined }]);
    const badId = await raw("POST", "/api/alerts/%E0%A4%A/ack", json, JSON.stringify({ by: "operator Li" }));
    expect(badId.status).toBe(400);
  });

  it("sets the watch level of all homes; away needs an end at most 30 days ahead", async () => {
    for (const home of ["home-1", "home-2"]) await store.setDesiredWatch(home, "normal", undefined);
    const post = (b: unknown) =>
      fetch(`${base}/api/watch`, { method: "POST", headers: json, body: JSON.stringify(b) });
    expect((await post({ level: "away", homes: "all" })).status).toBe(400);
    expect((await post({ level: "away", homes: "all", until: "2026-05-01T00:00:00+08:00" })).status).toBe(
      400,
    );
    expect((await post({ level: "away", homes: "all", until: "2026-02-01T00:00:00Z" })).status).toBe(400);
    expect((await post({ level: "away", homes: "all", until: "next week" })).status).toBe(400);
    expect((await post({ level: "heightened", homes: ["../x"] })).status).toBe(400);
    expect(watches).toEqual([]);
    const res = await post({ level: "away", homes: "all", until: "2026-03-10T09:00:00+08:00" });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      level: "away",
      until: "2026-03-10T09:00:00+08:00",
      homes: ["home-1", "home-2"],
    });
    expect(watches.map((w) => [w.home, w.level, w.until])).toEqual([
      ["home-1", "away", "2026-03-10T09:00:00+08:00"],
      ["home-2", "away", "2026-03-10T09:00:00+08:00"],
    ]);
    const one = await post({ level: "heightened", homes: ["home-2"] });
    expect(one.status).toBe(200);
    expect(watches.at(-1)).toEqual({ home: "home-2", level: "heightened", until: undefined });
  });

  it("a home's file: its daily records of a date range, its alert history and its commissioning reports", async () => {
    await store.putSummary({
      home: "home-1",
      date: "2026-02-27",
      seq: 5,
      messageId: "m-s1",
      body: { date: "2026-02-27", active_hours: 6 },
      receivedAt: 1,
    });
    const days = (await (
      await fetch(`${base}/api/homes/home-1/summaries?from=2026-02-01&to=2026-02-28`)
    ).json()) as { date: string; body: { active_hours: number } }[];
    expect(days.map((d) => [d.date, d.body.active_hours])).toEqual([["2026-02-27", 6]]);
    expect((await fetch(`${base}/api/homes/home-1/summaries?from=feb&to=2026-02-28`)).status).toBe(400);
    const history = (await (await fetch(`${base}/api/homes/home-1/alerts`)).json()) as { alert: string }[];
    expect(history.map((a) => a.alert)).toContain("a-markup");
    await store.putCommissioningReport({
      home: "home-1",
      seq: 3,
      messageId: "m-r1",
      report: { installer: "Ana", ok: true },
      receivedAt: 2,
    });
    const reports = (await (await fetch(`${base}/api/homes/home-1/commissioning`)).json()) as {
      report: { installer: string };
    }[];
    expect(reports.map((r) => r.report.installer)).toEqual(["Ana"]);
  });

  it("the event stream tells of a new alert, its acknowledgement and a gateway coming online", async () => {
    const res = await fetch(`${base}/api/events`);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    await res.body?.cancel();
    const stream = await openStream(`${base}/api/events`);
    const until = stream.until;
    // The stream's first look at the store is its baseline; changes after it are sent.
    await until(": ready");
    await store.applyAlert(alertRow("a-live", 2));
    await until('"alert":"a-live"');
    expect(stream.text()).toContain('"type":"alert_stored"');
    expect(stream.text()).toContain('"fresh":true');
    await store.markAckSent("a-live", "operator Li", undefined, 3);
    await until('"type":"alert_acked"');
    await store.applyStatus({
      home: "home-9",
      state: "online",
      session: 1,
      reason: undefined,
      version: "0.1.0",
      seq: 1,
      watch: "normal",
      replayDrained: true,
      health: undefined,
      at: 4,
    });
    await until('"type":"gateway_online","home":"home-9"');
    await stream.cancel();
    // The last page gone, polling stops; the next page starts it again from a fresh picture.
    const again = await openStream(`${base}/api/events`);
    await again.until(": ready");
    await store.applyAlert(alertRow("a-later", 5));
    await again.until('"alert":"a-later"');
    expect(again.text()).not.toContain("a-live");
    await again.cancel();
  });
});

describe("receiver console over HTTP, beyond loopback (a token)", () => {
  beforeAll(() => serve("s3cret-token"));
  afterAll(async () => {
    await http.stop();
    await store.close();
  });

  it("asks a browser for basic auth; takes the token as a bearer or as the basic password", async () => {
    const none = await fetch(`${base}/`);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
    expect((await fetch(`${base}/api/events`)).status).toBe(401);
    const basic = (user: string, pass: string) =>
      `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
    expect((await fetch(`${base}/`, { headers: { authorization: basic("li", "wrong") } })).status).toBe(401);
    expect(
      (await fetch(`${base}/`, { headers: { authorization: basic("li", "s3cret-token") } })).status,
    ).toBe(200);
    const bearer = { authorization: "Bearer s3cret-token" };
    expect((await fetch(`${base}/api/homes`, { headers: bearer })).status).toBe(200);
    expect((await fetch(`${base}/api/homes`, { headers: { authorization: "Bearer s3cret" } })).status).toBe(
      401,
    );
  });
});
