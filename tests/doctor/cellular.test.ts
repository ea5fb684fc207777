import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CellularStatus } from "../../src/cellular/types.js";
import { runDoctor } from "../../src/doctor/doctor.js";
import type { DoctorProbes } from "../../src/doctor/probes.js";
import { realProbes } from "../../src/doctor/real-probes.js";
import { ModemMock, modemMockAvailable } from "../helpers/modem-mock.js";
import { catalogue, fakeProbes, provisionedHome } from "./doctor-rig.js";

const SMS = 'sms:\n  numbers: ["+8613800138000"]\n';

async function doctor(withSms: boolean, over: Partial<DoctorProbes>) {
  const home = provisionedHome();
  home.write(home.yaml(withSms ? SMS : ""));
  const r = await runDoctor({ config: home.config, ...catalogue() }, fakeProbes(home.port, over));
  return { r, line: r.checks.find((c) => c.id === "cellular") };
}

const okModem: CellularStatus = {
  modem: "ok",
  detail: "registered, with signal",
  model: "EG25",
  registration: "home",
  signal_pct: 64,
  operator: "CMCC",
};

describe("hearth doctor: the cellular line", () => {
  it("no sms: section: no line, and ModemManager is not asked", async () => {
    let asked = 0;
    const { line } = await doctor(false, {
      modem: () => {
        asked++;
        return Promise.resolve(okModem);
      },
    });
    expect(line).toBeUndefined();
    expect(asked).toBe(0);
  });

  it("a registered modem with signal: ✓ with model, registration, operator, signal and the numbers", async () => {
    const { r, line } = await doctor(true, { modem: async () => okModem });
    expect(line).toEqual({
      id: "cellular",
      status: "ok",
      detail:
        "EG25, registered (home, CMCC), signal 64 %, SMS to 1 number, `hearth sms-test <number>` sends one",
    });
    expect(r.ok).toBe(true);
  });

  it("no SIM: ✗ with the fix, and doctor fails", async () => {
    const { r, line } = await doctor(true, {
      modem: async () => ({ modem: "no_sim", detail: "no usable SIM in the modem" }),
    });
    expect(line).toMatchObject({ status: "fail", detail: "no usable SIM in the modem" });
    expect(line?.fix).toMatch(/insert a SIM/);
    expect(r.ok).toBe(false);
  });
});

describe.runIf(modemMockAvailable())("hearth doctor's real modem probe against the mock ModemManager", () => {
  const mm = new ModemMock();
  beforeAll(async () => {
    await mm.start();
  });
  afterAll(async () => {
    await mm.stop();
  });

  it("no modem: none; a modem without SIM: no_sim; with one: ok", async () => {
    const probe = realProbes().modem;
    expect(probe).toBeDefined();
    expect((await probe?.())?.modem).toBe("none");
    await mm.addModem({ sim: false });
    expect((await probe?.())?.modem).toBe("no_sim");
    await mm.removeModem();
    await mm.addModem();
    expect(await probe?.()).toMatchObject({ modem: "ok", signal_pct: 71, registration: "home" });
  });
});
