export * from "./generated/contracts.js";
export * from "./events.js";
export * from "./api.js";
export * from "./client.js";
export { readSse, type SseFrame } from "./sse.js";
