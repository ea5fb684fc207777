/**
 * The slice of BlueZ (through node-ble and its dbus-next bus) the health monitor uses: adverts of the
 * home's health devices, discovery kept on, and a GATT connection with notifications/indications.
 * Loaded lazily: `hearth run` imports this only when the home has a health device.
 */
import { ErrorCode, errorMessage, HearthError } from "../../src/core/errors.js";
import { loadNodeBle, type NodeBleModule, type ProxyInterfaceLike } from "../ble/node-ble.js";

/** Properties whose change means the device just advertised (BlueZ runs discovery with DuplicateData). */
const ADVERT_PROPS = ["RSSI", "ManufacturerData", "ServiceData", "AdvertisingData", "UUIDs"];

export interface GattConnection {
  readonly connected: boolean;
  /** Subscribes to one characteristic of one service; false when the device has neither. */
  subscribe(service: string, characteristic: string, onValue: (value: Uint8Array) => void): Promise<boolean>;
  /** Stops notifications and disconnects; never throws (the device may be gone already). */
  close(): Promise<void>;
}

export interface GattSession {
  keepDiscovering(): Promise<void>;
  connect(mac: string, timeoutMs: number): Promise<GattConnection>;
  close(): void;
}

export interface GattModule {
  open(
    adapter: string,
    macs: readonly string[],
    on: { advert(mac: string): void; lost(why: string): void },
  ): Promise<GattSession>;
}

interface EmitterLike {
  on(event: string, listener: (...args: unknown[]) => void): void;
}
interface NbCharacteristic extends EmitterLike {
  startNotifications(): Promise<void>;
  stopNotifications(): Promise<void>;
}
interface NbService {
  getCharacteristic(uuid: string): Promise<NbCharacteristic>;
}
interface NbGatt {
  getPrimaryService(uuid: string): Promise<NbService>;
}
interface NbDevice extends EmitterLike {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  gatt(): Promise<NbGatt>;
}

function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new HearthError(`${what}: no answer within ${ms} ms`, ErrorCode.Timeout)),
      ms,
    );
    work.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

const objectName = (mac: string) => `dev_${mac.toUpperCase().replace(/:/g, "_")}`;

export function loadGatt(nodeBle: NodeBleModule = loadNodeBle()): GattModule {
  return {
    async open(adapterName, macs, on) {
      const session = nodeBle.createBluetooth();
      const dbus = session.bluetooth.dbus;
      dbus.on("error", (err) => on.lost(errorMessage(err)));
      const adapter = await session.bluetooth.getAdapter(adapterName);
      const adapterPath = `/org/bluez/${adapterName}`;
      const wanted = new Map(macs.map((m) => [objectName(m), m.toUpperCase()]));
      const watched = new Map<string, [ProxyInterfaceLike, (...args: unknown[]) => void]>();
      const watch = async (name: string) => {
        const mac = wanted.get(name);
        if (!mac || watched.has(name)) return;
        const obj = await dbus.getProxyObject("org.bluez", `${adapterPath}/${name}`);
        const props = obj.getInterface("org.freedesktop.DBus.Properties");
        const listener = (...args: unknown[]) => {
          const [iface, changed] = args as [string, Record<string, unknown>];
          if (iface === "org.bluez.Device1" && ADVERT_PROPS.some((p) => p in changed)) on.advert(mac);
        };
        props.on("PropertiesChanged", listener);
        watched.set(name, [props, listener]);
      };
      const root = await dbus.getProxyObject("org.bluez", "/");
      const om = root.getInterface("org.freedesktop.DBus.ObjectManager");
      om.on("InterfacesAdded", (...args: unknown[]) => {
        const [path, ifaces] = args as [string, Record<string, unknown>];
        if (!path.startsWith(`${adapterPath}/`) || !ifaces["org.bluez.Device1"]) return;
        const name = path.slice(adapterPath.length + 1);
        const mac = wanted.get(name);
        if (!mac) return;
        void watch(name).catch(() => undefined);
        // A device BlueZ had not seen (or had forgotten) appearing is an advert too.
        on.advert(mac);
      });
      for (const mac of await adapter.devices()) await watch(objectName(mac)).catch(() => undefined);
      return {
        async keepDiscovering() {
          if (!(await adapter.isPowered()) || (await adapter.isDiscovering())) return;
          await adapter.helper.callMethod("SetDiscoveryFilter", {
            Transport: nodeBle.variant("string", "le"),
            DuplicateData: nodeBle.variant("boolean", true),
          });
          await adapter.helper.callMethod("StartDiscovery");
        },
        async connect(mac, timeoutMs) {
          // node-ble's Device carries connect/gatt beyond the typings used elsewhere (./node-ble.ts).
          const device = (await adapter.getDevice(mac)) as unknown as NbDevice;
          let connected = false;
          device.on("disconnect", () => {
            connected = false;
          });
          const chars: NbCharacteristic[] = [];
          // Services are discovered once per connection (node-ble introspects the whole tree each time).
          let gattOnce: Promise<NbGatt> | undefined;
          const conn: GattConnection = {
            get connected() {
              return connected;
            },
            async subscribe(service, characteristic, onValue) {
              let c: NbCharacteristic;
              try {
                gattOnce ??= within(device.gatt(), timeoutMs, "GATT service discovery");
                const gatt = await gattOnce;
                c = await (await gatt.getPrimaryService(service)).getCharacteristic(characteristic);
              } catch (e) {
                if (/not available/.test(errorMessage(e))) return false;
                throw e;
              }
              c.on("valuechanged", (v: unknown) => onValue(Uint8Array.from(v as Buffer)));
              await within(c.startNotifications(), timeoutMs, "StartNotify");
              chars.push(c);
              return true;
            },
            async close() {
              for (const c of chars)
                await within(c.stopNotifications(), 2000, "StopNotify").catch(() => undefined);
              if (connected) await within(device.disconnect(), 5000, "Disconnect").catch(() => undefined);
              connected = false;
            },
          };
          try {
            await within(device.connect(), timeoutMs, "Connect");
          } catch (e) {
            // A Connect that timed out may still complete inside BlueZ: do not leave the link open.
            await within(device.disconnect(), 5000, "Disconnect").catch(() => undefined);
            throw e;
          }
          connected = true;
          return conn;
        },
        close() {
          for (const [props, listener] of watched.values())
            props.removeListener("PropertiesChanged", listener);
          try {
            session.destroy();
          } catch {
            // Already closed.
          }
        },
      };
    },
  };
}
