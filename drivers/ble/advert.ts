/**
 * The seam between a BLE scanner (BlueZ over D-Bus, or the simulator) and whoever reads adverts. A
 * scanner calls `advert()` for every advertising report that carries service data for a UUID it was
 * asked to watch, repeated copies included (BlueZ runs with DuplicateData on): de-duplication is the
 * consumer's job, because only it knows the protocol's packet id or counter.
 */
export interface BleAdvert {
  /** Device address, upper case with colons: AA:BB:CC:DD:EE:FF. */
  mac: string;
  /** Service data for the watched UUID: the bytes after the 16-bit UUID. */
  serviceData: Uint8Array;
  /** Received signal strength, dBm, when the scanner knows it. */
  rssi?: number;
  /** Adapter that heard it (hci0, …). */
  adapter?: string;
}

export interface AdvertConsumer {
  /**
   * The service-data UUID this consumer reads (128-bit, lower case): the protocol knows it, the radio
   * does not. A scanner passes on that UUID's service data only.
   */
  readonly serviceUuid: string;
  advert(a: BleAdvert): void;
}

/** A source of adverts: the BlueZ scanner, or the simulator. Both feed an `AdvertConsumer`. */
export interface BleScanner {
  start(): Promise<void>;
  /** Stops scanning and removes every listener it registered. */
  stop(): Promise<void>;
  /**
   * Whether the scanner can hear adverts now (adapter present, powered, discovering), and if not,
   * why. A call button only advertises when pressed, so no adverts says nothing: this does.
   */
  health?(): { ok: boolean; detail: string };
}
