import { subscription, Zigbee2mqttAdapter, Zigbee2mqttClient } from "../../drivers/zigbee2mqtt/index.js";
import { zigbee2mqttSchema } from "../config/schema.js";
import { MINUTE_MS } from "../core/time.js";
import type { DriverFactory, StartedDriver } from "./driver-context.js";

/** How often the bridge's (and each unavailable device's) ability to be heard is reported. */
const HEALTH_EVERY_MS = MINUTE_MS;

/**
 * The Zigbee sensors, through the Zigbee2MQTT the installer runs on the gateway: one connection to its
 * broker, one adapter turning its messages into readings, presses and availability.
 */
export const startZigbee2mqtt: DriverFactory<"zigbee2mqtt"> = (ctx, devices): Promise<StartedDriver> => {
  // The section is optional: a home with Zigbee devices and no section uses Zigbee2MQTT's defaults.
  const cfg = ctx.config.zigbee2mqtt ?? zigbee2mqttSchema.parse({});
  const log = ctx.host.log.child({ module: "zigbee2mqtt" });
  const adapter = new Zigbee2mqttAdapter({
    devices: devices.map((d) => ({
      id: d.config.id,
      ieee: d.config.ieee_address,
      spec: d.profile.zigbee2mqtt,
    })),
    baseTopic: cfg.base_topic,
    sink: ctx.sink,
    ...(ctx.durably ? { durably: ctx.durably } : {}),
    clock: ctx.host.clock,
    log,
  });
  const client = new Zigbee2mqttClient({
    broker: {
      url: cfg.url,
      mqttVersion: cfg.mqtt_version,
      clientId: cfg.client_id ?? `hearth-${ctx.config.home.id}-z2m`,
      ...(cfg.username !== undefined ? { username: cfg.username } : {}),
      ...(cfg.password !== undefined ? { password: cfg.password } : {}),
      ...(cfg.tls !== undefined ? { tls: cfg.tls } : {}),
    },
    topic: subscription(cfg.base_topic),
    clock: ctx.host.netClock,
    log,
    onMessage: (topic, payload, retained) => adapter.message(topic, payload, retained),
    onConnection: (up, detail) => adapter.connection(up, detail),
  });
  adapter.reportHealth();
  client.start();
  // Reported again every minute, so the sink can tell how long the bridge has been unheard.
  const timer = ctx.host.clock.setInterval(() => adapter.reportHealth(), HEALTH_EVERY_MS);
  return Promise.resolve({
    name: "zigbee2mqtt",
    async stop() {
      timer.cancel();
      await client.stop();
    },
    status: () => ({ bridge: adapter.health(), devices: adapter.stats() }),
  });
};
