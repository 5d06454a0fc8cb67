import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { generate, GENERATED } from "../scripts/generate.js";
import { client } from "./server.js";

test("the generated types are those of the contracts the server serves", async () => {
  const c = client();
  const events = (await c.eventsSchema()) as Parameters<typeof generate>[0];
  const openApi = (await c.openApi()) as Parameters<typeof generate>[1];
  assert.equal(readFileSync(GENERATED, "utf8"), generate(events, openApi),
    "src/generated/contracts.ts is out of date: run `npm run generate` and commit it");
});
