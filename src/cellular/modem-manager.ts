import { Message, type MessageBus, systemBus, Variant } from "dbus-next";
import { ErrorCode, errorMessage, HearthError } from "../core/errors.js";
import type { CellularStatus, ModemPort } from "./types.js";

/*
 * ModemManager's D-Bus API, as its introspection XML declares it (freedesktop/ModemManager,
 * introspection/org.freedesktop.ModemManager1.Modem*.xml, include/ModemManager-enums.h):
 * - /org/freedesktop/ModemManager1 is an ObjectManager; each modem is one object with
 *   org.freedesktop.ModemManager1.Modem (State i, SignalQuality (ub), Sim o, Model s),
 *   .Modem.Modem3gpp (RegistrationState u, OperatorName s) and .Modem.Messaging.
 * - Messaging.Create(a{sv} {"number", "text"}) → o, the new SMS object (keys as libmm-glib's
 *   mm-sms-properties.c spells them); org.freedesktop.ModemManager1.Sms.Send() queues it.
 * - Sending is the polkit action org.freedesktop.ModemManager1.Messaging (deploy/polkit/).
 */
export const MM_SERVICE = "org.freedesktop.ModemManager1";
export const MM_PATH = "/org/freedesktop/ModemManager1";
const MODEM = "org.freedesktop.ModemManager1.Modem";
const MODEM_3GPP = "org.freedesktop.ModemManager1.Modem.Modem3gpp";
const MESSAGING = "org.freedesktop.ModemManager1.Modem.Messaging";
const SMS = "org.freedesktop.ModemManager1.Sms";
const OBJECT_MANAGER = "org.freedesktop.DBus.ObjectManager";
/** Longest wait for one answer from ModemManager (an SMS's Send waits for the network). */
export const CALL_TIMEOUT_MS = 30_000;

/** MMModemState values of a modem that is registered (REGISTERED, DISCONNECTING, CONNECTING, CONNECTED). */
const REGISTERED_STATES = new Set([8, 9, 10, 11]);
/** MMModemState: LOCKED (SIM PIN) and FAILED. */
const STATE_LOCKED = 2;
const STATE_FAILED = -1;
/** MMModem3gppRegistrationState, by value. */
const REGISTRATION = [
  "idle",
  "home",
  "searching",
  "denied",
  "unknown",
  "roaming",
  "home_sms_only",
  "roaming_sms_only",
  "emergency_only",
  "home_csfb_not_preferred",
  "roaming_csfb_not_preferred",
  "attached_rlos",
] as const;
const REGISTERED = new Set([1, 5, 6, 7, 9, 10]);

type Props = Record<string, { value: unknown } | undefined>;
type Managed = Record<string, Record<string, Props>>;

/**
 * Reads one modem's state from GetManagedObjects' answer: the first object with the Modem interface.
 * Pure, so the mapping is tested without a bus.
 */
export function modemStatus(objects: Managed): CellularStatus {
  const path = Object.keys(objects)
    .filter((p) => objects[p]?.[MODEM] !== undefined)
    .sort()[0];
  if (path === undefined) return { modem: "none", detail: "ModemManager lists no modem" };
  const ifaces = objects[path] ?? {};
  const m = ifaces[MODEM] ?? {};
  const g = ifaces[MODEM_3GPP];
  const state = Number(m.State?.value ?? 0);
  const sim = String(m.Sim?.value ?? "/");
  const [pct, recent] = (m.SignalQuality?.value as [number, boolean] | undefined) ?? [0, false];
  const reg = g?.RegistrationState !== undefined ? Number(g.RegistrationState.value) : undefined;
  const base: CellularStatus = {
    modem: "ok",
    detail: "registered, with signal",
    path,
    signal_pct: Number(pct),
    signal_recent: Boolean(recent),
    ...(typeof m.Model?.value === "string" ? { model: m.Model.value } : {}),
    ...(reg !== undefined ? { registration: REGISTRATION[reg] ?? `state ${reg}` } : {}),
    ...(typeof g?.OperatorName?.value === "string" && g.OperatorName.value !== ""
      ? { operator: g.OperatorName.value }
      : {}),
  };
  if (sim === "/" || state === STATE_LOCKED || state === STATE_FAILED)
    return {
      ...base,
      modem: "no_sim",
      detail: state === STATE_LOCKED ? "the SIM is locked (PIN)" : "no usable SIM in the modem",
    };
  const registered = reg !== undefined ? REGISTERED.has(reg) : REGISTERED_STATES.has(state);
  if (!registered)
    return {
      ...base,
      modem: "not_registered",
      detail: `not registered on a network (${base.registration ?? `modem state ${state}`})`,
    };
  if (Number(pct) <= 0) return { ...base, modem: "no_signal", detail: "no signal" };
  return base;
}

/**
 * ModemManager on the system bus (DBUS_SYSTEM_BUS_ADDRESS, as any D-Bus client): plain method calls,
 * no introspection and no signal subscriptions, so a restart of ModemManager or a modem pulled out is
 * simply seen at the next read.
 */
export class ModemManagerClient implements ModemPort {
  #bus: MessageBus | undefined;

  #connection(): MessageBus {
    if (!this.#bus) {
      const bus = systemBus();
      // A lost bus is found again at the next call (a new connection), never an unhandled error.
      bus.on("error", () => {
        if (this.#bus === bus) this.#bus = undefined;
      });
      this.#bus = bus;
    }
    return this.#bus;
  }

  /**
   * One method call. dbus-next leaves a call unsettled when the bus itself fails (no system bus, the
   * socket closed): the bus's error, or CALL_TIMEOUT_MS without an answer, rejects it instead.
   */
  #call(
    path: string,
    iface: string,
    member: string,
    signature = "",
    body: unknown[] = [],
  ): Promise<unknown[]> {
    const bus = this.#connection();
    const msg = new Message({ destination: MM_SERVICE, path, interface: iface, member, signature, body });
    return new Promise<unknown[]>((resolve, reject) => {
      const settle = (err: unknown, out: unknown[] = []) => {
        clearTimeout(timer);
        bus.off("error", settle);
        if (err) reject(err);
        else resolve(out);
      };
      const timer = setTimeout(
        () =>
          settle(
            new HearthError(
              `ModemManager did not answer ${member} within ${CALL_TIMEOUT_MS} ms`,
              ErrorCode.Timeout,
              {
                member,
              },
            ),
          ),
        CALL_TIMEOUT_MS,
      );
      bus.once("error", settle);
      bus.call(msg).then(
        (reply) => settle(undefined, reply?.body ?? []),
        (e: unknown) => settle(e),
      );
    });
  }

  async status(): Promise<CellularStatus> {
    let objects: Managed;
    try {
      objects = (await this.#call(MM_PATH, OBJECT_MANAGER, "GetManagedObjects"))[0] as Managed;
    } catch (e) {
      return {
        modem: "unreachable",
        detail: `ModemManager not reachable on the system bus: ${errorMessage(e)}`,
      };
    }
    return modemStatus(objects ?? {});
  }

  async send(number: string, text: string): Promise<string> {
    const st = await this.status();
    if (st.path === undefined || st.modem === "unreachable" || st.modem === "none" || st.modem === "no_sim")
      throw new HearthError(`cannot send an SMS: ${st.detail}`, ErrorCode.ModemUnavailable, {
        modem: st.modem,
      });
    try {
      const props = { number: new Variant("s", number), text: new Variant("s", text) };
      const [sms] = await this.#call(st.path, MESSAGING, "Create", "a{sv}", [props]);
      await this.#call(String(sms), SMS, "Send");
      return String(sms);
    } catch (e) {
      throw new HearthError(
        `ModemManager did not send the SMS to ${number}: ${errorMessage(e)}`,
        ErrorCode.SmsFailed,
        {
          to: number,
        },
      );
    }
  }

  close(): void {
    this.#bus?.disconnect();
    this.#bus = undefined;
  }
}
