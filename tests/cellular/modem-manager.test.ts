import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ModemManagerClient, modemStatus } from "../../src/cellular/index.js";
import { ErrorCode, isHearthError } from "../../src/core/errors.js";
import { ModemMock, modemMockAvailable } from "../helpers/modem-mock.js";

const MODEM = "org.freedesktop.ModemManager1.Modem";
const G3 = "org.freedesktop.ModemManager1.Modem.Modem3gpp";
const v = (value: unknown) => ({ value });

describe("modemStatus: ModemManager's objects read as the SMS path's state", () => {
  const modem = (m: Record<string, unknown>, reg?: number) => ({
    "/org/freedesktop/ModemManager1/Modem/3": {
      [MODEM]: Object.fromEntries(Object.entries(m).map(([k, x]) => [k, v(x)])),
      ...(reg !== undefined ? { [G3]: { RegistrationState: v(reg) } } : {}),
    },
  });

  it("no modem object: none", () => {
    expect(modemStatus({}).modem).toBe("none");
  });
  it("registered at home with signal: ok, with the figures", () => {
    const s = modemStatus(modem({ State: 8, Sim: "/sim/0", SignalQuality: [55, true] }, 1));
    expect(s).toMatchObject({ modem: "ok", registration: "home", signal_pct: 55, signal_recent: true });
  });
  it('Sim "/" is no SIM; a locked modem is no usable SIM', () => {
    expect(modemStatus(modem({ State: 3, Sim: "/", SignalQuality: [0, false] })).modem).toBe("no_sim");
    expect(modemStatus(modem({ State: 2, Sim: "/sim/0", SignalQuality: [0, false] })).detail).toContain(
      "PIN",
    );
  });
  it("searching or denied is not registered; roaming is", () => {
    expect(modemStatus(modem({ State: 7, Sim: "/sim/0", SignalQuality: [40, true] }, 2)).modem).toBe(
      "not_registered",
    );
    expect(modemStatus(modem({ State: 7, Sim: "/sim/0", SignalQuality: [40, true] }, 3)).registration).toBe(
      "denied",
    );
    expect(modemStatus(modem({ State: 8, Sim: "/sim/0", SignalQuality: [40, true] }, 5)).modem).toBe("ok");
  });
  it("registered with 0 % signal: no_signal", () => {
    expect(modemStatus(modem({ State: 8, Sim: "/sim/0", SignalQuality: [0, true] }, 1)).modem).toBe(
      "no_signal",
    );
  });
});

describe.runIf(modemMockAvailable())(
  "ModemManagerClient against a mock ModemManager on a private bus",
  () => {
    const mm = new ModemMock();
    let client: ModemManagerClient;
    beforeAll(async () => {
      await mm.start();
      client = new ModemManagerClient();
    });
    afterAll(async () => {
      client?.close();
      await mm.stop();
    });

    it("no modem, then one: none, then ok with registration and signal", async () => {
      expect((await client.status()).modem).toBe("none");
      await expect(client.send("+8613800000000", "x")).rejects.toSatisfy((e) =>
        isHearthError(e, ErrorCode.ModemUnavailable),
      );
      expect(await mm.messages()).toEqual([]);
      await mm.addModem({ signal: 64 });
      expect(await client.status()).toMatchObject({
        modem: "ok",
        registration: "home",
        signal_pct: 64,
        model: "Mock LTE HAT",
        operator: "Mock Mobile",
      });
    });

    it("send: Messaging.Create with number and text, then Sms.Send", async () => {
      const path = await client.send("+8613800138000", "Hearth 测试");
      expect(await mm.sent()).toEqual([{ path, number: "+8613800138000", text: "Hearth 测试", state: 5 }]);
    });

    it("signal gone: no_signal; modem removed: none", async () => {
      await mm.setSignal(0);
      expect((await client.status()).modem).toBe("no_signal");
      await mm.removeModem();
      expect((await client.status()).modem).toBe("none");
    });
  },
);
