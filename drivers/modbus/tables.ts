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
  3: "Read Holding Registers",
  4: "Read Input Registers",
  6: "Write Single Register",
  16: "Write Multiple Registers",
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
