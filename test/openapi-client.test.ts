import type { AddressInfo } from "node:net";
import createClient from "openapi-fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// Generated from the OpenAPI document by `npm run openapi` (npm run lint does it before tsc).
import type { paths } from "./generated/relabel-api.js";
import { freshApp, TEST_TOKEN, type TestApp } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";

/**
 * A client typed by nothing but the OpenAPI document (openapi-typescript's
 * types, openapi-fetch) works against a real server: the document is enough
 * to use the API, errors included. `npm run lint` compiles this file against
 * freshly generated types, so a route whose contract changes breaks it.
 */
describe.each(BACKENDS)("a client generated from the OpenAPI document, on %s", (backend) => {
  let t: TestApp;
  let client: ReturnType<typeof createClient<paths>>;

  beforeAll(async () => {
    t = await freshApp(backend);
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    const baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    client = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  });
  afterAll(() => t.cleanup());

  it("writes, reads, labels and erases an item, and reads typed errors", async () => {
    const taxonomy = await client.PUT("/api/taxonomy", {
      body: { labels: [{ name: "billing/refund", rules: { keywords: ["refund"] } }] },
    });
    expect(taxonomy.data?.version).toBe(1);

    const put = await client.PUT("/api/conversations/{fs_id}", {
      params: { path: { fs_id: "conv/1" } },
      body: { subject: "Refund", messages: [{ role: "customer", text: "I was charged twice, refund me" }] },
    });
    expect(put.response.status).toBe(201);
    expect(put.data?.fs_id).toBe("conv/1");

    const published = await client.POST("/api/internal/pubsub/publish", {
      body: { topic: "conversation_note_analysis", key: { conversation_fs_id: "conv/1" }, data: {} },
    });
    expect(published.response.status).toBe(202);
    expect(published.data?.deduplicated).toBe(true);
    for (let i = 0; i < 100; i++) {
      const tick = await client.POST("/api/tick/runners", { params: { query: { max_messages: "100" } } });
      if (tick.data?.remaining === 0) break;
    }

    const got = await client.GET("/api/conversations/{fs_id}", { params: { path: { fs_id: "conv/1" } } });
    expect(got.data?.labels.map((label) => label.name)).toEqual(["billing/refund"]);

    const missing = await client.GET("/api/conversations/{fs_id}", { params: { path: { fs_id: "nope" } } });
    expect(missing.response.status).toBe(404);
    expect(missing.error?.error.code).toBe("conversation_not_found");

    const erased = await client.DELETE("/api/conversations/{fs_id}", {
      params: { path: { fs_id: "conv/1" } },
    });
    expect(erased.response.status).toBe(204);
    const gone = await client.DELETE("/api/conversations/{fs_id}", { params: { path: { fs_id: "conv/1" } } });
    expect(gone.error?.error.code).toBe("conversation_not_found");
  });
});
