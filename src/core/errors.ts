/**
 * One error type for the whole agent. Callers classify by `code` (or `isTransient`), never by message
 * text. Codes are grouped in ranges per subsystem so a log line's code says where it came from.
 */
export const ErrorCode = {
  // 100–199: configuration and profiles
  ConfigNotFound: 100,
  ConfigInvalid: 102,
  // 200–299: codecs (bad bytes are normal: these are counted, never thrown to the top)
  FrameTruncated: 200,
  FrameChecksum: 201,
  FrameMalformed: 202,
  FrameUnexpected: 203,
  FrameUnsupported: 204,
  FrameDecrypt: 205,
  /** A value or count a caller asked a codec to encode does not fit the format (a bug, never a device's bytes). */
  ValueOutOfRange: 206,
  // 300–399: transports and drivers
  PortOpen: 300,
  PortClosed: 301,
  Timeout: 302,
  DeviceException: 303,
  Canceled: 305,
  /** A serial line's queue is full: the request was refused, not sent. */
  QueueFull: 306,
  // 400–499: outbox
  OutboxClosed: 400,
  OutboxFull: 401,
  /** The outbox file was written by a newer agent (its table layout is unknown to this one). */
  OutboxSchemaNewer: 402,
  /** The outbox file is not a database or is damaged: it is moved aside and a fresh one opened. */
  OutboxCorrupt: 403,
  /** The state directory or the outbox file cannot be written (read-only filesystem, permissions). */
  OutboxReadOnly: 404,
  /** A write failed for another reason (I/O error): what it held is kept in memory until writes work. */
  OutboxIo: 405,
  /**
   * The running agent holds the outbox file to itself (locking_mode EXCLUSIVE, so that its WAL index is
   * not a shared file written back to the card): a tool asks the agent over its control socket instead.
   */
  OutboxInUse: 406,
  // 500–599: uplink and contract
  CommandInvalid: 510,
  CommandUnknown: 511,
  CommandExpired: 512,
  CommandFailed: 513,
  /** A `resend` while rows of the previous one are still pending: one at a time. */
  CommandBusy: 520,
  /** A command without a signature, where the gateway has the cloud's key. */
  CommandUnsigned: 514,
  /** A command whose signature does not verify with the cloud's key (forged, altered, or another topic). */
  CommandBadSignature: 515,
  /** A command id seen before, within its validity window. */
  CommandReplayed: 516,
  /** A state-changing command while the wall clock is not synced: its expiry cannot be checked. */
  CommandClockUnsynced: 517,
  /** An `ack` naming another kind than the alert's: nothing changes. */
  CommandKindMismatch: 518,
  /** The gateway takes no commands now: no key and not insecure, or too many commands in the window. */
  CommandRefused: 519,
  // 600–699: CLI and control socket
  Usage: 600,
  /** A `hearth` command ends with a non-zero exit status, having said why (CliExit). */
  CliFailed: 601,
  ControlUnavailable: 610,
  /** Another agent answers on the control socket: one agent per state directory. */
  ControlInUse: 611,
  // 640–659: local outputs to the person (speaker, GPIO), logged and never thrown into the pipeline
  /** espeak-ng, aplay or gpioset is not installed. */
  OutputToolMissing: 640,
  /** A prompt could not be rendered or played, or a GPIO line set (device busy, bad line, timeout). */
  OutputFailed: 641,
  // 660–679: the cellular modem (ModemManager over D-Bus), for the SMS fallback
  /** No ModemManager on the system bus, no modem, or a modem that cannot send (no SIM, not registered). */
  ModemUnavailable: 660,
  /** ModemManager refused or failed to create or send a message (polkit, network, modem error). */
  SmsFailed: 661,
  // 900: bugs
  Internal: 900,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const transientCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.PortOpen,
  ErrorCode.PortClosed,
  ErrorCode.Timeout,
  ErrorCode.FrameChecksum,
  ErrorCode.FrameTruncated,
]);

export class HearthError extends Error {
  override readonly name = "HearthError";
  readonly code: ErrorCode;
  /** Structured facts for the log line (device, port, byte offset, ...). Never secrets. */
  readonly context: Readonly<Record<string, unknown>>;

  constructor(
    message: string,
    code: ErrorCode,
    context: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.code = code;
    this.context = context;
  }
}

export function isHearthError(e: unknown, code?: ErrorCode): e is HearthError {
  return e instanceof HearthError && (code === undefined || e.code === code);
}

/** Worth retrying: the same call may succeed later (a port that comes back, a broker that returns). */
export function isTransient(e: unknown): boolean {
  return e instanceof HearthError && transientCodes.has(e.code);
}

/** Message of any thrown value, for log lines and replies. */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
