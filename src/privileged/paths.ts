import { isAbsolute, join, normalize } from "node:path";
import { ErrorCode, HearthError } from "../core/errors.js";

/** An absolute system path placed under the action's root (tests use a throwaway root). Refuses `..`. */
export function underRoot(root: string, absolute: string): string {
  const n = normalize(absolute);
  if (!isAbsolute(absolute) || absolute.split("/").includes("..")) {
    throw new HearthError(`path "${absolute}" must be absolute without ".."`, ErrorCode.CommandInvalid, {
      path: absolute,
    });
  }
  return join(root, n);
}
