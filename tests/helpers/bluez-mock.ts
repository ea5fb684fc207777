import { afterAll, beforeAll } from "vitest";
import { BluezMock, type BluezMockOptions } from "./bluez-mock-core.js";

/** The mock BlueZ of bluez-mock-core.ts, and its start and stop around a vitest suite. */
export * from "./bluez-mock-core.js";

/** A BluezMock with adapter hci0, started before the suite's tests and stopped after them. */
export function bluezMockForSuite(options: BluezMockOptions = {}): BluezMock {
  const bluez = new BluezMock(options);
  beforeAll(async () => {
    await bluez.start();
    await bluez.addAdapter("hci0");
  });
  afterAll(async () => {
    await bluez.stop();
  });
  return bluez;
}
