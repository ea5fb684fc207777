/** Simulators for BTHome devices; never imported by production entries. */
export { SimulatedButton, type SimulatedButtonOptions } from "./button.js";
export { SimulatedScanner } from "./scanner.js";
