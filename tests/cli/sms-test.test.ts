import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hearth } from "../helpers/cli.js";
import { ModemMock, modemMockAvailable } from "../helpers/modem-mock.js";

const dir = mkdtempSync(join(tmpdir(), "hearth-sms-test-"));
const config = join(dir, "home.yaml");
writeFileSync(
  config,
  `version: 1
home: { id: h-sms, timezone: Asia/Hong_Kong }
state_dir: ${join(dir, "state")}
cloud: { brokers: [ { url: "mqtt://127.0.0.1:9" } ] }
sms: { numbers: ["+85291234567"], language: yue }
`,
);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("hearth sms-test: wrong usage", () => {
  it("a number that is not one, or an unknown language: exit 2, nothing sent", async () => {
    const bad = await hearth(["sms-test", "call-me", "-c", config]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/call-me: not a phone number/);
    const lang = await hearth(["sms-test", "+85291234567", "-c", config, "--language", "fr"]);
    expect(lang.code).toBe(2);
    expect(lang.stderr).toMatch(/--language fr/);
  });
});

describe.runIf(modemMockAvailable())("hearth sms-test against the mock ModemManager", () => {
  const mm = new ModemMock();
  beforeAll(async () => {
    await mm.start();
  });
  afterAll(async () => {
    await mm.stop();
  });

  it("no modem: exit 1 saying why, nothing sent; with a modem: one SMS in the config's language, JSON on stdout", async () => {
    const none = await hearth(["sms-test", "+85291234567", "-c", config]);
    expect(none.code).toBe(1);
    expect(JSON.parse(none.stdout)).toMatchObject({ ok: false, modem: { modem: "none" } });
    expect(none.stderr).toMatch(/not sent: cannot send an SMS: ModemManager lists no modem/);
    expect(await mm.messages()).toEqual([]);

    await mm.addModem();
    const r = await hearth(["sms-test", "+85291234567", "-c", config]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; text: string; sms: string; modem: { modem: string } };
    expect(out).toMatchObject({ ok: true, to: "+85291234567", modem: { modem: "ok" } });
    expect(out.text).toMatch(/^Hearth h-sms：測試短訊，\d{4}-\d\d-\d\d \d\d:\d\d。/);
    expect(await mm.sent()).toEqual([{ path: out.sms, number: "+85291234567", text: out.text, state: 5 }]);
  });
});
