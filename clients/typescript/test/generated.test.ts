import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { generate, GENERATED } from "../scripts/generate.js";
import { client } from "./server.js";

test("the generated types are those of the contracts the server serves", async () => {
  const c = client();
  const events = (await c.eventsSchema()) as Parameters<typeof generate>[0];
  const openApi = (await c.openApi()) as Parameters<typeof generate>[1];
  const committed = readFileSync(GENERATED, "utf8").split("\n");
  const expected = generate(events, openApi).split("\n");
  const line = expected.findIndex((l, i) => l !== committed[i]);
  assert.ok(line < 0 && committed.length === expected.length,
    `src/generated/contracts.ts is out of date (line ${line + 1}: expected ${JSON.stringify(expected[line])}, `
    + `found ${JSON.stringify(committed[line])}): run \`npm run generate\` and commit it`);
});
