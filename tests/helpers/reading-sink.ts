import type { ButtonPress, DeviceAvailability, Reading, ReadingSink } from "../../src/core/readings.js";

/** A ReadingSink (what drivers report to) that keeps everything it is given, for assertions. */
export class RecordingReadingSink implements ReadingSink {
  readonly batches: Reading[][] = [];
  readonly presses: ButtonPress[] = [];
  readonly changes: { device: string; state: DeviceAvailability; reason: string }[] = [];
  readonly receivers: { id: string; ok: boolean; detail: string }[] = [];
  readings(batch: readonly Reading[]): void {
    this.batches.push([...batch]);
  }
  button(press: ButtonPress): void {
    this.presses.push(press);
  }
  availability(device: string, state: DeviceAvailability, reason: string): void {
    this.changes.push({ device, state, reason });
  }
  receiver(id: string, ok: boolean, detail: string): void {
    this.receivers.push({ id, ok, detail });
  }
  /** Every reading, optionally of one device. */
  all(device?: string): Reading[] {
    return this.batches.flat().filter((r) => device === undefined || r.device === device);
  }
  /** The readings of one device's channel, in order. */
  of(device: string, channel: string): Reading[] {
    return this.all(device).filter((r) => r.channel === channel);
  }
  last(device: string, channel: string): number | undefined {
    return this.of(device, channel).at(-1)?.value;
  }
  /** The availability states reported for a device, in order. */
  states(device: string): DeviceAvailability[] {
    return this.changes.filter((c) => c.device === device).map((c) => c.state);
  }
}
