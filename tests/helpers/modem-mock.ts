/**
 * A ModemManager impersonated on a private D-Bus: `dbus-daemon --session` started here, python-dbusmock's
 * generic objects on it (bookworm's dbusmock has no ModemManager template), and DBUS_SYSTEM_BUS_ADDRESS
 * pointed at it, so src/cellular's real client talks to it as to the system's ModemManager. The modem
 * is built from AddObject / AddProperties / AddMethod; its Messaging.Create makes an SMS object whose
 * Send sets State to SENT (5), so a test reads what was sent from the bus, as ModemManager would list it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { Message, type MessageBus, systemBus, Variant } from "dbus-next";
import { dbusMockTools, startPrivateBus, stopProcesses } from "./private-bus.js";
import { requireTool } from "./tools.js";
import { waitFor } from "./wait.js";

const MM = "org.freedesktop.ModemManager1";
const ROOT = "/org/freedesktop/ModemManager1";
const MOCK = "org.freedesktop.DBus.Mock";
const MODEM = "org.freedesktop.ModemManager1.Modem";
const MODEM_3GPP = "org.freedesktop.ModemManager1.Modem.Modem3gpp";
const MESSAGING = "org.freedesktop.ModemManager1.Modem.Messaging";
const SMS = "org.freedesktop.ModemManager1.Sms";
export const MODEM_PATH = `${ROOT}/Modem/0`;

/** Messaging.Create: a new SMS object from the properties (keys "number" and "text"), SENT on Send(). */
const CREATE_CODE = `n = len([k for k in objects if k.startswith('${ROOT}/SMS/')])
p = '${ROOT}/SMS/%d' % n
self.AddObject(p, '${SMS}', {'Number': args[0]['number'], 'Text': args[0]['text'], 'State': dbus.UInt32(1)},
               [('Send', '', '', "self.UpdateProperties('${SMS}', {'State': dbus.UInt32(5)})")])
ret = dbus.ObjectPath(p)`;

/** dbus-daemon and python3-dbusmock here, or why not (no vitest import: the bench uses it too). */
export function modemMockTools(): { ok: boolean; why: string } {
  return dbusMockTools("dbusmock");
}

/** Whether tests that need the mock ModemManager run here; under CI=true missing tools fail instead. */
export function modemMockAvailable(): boolean {
  const tools = modemMockTools();
  return requireTool("dbus-daemon + python3-dbusmock", tools.ok, tools.why);
}

export interface ModemShape {
  /** Default true. */
  sim?: boolean;
  /** MMModem3gppRegistrationState; default 1 (home). */
  registration?: number;
  /** Percent; default 71. */
  signal?: number;
}

export interface SentSms {
  path: string;
  number: string;
  text: string;
  state: number;
}

export class ModemMock {
  #daemon: ChildProcess | undefined;
  #mock: ChildProcess | undefined;
  #bus: MessageBus | undefined;
  address = "";

  async start(): Promise<void> {
    const bus = await startPrivateBus();
    this.#daemon = bus.daemon;
    this.address = bus.address;
    this.#mock = spawn("/usr/bin/python3", ["-m", "dbusmock", "--system", "-m", MM, ROOT, MM], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: this.address },
    });
    this.#bus = systemBus();
    await waitFor("the ModemManager mock on the bus", async () => {
      try {
        await this.#call(ROOT, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects");
        return true;
      } catch {
        return false;
      }
    });
  }

  async stop(): Promise<void> {
    this.#bus?.disconnect();
    await stopProcesses([this.#mock, this.#daemon]);
  }

  async #call(
    path: string,
    iface: string,
    member: string,
    signature = "",
    body: unknown[] = [],
  ): Promise<unknown[]> {
    const bus = this.#bus;
    if (!bus) throw new Error("ModemMock not started");
    const reply = await bus.call(
      new Message({ destination: MM, path, interface: iface, member, signature, body }),
    );
    return reply?.body ?? [];
  }

  /** A modem at MODEM_PATH (InterfacesAdded goes out), registered with signal unless told otherwise. */
  async addModem(shape: ModemShape = {}): Promise<void> {
    const { sim = true, registration = 1, signal = 71 } = shape;
    await this.#call(ROOT, MOCK, "AddObject", "ssa{sv}a(ssss)", [
      MODEM_PATH,
      MODEM,
      {
        State: new Variant("i", registration === 1 || registration === 5 ? 8 : 7),
        SignalQuality: new Variant("(ub)", [signal, true]),
        Sim: new Variant("o", sim ? `${ROOT}/SIM/0` : "/"),
        Model: new Variant("s", "Mock LTE HAT"),
      },
      [],
    ]);
    await this.#call(MODEM_PATH, MOCK, "AddProperties", "sa{sv}", [
      MODEM_3GPP,
      { RegistrationState: new Variant("u", registration), OperatorName: new Variant("s", "Mock Mobile") },
    ]);
    await this.#call(MODEM_PATH, MOCK, "AddProperties", "sa{sv}", [
      MESSAGING,
      { Messages: new Variant("ao", []), DefaultStorage: new Variant("u", 0) },
    ]);
    await this.#call(MODEM_PATH, MOCK, "AddMethod", "sssss", [
      MESSAGING,
      "Create",
      "a{sv}",
      "o",
      CREATE_CODE,
    ]);
  }

  /** The modem pulled out: its object goes (InterfacesRemoved), as ModemManager does. */
  async removeModem(): Promise<void> {
    await this.#call(ROOT, MOCK, "RemoveObject", "o", [MODEM_PATH]);
  }

  async setSignal(pct: number): Promise<void> {
    // Properties.Set, not the Mock's UpdateProperties: dbusmock 0.28 cannot wrap a struct there.
    await this.#call(MODEM_PATH, "org.freedesktop.DBus.Properties", "Set", "ssv", [
      MODEM,
      "SignalQuality",
      new Variant("(ub)", [pct, true]),
    ]);
  }

  /** Every SMS object ModemManager holds, by path. */
  async messages(): Promise<SentSms[]> {
    const [objects] = (await this.#call(ROOT, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects")) as [
      Record<string, Record<string, Record<string, { value: unknown }>>>,
    ];
    return Object.entries(objects)
      .filter(([, ifaces]) => ifaces[SMS] !== undefined)
      .map(([path, ifaces]) => {
        const p = ifaces[SMS] ?? {};
        return {
          path,
          number: String(p.Number?.value),
          text: String(p.Text?.value),
          state: Number(p.State?.value),
        };
      })
      .sort((a, b) => a.path.localeCompare(b.path, "en", { numeric: true }));
  }

  /** The messages whose Send() was called (State SENT). */
  async sent(): Promise<SentSms[]> {
    return (await this.messages()).filter((m) => m.state === 5);
  }
}
