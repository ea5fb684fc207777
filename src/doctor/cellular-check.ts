import type { CellularStatus } from "../cellular/types.js";
import type { LoadedConfig } from "../config/devices.js";
import { type Check, fail, na, ok } from "./check.js";

const FIX: Record<Exclude<CellularStatus["modem"], "ok">, string> = {
  unreachable:
    "install and start ModemManager (`apt-get install modemmanager`, `systemctl enable --now ModemManager`)",
  none: "plug in the USB modem or HAT and check `mmcli -L` lists it (power, cable, `dmesg`)",
  no_sim: "insert a SIM (without a PIN, or unlock it with `mmcli -i 0 --pin=…`) and check `mmcli -m 0`",
  not_registered:
    "check the SIM is active and SMS-enabled, and the antenna; `mmcli -m 0` shows the registration",
  no_signal: "move the antenna or the gateway (near a window); `mmcli -m 0` shows the signal",
};

/** `cellular`: the SMS fallback's modem (config `sms`), as ModemManager sees it now. */
export function cellularCheck(config: LoadedConfig, status: CellularStatus | undefined): Check {
  if (!config.sms) return na("cellular", "no sms: section in the config (no SMS fallback)");
  if (!status) return na("cellular", "ModemManager was not asked");
  if (status.modem !== "ok") return fail("cellular", status.detail, FIX[status.modem]);
  const parts = [
    status.model ?? "modem",
    `registered (${status.registration ?? "unknown"}${status.operator ? `, ${status.operator}` : ""})`,
    `signal ${status.signal_pct ?? "?"} %`,
    `SMS to ${config.sms.numbers.length} number${config.sms.numbers.length === 1 ? "" : "s"}`,
    "`hearth sms-test <number>` sends one",
  ];
  return ok("cellular", parts.join(", "));
}
