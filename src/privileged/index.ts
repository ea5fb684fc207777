export * from "./action.js";
export { runPendingRequests } from "./dispatch.js";
export { underRoot } from "./paths.js";
export {
  awaitResult,
  privilegedDirs,
  takeRequests,
  takeResult,
  writeRequest,
  writeResult,
} from "./request-files.js";
