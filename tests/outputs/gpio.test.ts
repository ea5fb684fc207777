import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { silentLogger } from "../../src/core/log.js";
import { createOutputs, Gpio, NO_OUTPUTS } from "../../src/outputs/index.js";
import { loadCatalogue } from "../../src/profiles/catalogue.js";
import { captureLog } from "../helpers/log-capture.js";
import { fakeTool } from "../helpers/outputs.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const fake = (o: Parameters<typeof fakeTool>[1] = {}) => {
  const f = fakeTool("gpioset", o);
  dirs.push(f.dir);
  return f;
};

describe("GPIO buzzer and LED through gpioset (libgpiod 1.6 syntax), with a fake gpioset", () => {
  it("a call: LED on, three held beeps each followed by off", async () => {
    const g = fake();
    const gpio = new Gpio({
      chip: "gpiochip0",
      buzzerLine: 17,
      ledLine: 27,
      log: silentLogger(),
      path: g.dir,
    });
    await gpio.signal("call");
    const beep = ["--mode=time --usec=200000 gpiochip0 17=1", "--mode=time --usec=200000 gpiochip0 17=0"];
    expect(g.calls()).toEqual(["gpiochip0 27=1", ...beep, ...beep, ...beep]);
    await gpio.signal("off");
    expect(g.calls().slice(-2)).toEqual(["gpiochip0 17=0", "gpiochip0 27=0"]);
  });

  it("skips a line that is not configured, and runs patterns one after another", async () => {
    const g = fake();
    const gpio = new Gpio({ chip: "1", ledLine: 4, log: silentLogger(), path: g.dir });
    await Promise.all([gpio.signal("help_coming"), gpio.signal("prealarm"), gpio.signal("off")]);
    expect(g.calls()).toEqual(["1 4=1", "1 4=0"]);
  });

  it("a busy line or a missing gpioset is logged with its code and never thrown", async () => {
    const g = fake({
      exit: 1,
      stderr: "gpioset: error setting the GPIO line values: Device or resource busy",
    });
    const { log, lines } = captureLog();
    await new Gpio({ chip: "gpiochip0", buzzerLine: 17, log, path: g.dir }).signal("prealarm");
    // The pattern stops at the first failure.
    expect(g.calls()).toHaveLength(1);
    expect(lines.find((l) => l.level === 50)).toMatchObject({
      err: { code: 641, context: { line: 17, pattern: "prealarm", stderr: expect.stringMatching(/busy/) } },
    });
    const missing = captureLog();
    const empty = join(tmpdir(), "hearth-nowhere");
    await expect(
      new Gpio({ chip: "gpiochip0", ledLine: 1, log: missing.log, path: empty }).signal("call"),
    ).resolves.toBeUndefined();
    expect(missing.lines.find((l) => l.level === 50)).toMatchObject({ err: { code: 640 } });
  });
});

describe("outputs config", () => {
  const parse = (outputs: string) =>
    parseConfig(
      `version: 1\nhome: { id: h1 }\ncloud: { brokers: [{ url: "mqtt://127.0.0.1:1883" }] }\n${outputs}`,
      "t.yaml",
      loadCatalogue().profiles,
    );

  it("is none by default", () => {
    const r = parse("");
    expect(r.ok && r.value.outputs).toEqual({});
    if (r.ok) expect(createOutputs(r.value.outputs, "/tmp/x", silentLogger())).toBe(NO_OUTPUTS);
    expect(NO_OUTPUTS.audible).toBe(false);
  });

  it("takes a speaker (device default) and GPIO lines; a speaker needs its language", () => {
    const r = parse("outputs:\n  speaker: { language: yue }\n  gpio: { chip: gpiochip0, buzzer_line: 17 }\n");
    expect(r.ok && r.value.outputs).toEqual({
      speaker: { enabled: true, device: "default", language: "yue" },
      gpio: { chip: "gpiochip0", buzzer_line: 17 },
    });
    if (r.ok) expect(createOutputs(r.value.outputs, "/tmp/x", silentLogger()).audible).toBe(true);
    const bad = parse("outputs:\n  speaker: { device: default }\n");
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(JSON.stringify(bad.problems)).toMatch(/language/);
    expect(parse("outputs:\n  speaker: { language: fr }\n").ok).toBe(false);
    const off = parse("outputs:\n  speaker: { enabled: false, language: en }\n");
    if (off.ok) expect(createOutputs(off.value.outputs, "/tmp/x", silentLogger())).toBe(NO_OUTPUTS);
  });
});
