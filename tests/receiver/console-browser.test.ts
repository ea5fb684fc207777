import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/log.js";
import { ReceiverHttp } from "../../src/receiver/http.js";
import { mosquittoAvailable, startMosquitto, type TestBroker } from "../helpers/brokers.js";
import { chromiumAvailable, launchChromium } from "../helpers/browser.js";
import { simHomeAgent } from "../helpers/sim-home.js";
import { waitFor } from "../helpers/wait.js";
import { FakeGateway, receiverOptions, sqliteStoreFactory, startReceiver, waitDecision } from "./rig.js";

const ready = mosquittoAvailable() && chromiumAvailable();

/**
 * The operator console in a real browser (Debian's Chromium, headless), on a real receiver and
 * gateway agent over Mosquitto: an alert appears without a reload, the operator acknowledges it on the
 * page, and the gateway takes the ack.
 */
describe.skipIf(!ready)("the operator console in Chromium", () => {
  let broker: TestBroker;
  let browser: Browser;
  const sqlite = sqliteStoreFactory();
  beforeAll(async () => {
    broker = await startMosquitto();
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await broker?.close();
    sqlite.cleanup();
  });

  it("shows a gateway's alert live; the operator's acknowledgement reaches the gateway", async () => {
    const r = await startReceiver(
      receiverOptions(broker.url, {
        group: "g-console",
        ack: "manual",
        http: { host: "127.0.0.1", port: 0, token: undefined },
      }),
      sqlite.make(),
    );
    const stateDir = mkdtempSync(join(tmpdir(), "hearth-console-"));
    const home = "home-console";
    const { agent, devices } = simHomeAgent({
      brokerUrl: broker.url,
      mqttVersion: "5",
      stateDir,
      home,
      log: silentLogger(),
    });
    let page: Page | undefined;
    let evil: FakeGateway | undefined;
    try {
      await agent.start();
      await waitDecision([r], "gateway_online", (l) => l.home === home);
      page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (e) => pageErrors.push(String(e)));
      await page.goto(`http://127.0.0.1:${r.receiver.httpAddress?.port}/`, { waitUntil: "load" });
      await page.waitForFunction(`document.getElementById("live")?.textContent === "live"`);
      expect(await page.$$("li.alert")).toHaveLength(0);

      devices.button().press("press");
      const [raised] = await waitDecision([r], "alert_stored", (l) => l.home === home && l.kind === "call");
      const id = raised?.alert as string;
      // Live: no reload, the event stream brings it.
      const card = await page.waitForSelector(`li.alert[data-alert="${id}"]`, { timeout: 30_000 });
      expect(await card?.evaluate((e) => e.textContent)).toContain(home);
      expect(await page.title()).toMatch(/NEW ALERT/);

      // A compromised gateway's markup is shown as text and never runs.
      evil = await FakeGateway.start(broker.url, "home-evil", 1);
      const env = evil.alert("alert-evil-1", "raised", 1);
      (env.body as { evidence: unknown }).evidence = {
        detail: '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>',
      };
      await evil.publish(env);
      const evilCard = await page.waitForSelector('li.alert[data-alert="alert-evil-1"]', { timeout: 30_000 });
      expect(await evilCard?.evaluate((e) => e.textContent)).toContain(
        '<img src=x onerror="window.__pwned=1">',
      );
      expect(await page.$$("li.alert img, li.alert script")).toHaveLength(0);
      expect(await page.evaluate("window.__pwned")).toBeUndefined();

      const sel = `li.alert[data-alert="${id}"]`;
      await page.$eval(`${sel} input[name="by"]`, (e) => {
        (e as unknown as { value: string }).value = "";
      });
      await page.type(`${sel} input[name="by"]`, "operator Li");
      await page.type(`${sel} input[name="note"]`, "neighbour is going over");
      await page.click(`${sel} button[type="submit"]`);

      const [acked] = await waitDecision([r], "acknowledged", (l) => l.alert === id);
      expect(acked).toMatchObject({ via: "manual", by: "operator Li" });
      // The gateway verified the signed ack and closed its alert: its acknowledged state comes back.
      await waitDecision([r], "alert_stored", (l) => l.alert === id && l.state === "acknowledged");
      // The gateway's acknowledged state closes the alert: it leaves the page, again without a reload.
      await page.waitForFunction(`!document.querySelector('li.alert[data-alert="${id}"]')`, {
        timeout: 30_000,
      });
      expect(pageErrors).toEqual([]);
    } finally {
      await page?.close();
      await evil?.close();
      await agent.stop();
      await r.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  }, 90_000);

  it("sets away for all homes from the page: an end date and a confirmation first", async () => {
    const own = sqliteStoreFactory();
    const r = await startReceiver(
      receiverOptions(broker.url, {
        group: "g-console-watch",
        ack: "manual",
        http: { host: "127.0.0.1", port: 0, token: undefined },
      }),
      own.make(),
    );
    const gws = [
      await FakeGateway.start(broker.url, "home-w1", 1),
      await FakeGateway.start(broker.url, "home-w2", 1),
    ];
    const page = await browser.newPage();
    try {
      for (const gw of gws) await gw.online();
      await waitDecision([r], "gateway_online", () => true, 2);
      await page.goto(`http://127.0.0.1:${r.receiver.httpAddress?.port}/#homes`, { waitUntil: "load" });
      await page.waitForSelector('li.home[data-home="home-w2"]');
      await page.select("#bulk-watch select[name=level]", "away");
      await page.click("#bulk-watch button[type=submit]");
      // No end date: refused on the page, nothing asked to confirm, nothing sent.
      await page.waitForFunction(`document.getElementById("error").textContent.includes("end date")`);
      expect(
        await page.$eval("#bulk-watch .confirm", (e) => (e as unknown as { hidden: boolean }).hidden),
      ).toBe(true);
      const until = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 16);
      await page.$eval(
        "#bulk-watch input[name=until]",
        (e, v) => {
          (e as unknown as { value: string }).value = v;
        },
        until,
      );
      await page.click("#bulk-watch button[type=submit]");
      await page.waitForSelector("#bulk-watch .confirm:not([hidden])");
      // "All" is every home the receiver knows: here also the earlier test's, retained on the broker.
      const shown = (await page.$$("li.home")).length;
      expect(shown).toBeGreaterThanOrEqual(2);
      expect(await page.$eval("#bulk-watch .confirm-text", (e) => e.textContent)).toContain(
        `Set away for all ${shown} homes until`,
      );
      expect(gws.flatMap((g) => g.commands.filter((c) => c.name === "watch"))).toEqual([]);
      await page.click("#bulk-watch .confirm-yes");
      const sent = await waitDecision([r], "watch_sent", (l) => l.level === "away", 2);
      expect(sent.map((l) => l.home)).toEqual(expect.arrayContaining(["home-w1", "home-w2"]));
      expect((await r.store.listGateways()).map((g) => g.desiredWatch)).toEqual(Array(shown).fill("away"));
      for (const gw of gws)
        await waitFor(`the watch command at ${gw.home}`, () => gw.commands.some((c) => c.name === "watch"));
      expect(gws.map((g) => g.commands.find((c) => c.name === "watch")?.command.body)).toEqual([
        expect.objectContaining({ level: "away" }),
        expect.objectContaining({ level: "away" }),
      ]);
    } finally {
      await page.close();
      for (const gw of gws) await gw.close();
      await r.stop();
      own.cleanup();
    }
  }, 90_000);

  it("beyond loopback: the page works behind basic auth with the token as the password", async () => {
    const own = sqliteStoreFactory();
    const store = own.make();
    await store.migrate();
    const http = new ReceiverHttp(
      { host: "127.0.0.1", port: 0, token: "console-token", eventsPollMs: 100 },
      {
        store,
        log: silentLogger(),
        now: () => Date.now(),
        ack: () => Promise.resolve(false),
        watch: () => Promise.resolve(),
      },
    );
    await http.start();
    const page = await browser.newPage();
    try {
      const url = `http://127.0.0.1:${http.address?.port}/`;
      // Without credentials Chromium gives up on the challenge (its status is checked in console-http.test.ts).
      await expect(page.goto(url)).rejects.toThrow(/AUTH/);
      await page.authenticate({ username: "operator Li", password: "console-token" });
      const ok = await page.goto(url, { waitUntil: "load" });
      expect(ok?.status()).toBe(200);
      // The event stream is through too: an alert written to the store shows without a reload.
      await page.waitForFunction(`document.getElementById("live")?.textContent === "live"`);
      await store.applyAlert({
        alert: "alert-behind-auth",
        home: "home-auth",
        kind: "call",
        state: "raised",
        device: undefined,
        since: undefined,
        evidence: {},
        origin: "gateway",
        messageId: "m-behind-auth",
        updatedAt: Date.now(),
      });
      await page.waitForSelector('li.alert[data-alert="alert-behind-auth"]', { timeout: 30_000 });
    } finally {
      await page.close();
      await http.stop();
      await store.close();
      own.cleanup();
    }
  }, 60_000);
});
