export * from "./generated/contracts.js";
export * from "./events.js";
export * from "./api.js";
export * from "./client.js";
export { readSse } from "./sse.js";
