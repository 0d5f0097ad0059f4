import autocannon from "autocannon";
import { afterEach, describe, expect, it } from "vitest";
import { BACKENDS, type FreshDatabase, freshDatabase } from "../helpers/db.js";
import { type Spawned, spawnNode, waitFor } from "../helpers/processes.js";
import {
  CLI,
  countDone,
  listeningUrl,
  messageCounts,
  messagesRunTwice,
  seedItems,
  TOKEN,
} from "./fixtures.js";

const SEEDED = 1_000;
const DURATION_S = 5;
const seededId = () => `fault-${String(Math.floor(Math.random() * SEEDED)).padStart(7, "0")}`;
const auth = { authorization: `Bearer ${TOKEN}` };
const json = { ...auth, "content-type": "application/json" };

interface Kind {
  name: string;
  connections: number;
  requests: autocannon.Request[];
}

/**
 * Concurrent publishes, writes, reads and ticks against a running `relabel
 * serve` (loopback only, bounded by time and count), then an integrity check:
 * every write is there, every published message was processed, none twice.
 */
describe.each(BACKENDS)("load on %s", (backend) => {
  let t: FreshDatabase;
  let server: Spawned;
  afterEach(async () => {
    server.child.kill("SIGKILL");
    await t.cleanup();
  });

  it("serves a mixed load with no error, then every count adds up", async () => {
    t = await freshDatabase(backend);
    await seedItems(t.database, t.url, SEEDED);
    // The limiter is off: this measures the server, not the rate limit.
    server = spawnNode([CLI, "serve", "--port", "0"], {
      DATABASE_URL: t.url,
      RELABEL_API_TOKEN: TOKEN,
      RELABEL_RATE_LIMIT: "0",
      LOG_LEVEL: "info",
    });
    const base = await listeningUrl(server);

    let written = 0;
    const writes: string[] = [];
    const published = new Set<number>();
    const kinds: Kind[] = [
      {
        name: "write (PUT conversation)",
        connections: 4,
        requests: [
          {
            method: "PUT",
            headers: json,
            setupRequest: (request, context) => {
              const id = `load-${++written}`;
              (context as { id?: string }).id = id;
              return {
                ...request,
                path: `/api/conversations/${id}`,
                body: JSON.stringify({ messages: [{ role: "customer", text: `refund my order ${id}` }] }),
              };
            },
            onResponse: (status, _body, context) => {
              if (status === 201) writes.push((context as { id: string }).id);
            },
          },
        ],
      },
      {
        name: "publish",
        connections: 4,
        requests: [
          {
            method: "POST",
            path: "/api/internal/pubsub/publish",
            headers: json,
            setupRequest: (request) => ({
              ...request,
              body: JSON.stringify({
                topic: "conversation_note_analysis",
                key: { conversation_fs_id: seededId() },
              }),
            }),
            onResponse: (status, body) => {
              if (status === 202) published.add((JSON.parse(body) as { id: number }).id);
            },
          },
        ],
      },
      {
        name: "read",
        connections: 4,
        requests: [
          { method: "GET", path: "/api/conversations?limit=100" },
          {
            method: "GET",
            setupRequest: (request) => ({ ...request, path: `/api/conversations/${seededId()}` }),
          },
          { method: "GET", path: "/api/labels/stats" },
        ],
      },
      {
        name: "tick",
        connections: 1,
        requests: [{ method: "POST", path: "/api/tick/runners?max_messages=200&max_ms=500" }],
      },
    ];
    const results = await Promise.all(
      kinds.map((kind) =>
        autocannon({
          url: base,
          headers: auth,
          connections: kind.connections,
          duration: DURATION_S,
          maxOverallRequests: 20_000,
          timeout: 10,
          requests: kind.requests,
        }),
      ),
    );

    const report = kinds.map((kind, i) => {
      const r = results[i] as autocannon.Result;
      return {
        kind: kind.name,
        requests: r.requests.total,
        per_s: Math.round(r.requests.total / DURATION_S),
        p50_ms: r.latency.p50,
        p99_ms: r.latency.p99,
        non2xx: r.non2xx,
        statuses: Object.keys(r.statusCodeStats ?? {}).join(","),
        errors: r.errors,
      };
    });
    console.info(`[${backend}] load, ${DURATION_S} s, loopback:\n${JSON.stringify(report, null, 1)}`);
    for (const row of report) {
      expect(row.requests, row.kind).toBeGreaterThan(2);
      expect(row.non2xx, row.kind).toBe(0);
      expect(row.errors, row.kind).toBe(0);
    }

    // Integrity once the runners have caught up.
    await waitFor(
      "the runners to catch up",
      async () => {
        const c = await messageCounts(t.database);
        return (c.pending ?? 0) + (c.running ?? 0) === 0 ? c : undefined;
      },
      120_000,
      200,
    );
    const counts = await messageCounts(t.database);
    expect(counts.failed ?? 0).toBe(0);
    const conversations = await t.database.db
      .selectFrom("conversations")
      .select((eb) => eb.fn.countAll().as("n"))
      .executeTakeFirstOrThrow();
    // Every acknowledged write is there; at most the requests in flight when the run
    // stopped (written, but their answer not read) come on top.
    expect(new Set(writes).size).toBe(writes.length);
    const stored = await t.database.db
      .selectFrom("conversations")
      .select("fs_id")
      .where("fs_id", "in", writes)
      .execute();
    expect(stored).toHaveLength(writes.length);
    expect(Number(conversations.n) - SEEDED - writes.length).toBeGreaterThanOrEqual(0);
    expect(Number(conversations.n) - SEEDED - writes.length).toBeLessThanOrEqual(4);
    // Every published message exists and was processed.
    const ids = [...published];
    expect(await countDone(t.database, ids)).toBe(ids.length);
    expect(await messagesRunTwice(t.database)).toBe(0);
    // Every written conversation was labeled.
    const unlabeled = await t.database.db
      .selectFrom("conversations")
      .select("fs_id")
      .where("fs_id", "like", "load-%")
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom("analysis_runs")
              .select("id")
              .whereRef("analysis_runs.item_id", "=", "conversations.fs_id")
              .where("analysis_runs.item_type", "=", "conversation"),
          ),
        ),
      )
      .execute();
    expect(unlabeled).toEqual([]);
  }, 180_000);
});
