// Names around the generated request and response types (src/generated/contracts.ts, from the
// server's openapi.json components).
import type { DraftStatus } from "./generated/contracts.js";

export type DraftState = DraftStatus["state"];
