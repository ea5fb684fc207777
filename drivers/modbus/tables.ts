/**
 * The Modbus tables, as data: function codes, their names, exception codes and names, and the register
 * limits of one request. From "MODBUS Application Protocol Specification V1.1b3" (modbus.org, 2012).
 */

export const FunctionCode = {
  ReadHoldingRegisters: 3,
  ReadInputRegisters: 4,
  WriteSingleRegister: 6,
  WriteMultipleRegisters: 16,
} as const;
export type ReadFunction = 3 | 4;

/** Names of the function codes we speak, as the spec writes them (for `hearth decode modbus`). */
export const FUNCTION_NAMES: Readonly<Record<number, string>> = {
  1: "Read Coils",
  2: "Read Discrete Inputs",
  3: "Read Holding Registers",
  4: "Read Input Registers",
  5: "Write Single Coil",
  6: "Write Single Register",
  8: "Diagnostics",
  15: "Write Multiple Coils",
  16: "Write Multiple Registers",
  23: "Read/Write Multiple registers",
  43: "Encapsulated Interface Transport",
};

/** Diagnostics (function 8) sub-function codes, spec §6.8.1. */
export const DIAGNOSTIC_NAMES: Readonly<Record<number, string>> = {
  0: "Return Query Data",
  1: "Restart Communications Option",
  2: "Return Diagnostic Register",
  3: "Change ASCII Input Delimiter",
  4: "Force Listen Only Mode",
  10: "Clear Counters and Diagnostic Register",
  11: "Return Bus Message Count",
  12: "Return Bus Communication Error Count",
  13: "Return Bus Exception Error Count",
  14: "Return Server Message Count",
  15: "Return Server No Response Count",
  16: "Return Server NAK Count",
  17: "Return Server Busy Count",
  18: "Return Bus Character Overrun Count",
  20: "Clear Overrun Counter and Flag",
};

/** Read Device ID codes of function 43 / MEI 14, spec §6.21. */
export const READ_DEVICE_ID_CODES: Readonly<Record<number, string>> = {
  1: "basic",
  2: "regular",
  3: "extended",
  4: "one specific object",
};

/** Object ids of Read Device Identification, spec §6.21 (0x80.. are the vendor's own). */
export const DEVICE_ID_OBJECTS: Readonly<Record<number, string>> = {
  0: "VendorName",
  1: "ProductCode",
  2: "MajorMinorRevision",
  3: "VendorUrl",
  4: "ProductName",
  5: "ModelName",
  6: "UserApplicationName",
};

/** Exception codes, spec §7. */
export const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
  1: "ILLEGAL FUNCTION",
  2: "ILLEGAL DATA ADDRESS",
  3: "ILLEGAL DATA VALUE",
  4: "SERVER DEVICE FAILURE",
  5: "ACKNOWLEDGE",
  6: "SERVER DEVICE BUSY",
  8: "MEMORY PARITY ERROR",
  10: "GATEWAY PATH UNAVAILABLE",
  11: "GATEWAY TARGET DEVICE FAILED TO RESPOND",
};
export function exceptionName(code: number): string {
  return EXCEPTION_NAMES[code] ?? `UNKNOWN EXCEPTION ${code}`;
}

/** Most registers one read may ask for (spec §6.3: 1..125). */
export const MAX_READ_REGISTERS = 125;
/** Most registers one write-multiple may carry (spec §6.12: 1..123). */
export const MAX_WRITE_REGISTERS = 123;
