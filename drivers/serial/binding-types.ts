import type { SerialPortStream, OpenOptions as StreamOpenOptions } from "@serialport/stream";

/*
 * serialport's binding interface types, in one place. `@serialport/bindings-interface` declares no
 * types for its ESM entry (NodeNext cannot see them), so they are taken from `@serialport/stream`,
 * which is typed against the same interface.
 */
export type BindingInterface = StreamOpenOptions["binding"];
export type BindingPortInterface = NonNullable<SerialPortStream["port"]>;
export type OpenOptions = Parameters<BindingInterface["open"]>[0];
export type PortInfo = Awaited<ReturnType<BindingInterface["list"]>>[number];
export type PortStatus = Awaited<ReturnType<BindingPortInterface["get"]>>;
