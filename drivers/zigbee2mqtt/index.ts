export { BRIDGE_SENSE, type Z2mDevice, type Z2mDeviceStats, Zigbee2mqttAdapter } from "./adapter.js";
export { type Z2mBroker, Zigbee2mqttClient } from "./client.js";
export { decodeState, parseAvailability, parseBridgeDevices, parseJson } from "./codec.js";
export { classify, subscription } from "./topics.js";
