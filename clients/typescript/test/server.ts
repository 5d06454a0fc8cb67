// The server the tests talk to: a real ChatBuilder HTTP API started by the Maven build
// (TypeScriptClientTest), which passes its base URL. No other network is used.
import { ChatBuilderClient, type ClientOptions } from "../src/index.js";

export const BASE_URL = process.env.CHATBUILDER_URL ?? "";

if (BASE_URL === "") {
  throw new Error("CHATBUILDER_URL is not set: these tests run against a server the Maven build starts "
    + "(spring-boot-autoconfigure's TypeScriptClientTest); set it to an API base URL such as http://localhost:8080/admin");
}

export function client(options: Partial<ClientOptions> = {}): ChatBuilderClient {
  return new ChatBuilderClient({ baseUrl: BASE_URL, reconnectDelayMs: 20, ...options });
}

let n = 0;

/** A fresh app id per test, so tests never share history. */
export function appId(name: string): string {
  n += 1;
  return `ts-${name}-${process.pid}-${n}`;
}
