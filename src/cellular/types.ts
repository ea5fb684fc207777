/**
 * What the gateway knows of its cellular modem, read from ModemManager (one modem: the first it lists).
 * `problem` is what keeps it from sending an SMS now, or undefined when nothing does.
 */
export interface CellularStatus {
  modem: "ok" | "none" | "no_sim" | "not_registered" | "no_signal" | "unreachable";
  /** Why, in words, for the alert's evidence and `hearth doctor`. */
  detail: string;
  /** ModemManager's object path of the modem used, when there is one. */
  path?: string;
  model?: string;
  /** MMModem3gppRegistrationState as a word (home, roaming, searching, denied, ...). */
  registration?: string;
  /** SignalQuality's percentage (0–100). */
  signal_pct?: number;
  /** Whether ModemManager says that figure is recent. */
  signal_recent?: boolean;
  operator?: string;
}

/** The slice of ModemManager the fallback, the supervision and the CLI use; tests hand in fakes. */
export interface ModemPort {
  status(): Promise<CellularStatus>;
  /** Creates the message on the modem and sends it; resolves with the SMS object's path. */
  send(number: string, text: string): Promise<string>;
  close(): void;
}
