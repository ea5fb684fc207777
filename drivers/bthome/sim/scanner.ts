import type { AdvertConsumer, BleAdvert, BleScanner } from "../../ble/advert.js";

/**
 * A scanner without a radio: simulated devices hand it adverts and it feeds them, while started, to the
 * same `AdvertConsumer` the BlueZ scanner feeds. Adverts sent while stopped are lost, as on air.
 */
export class SimulatedScanner implements BleScanner {
  readonly #consumer: AdvertConsumer;
  readonly #adapter: string;
  #running = false;
  /** Adverts delivered, for tests and the demo's status line. */
  delivered = 0;

  constructor(options: { consumer: AdvertConsumer; adapter?: string }) {
    this.#consumer = options.consumer;
    this.#adapter = options.adapter ?? "sim0";
  }

  start(): Promise<void> {
    this.#running = true;
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.#running = false;
    return Promise.resolve();
  }

  get running(): boolean {
    return this.#running;
  }

  /** Puts one advert on the simulated air. */
  transmit(advert: Omit<BleAdvert, "adapter">): void {
    if (!this.#running) return;
    this.delivered++;
    this.#consumer.advert({ ...advert, adapter: this.#adapter });
  }
}
