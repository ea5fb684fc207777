import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/log.js";
import { LANGUAGES, PROMPT_TEXTS, PROMPTS, Speaker } from "../../src/outputs/index.js";
import { MAX_QUEUED_PROMPTS } from "../../src/outputs/speaker.js";
import { captureLog } from "../helpers/log-capture.js";
import { fakeTool } from "../helpers/outputs.js";
import { haveTool, requireTool } from "../helpers/tools.js";

const dirs: string[] = [];
const tmp = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const haveSpeech = requireTool(
  "espeak-ng and aplay",
  haveTool("espeak-ng", ["--version"]) && haveTool("aplay", ["--version"]),
  "apt-get install -y espeak-ng alsa-utils",
);

describe("speaker prompts", () => {
  it("has every prompt in every language; Mandarin as tone-numbered pinyin (cmn-latn-pinyin)", () => {
    for (const lang of LANGUAGES)
      for (const p of PROMPTS) expect(PROMPT_TEXTS[lang][p].length, `${lang} ${p}`).toBeGreaterThan(5);
    for (const p of PROMPTS) expect(PROMPT_TEXTS.zh[p]).toMatch(/^([a-z]+[1-5][ ,.?]*)+$/);
  });
});

describe.runIf(haveSpeech)("speaker with the real espeak-ng and aplay -D null", () => {
  it("renders a prompt to a WAV once, and plays it", async () => {
    const cacheDir = join(tmp("hearth-speaker-"), "prompts");
    const { log, lines } = captureLog();
    const s = new Speaker({ device: "null", language: "zh", cacheDir, log });
    const wav = await s.wavOf("call_confirmed");
    expect(wav).toBe(join(cacheDir, "zh-call_confirmed.wav"));
    const bytes = readFileSync(wav as string);
    expect(bytes.subarray(0, 4).toString("latin1")).toBe("RIFF");
    expect(bytes.subarray(8, 12).toString("latin1")).toBe("WAVE");
    // More than a header: about a second of speech at 22 kHz, 16 bit.
    expect(bytes.length).toBeGreaterThan(20_000);
    const mtime = statSync(wav as string).mtimeMs;
    await s.say("call_confirmed");
    expect(statSync(wav as string).mtimeMs).toBe(mtime);
    expect(lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
    expect(lines.some((l) => l.msg === "Said call_confirmed")).toBe(true);
  });

  it("renders Cantonese and English too", async () => {
    const cacheDir = tmp("hearth-speaker-");
    for (const language of ["yue", "en"] as const) {
      const s = new Speaker({ device: "null", language, cacheDir, log: silentLogger() });
      const wav = await s.wavOf("prealarm_ask");
      expect(readFileSync(wav as string).length).toBeGreaterThan(20_000);
    }
  });
});

describe("speaker failures are logged, never thrown", () => {
  it("without espeak-ng or aplay: say resolves, and the missing tool is logged once with its code", async () => {
    const empty = tmp("hearth-no-tools-");
    const { log, lines } = captureLog();
    const s = new Speaker({ device: "null", language: "en", cacheDir: join(empty, "c"), log, path: empty });
    await expect(s.say("call_confirmed")).resolves.toBeUndefined();
    await expect(s.say("help_coming")).resolves.toBeUndefined();
    const errors = lines.filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      err: { code: 640 },
      msg: "rendering a prompt failed: espeak-ng is not installed",
    });
  });

  it("uses the provider's recorded prompt; a busy device is logged with aplay's message", async () => {
    const recorded = tmp("hearth-recorded-");
    writeFileSync(join(recorded, "help_coming.wav"), "RIFF....WAVE");
    const aplay = fakeTool("aplay", {
      exit: 1,
      stderr: "aplay: main:831: audio open error: Device or resource busy",
    });
    const { log, lines } = captureLog();
    const s = new Speaker({
      device: "hw:1,0",
      language: "en",
      promptsDir: recorded,
      cacheDir: join(aplay.dir, "c"),
      log,
      path: aplay.dir,
    });
    await s.say("help_coming");
    expect(aplay.calls()).toEqual([`-q -D hw:1,0 ${join(recorded, "help_coming.wav")}`]);
    expect(lines.find((l) => l.level === 50)).toMatchObject({
      err: { code: 641, context: { device: "hw:1,0", exit_code: 1, stderr: expect.stringMatching(/busy/) } },
    });
  });

  it("plays prompts one at a time, in the order asked", async () => {
    const recorded = tmp("hearth-recorded-");
    mkdirSync(recorded, { recursive: true });
    for (const p of PROMPTS) writeFileSync(join(recorded, `${p}.wav`), "RIFF");
    const aplay = fakeTool("aplay");
    const s = new Speaker({
      device: "null",
      language: "en",
      promptsDir: recorded,
      cacheDir: recorded,
      log: silentLogger(),
      path: aplay.dir,
    });
    await Promise.all([s.say("prealarm_ask"), s.say("prealarm_cancelled"), s.say("call_confirmed")]);
    expect(aplay.calls().map((c) => c.split("/").at(-1))).toEqual([
      "prealarm_ask.wav",
      "prealarm_cancelled.wav",
      "call_confirmed.wav",
    ]);
  });

  it("drops prompts beyond the queue bound while the device is slow, and says so", async () => {
    const recorded = tmp("hearth-recorded-");
    for (const p of PROMPTS) writeFileSync(join(recorded, `${p}.wav`), "RIFF");
    const aplay = fakeTool("aplay", { sleepS: 0.2 });
    dirs.push(aplay.dir);
    const { log, lines } = captureLog();
    const s = new Speaker({
      device: "null",
      language: "en",
      promptsDir: recorded,
      cacheDir: recorded,
      log,
      path: aplay.dir,
    });
    const asked = Array.from({ length: MAX_QUEUED_PROMPTS + 2 }, () => s.say("call_confirmed"));
    await Promise.all(asked);
    expect(aplay.calls()).toHaveLength(MAX_QUEUED_PROMPTS);
    expect(lines.filter((l) => String(l.msg).includes("dropped"))).toHaveLength(2);
    // Room again once they were played.
    await s.say("help_coming");
    expect(aplay.calls().at(-1)).toMatch(/help_coming\.wav$/);
  });
});
