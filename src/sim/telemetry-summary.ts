import type { TelemetryBody } from "../contract/messages.js";

interface Channel {
  last: number;
  min: number;
  max: number;
  unit: string;
}

interface Hour {
  /** `YYYY-MM-DDTHH` of the readings' local time (the `at` of the first one in this hour). */
  key: string;
  readings: number;
  channels: Map<string, Channel>;
}

/**
 * The console cloud's telemetry, one line per device per (simulated) hour instead of one per reading:
 * how many readings, each channel's last value and, where it moved, its range in that hour.
 */
export class HourlyTelemetry {
  readonly #hours = new Map<string, Hour>();

  /** Takes one reading; returns the device's line for its previous hour when this one starts a new hour. */
  add(b: TelemetryBody): string | undefined {
    const key = b.at.slice(0, 13);
    const cur = this.#hours.get(b.device);
    let line: string | undefined;
    // A late reading (a replay) counts in the hour being collected: the line is a summary, not a record.
    if (cur && key > cur.key) {
      line = summaryLine(b.device, cur);
      this.#hours.delete(b.device);
    }
    const h = this.#hours.get(b.device) ?? { key, readings: 0, channels: new Map<string, Channel>() };
    this.#hours.set(b.device, h);
    h.readings++;
    for (const v of b.values) {
      const c = h.channels.get(v.channel);
      if (c) {
        c.last = v.value;
        c.min = Math.min(c.min, v.value);
        c.max = Math.max(c.max, v.value);
      } else h.channels.set(v.channel, { last: v.value, min: v.value, max: v.value, unit: v.unit });
    }
    return line;
  }

  /** The lines of the hours still being collected (at the end of a run), and forgets them. */
  flush(): string[] {
    const lines = [...this.#hours].map(([device, h]) => summaryLine(device, h));
    this.#hours.clear();
    return lines;
  }
}

function num(v: number): string {
  return String(Number(v.toFixed(3)));
}

function summaryLine(device: string, h: Hour): string {
  const hh = Number(h.key.slice(11, 13));
  const span = `${String(hh).padStart(2, "0")}:00-${String((hh + 1) % 24).padStart(2, "0")}:00`;
  const values = [...h.channels]
    .map(
      ([ch, c]) => `${ch}=${num(c.last)}${c.unit}${c.min !== c.max ? ` (${num(c.min)}..${num(c.max)})` : ""}`,
    )
    .join(" ");
  return `      ${span} telemetry ${device} readings=${h.readings} ${values}`;
}
