import assert from "node:assert/strict";
import { test } from "node:test";
import { APP_EVENT_TYPES, ChatBuilderClient, EVENT_TYPES, OPERATIONS } from "../src/index.js";
import { client } from "./server.js";

test("the client has a method for every operation of the server's OpenAPI document, and no other", async () => {
  const doc = (await client().openApi()) as { openapi: string; paths: Record<string, Record<string, { operationId: string }>> };
  assert.match(doc.openapi, /^3\.1\./);
  const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId)).sort();
  assert.deepEqual(Object.keys(OPERATIONS).sort(), ids);
  for (const method of Object.values(OPERATIONS)) {
    assert.equal(typeof ChatBuilderClient.prototype[method], "function", method);
  }
});

test("the client knows exactly the event types of the server's events schema", async () => {
  const schema = (await client().eventsSchema()) as {
    $defs: Record<string, { properties?: { type?: { const?: string } } }> & { Event: { oneOf: { $ref: string }[] } };
  };
  const types = schema.$defs.Event.oneOf.map((r) => {
    const name = r.$ref.replace("#/$defs/", "");
    const type = schema.$defs[name]?.properties?.type?.const;
    assert.ok(type, `schema ${name} has a const type`);
    return type;
  });
  assert.deepEqual([...EVENT_TYPES].sort(), types.sort());
});

test("the client knows exactly the app event types of the server's events schema", async () => {
  const schema = (await client().eventsSchema()) as {
    $defs: Record<string, { properties?: { type?: { const?: string } } }> & { AppEvent: { oneOf: { $ref: string }[] } };
  };
  const types = schema.$defs.AppEvent.oneOf.map((r) => {
    const name = r.$ref.replace("#/$defs/", "");
    const type = schema.$defs[name]?.properties?.type?.const;
    assert.ok(type, `schema ${name} has a const type`);
    return type;
  });
  assert.deepEqual([...APP_EVENT_TYPES].sort(), types.sort());
});
