export { BRIDGE_SENSE, type Z2mDevice, type Z2mDeviceStats, Zigbee2mqttAdapter } from "./adapter.js";
export { Zigbee2mqttClient, type Z2mBroker } from "./client.js";
export { decodeState, parseAvailability, parseBridgeDevices, parseJson } from "./codec.js";
export { classify, subscription } from "./topics.js";
