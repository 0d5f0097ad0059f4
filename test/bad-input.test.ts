import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ERRORS, type ErrorCode, errorBody } from "../src/errors.js";
import { toAppError } from "../src/http/errors.js";
import { freshApp, type TestApp } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";

/**
 * Every bad request gets a 4xx in the catalog's shape, and none of them writes
 * anything: each group of rejected writes is followed by a check that the
 * database reads back exactly as before.
 */

/** Asserts the catalog error shape, status and code; returns the error for further checks. */
function expectError(res: LightMyRequestResponse, status: number, code: ErrorCode) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  const body = res.json();
  expect(Object.keys(body)).toEqual(["error"]);
  const { error } = body;
  expect(error.code, res.body).toBe(code);
  expect(ERRORS[error.code as ErrorCode].status).toBe(status);
  expect(typeof error.message).toBe("string");
  expect(error.message.length).toBeGreaterThan(0);
  for (const key of Object.keys(error)) expect(["code", "message", "details"]).toContain(key);
  expect(res.body).not.toMatch(/\n\s+at |stack/);
  return error as { code: ErrorCode; message: string; details?: unknown };
}

/** A 4xx in the catalog shape whatever the exact code (where more than one answer is right). */
function expectClientError(res: LightMyRequestResponse) {
  expect(res.statusCode, res.body).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, res.body).toBeLessThan(500);
  const { error } = res.json();
  expect(Object.keys(ERRORS)).toContain(error.code);
  expect(ERRORS[error.code as ErrorCode].status).toBe(res.statusCode);
}

const json = (payload: string): Pick<InjectOptions, "payload" | "headers"> => ({
  payload,
  headers: { "content-type": "application/json" },
});

describe.each(BACKENDS)("bad input on %s", (backend) => {
  let t: TestApp;

  /** Everything a client can read back: both lists and the one note's every version. */
  async function state() {
    const conversations = await t.api({ method: "GET", url: "/api/conversations?limit=1000" });
    const notes = await t.api({ method: "GET", url: "/api/notes?limit=1000" });
    const v1 = await t.api({ method: "GET", url: "/api/notes/keep/versions/1" });
    const v2 = await t.api({ method: "GET", url: "/api/notes/keep/versions/2" });
    return [conversations.json(), notes.json(), v1.json(), v2.json()];
  }

  /** Runs rejected writes and checks they left the database exactly as it was. */
  async function expectNothingWritten(run: () => Promise<void>) {
    const before = await state();
    await run();
    expect(await state()).toEqual(before);
  }

  beforeEach(async () => {
    t = await freshApp(backend);
    const keep = await t.api({
      method: "PUT",
      url: "/api/conversations/keep",
      payload: { subject: "original", metadata: { a: 1 }, updated_at: "2026-01-01T00:00:00Z" },
    });
    expect(keep.statusCode).toBe(201);
    const note = await t.api({ method: "POST", url: "/api/notes/keep/versions", payload: { text: "v1" } });
    expect(note.statusCode).toBe(201);
  });
  afterEach(() => t.cleanup());

  /** Each write route, aimed at a new id and at the existing one. */
  const WRITES = [
    { method: "PUT", url: "/api/conversations/new" },
    { method: "PUT", url: "/api/conversations/keep" },
    { method: "POST", url: "/api/notes/new/versions" },
    { method: "POST", url: "/api/notes/keep/versions" },
  ] as const;

  async function expectAbsent(id = "new") {
    expectError(
      await t.api({ method: "GET", url: `/api/conversations/${id}` }),
      404,
      "conversation_not_found",
    );
    expectError(await t.api({ method: "GET", url: `/api/notes/${id}` }), 404, "note_not_found");
  }

  describe("JSON bodies", () => {
    it("rejects malformed JSON with invalid_json that says where", async () => {
      await expectNothingWritten(async () => {
        for (const route of WRITES) {
          for (const payload of [
            "{bad",
            '{"subject":"x",}',
            "{",
            '{"text":"x"',
            "'single'",
            "{} {}",
            "   ",
          ]) {
            const error = expectError(await t.api({ ...route, ...json(payload) }), 400, "invalid_json");
            expect(error.message).toMatch(/JSON/);
          }
          const error = expectError(await t.api({ ...route, ...json("{bad") }), 400, "invalid_json");
          // JSON.parse's own reason (position or token) is passed on, not a bare "invalid".
          expect(error.message).toMatch(/position|token|Expected/i);
        }
      });
      await expectAbsent();
    });

    it("rejects an empty body sent as JSON, saying it is empty", async () => {
      await expectNothingWritten(async () => {
        for (const route of WRITES) {
          const error = expectError(await t.api({ ...route, ...json("") }), 400, "invalid_json");
          expect(error.message).toMatch(/empty/i);
        }
      });
      await expectAbsent();
    });

    it("rejects JSON that is not an object, and a missing body", async () => {
      await expectNothingWritten(async () => {
        for (const route of WRITES) {
          for (const payload of ["null", "[]", '"text"', "42", "true"]) {
            expectError(await t.api({ ...route, ...json(payload) }), 400, "validation_failed");
          }
          expectError(await t.api({ ...route }), 400, "validation_failed");
        }
      });
      await expectAbsent();
    });

    it("rejects wrong types with validation_failed naming each field", async () => {
      const conversationBodies: [unknown, string][] = [
        [{ subject: 5 }, "body.subject"],
        [{ subject: null }, "body.subject"],
        [{ messages: "hi" }, "body.messages"],
        [{ messages: [{ role: "bot", text: "x" }] }, "body.messages.0.role"],
        [{ messages: [{ role: "agent" }] }, "body.messages.0.text"],
        [{ messages: [{ role: "agent", text: 1 }] }, "body.messages.0.text"],
        [{ messages: ["x"] }, "body.messages.0"],
        [{ metadata: [] }, "body.metadata"],
        [{ metadata: "x" }, "body.metadata"],
        [{ metadata: null }, "body.metadata"],
        [{ created_at: true }, "body.created_at"],
        [{ updated_at: { at: 1 } }, "body.updated_at"],
        [{ updated_at: null }, "body.updated_at"],
      ];
      const noteBodies: [unknown, string][] = [
        [{}, "body.text"],
        [{ text: 5 }, "body.text"],
        [{ text: null }, "body.text"],
        [{ text: "x", metadata: [1] }, "body.metadata"],
        [{ text: "x", created_at: false }, "body.created_at"],
      ];
      await expectNothingWritten(async () => {
        for (const id of ["new", "keep"]) {
          for (const [payload, field] of conversationBodies) {
            const res = await t.api({
              method: "PUT",
              url: `/api/conversations/${id}`,
              payload: payload as object,
            });
            const error = expectError(res, 400, "validation_failed");
            expect(error.message).toContain(field);
            expect(error.details).toMatchObject({
              issues: expect.arrayContaining([expect.objectContaining({ field })]),
            });
          }
          for (const [payload, field] of noteBodies) {
            const res = await t.api({
              method: "POST",
              url: `/api/notes/${id}/versions`,
              payload: payload as object,
            });
            expect(expectError(res, 400, "validation_failed").message).toContain(field);
          }
        }
      });
      await expectAbsent();
    });

    it("rejects unknown fields, at the top and inside messages", async () => {
      await expectNothingWritten(async () => {
        for (const id of ["new", "keep"]) {
          for (const payload of [
            { subject: "x", colour: "red" },
            { fs_id: "other" },
            { labels: [] },
            { messages: [{ role: "agent", text: "x", sender: "bob" }] },
          ]) {
            const res = await t.api({ method: "PUT", url: `/api/conversations/${id}`, payload });
            expect(expectError(res, 400, "validation_failed").message).toMatch(/Unrecognized key/);
          }
          for (const payload of [
            { text: "x", version: 3 },
            { text: "x", note_id: "y" },
          ]) {
            const res = await t.api({ method: "POST", url: `/api/notes/${id}/versions`, payload });
            expectError(res, 400, "validation_failed");
          }
        }
      });
      await expectAbsent();
    });

    it("refuses prototype-pollution keys, in the body and inside metadata", async () => {
      const poisoned = [
        '{"__proto__":{"x":1}}',
        '{"constructor":{"prototype":{"x":1}}}',
        '{"constructor":{"prototype":{}}}',
        '{"metadata":{"__proto__":{"x":1}}}',
        '{"metadata":{"constructor":{"prototype":{"x":1}}}}',
        '{"metadata":{"deep":[{"__proto__":{"x":1}}]}}',
        '{"text":"x","metadata":{"__proto__":{"isAdmin":true}}}',
        '{"text":"x","__proto__":{"isAdmin":true}}',
        '{"text":"x","constructor":{"prototype":{"isAdmin":true}}}',
      ];
      await expectNothingWritten(async () => {
        for (const route of WRITES) {
          for (const payload of poisoned) {
            const error = expectError(await t.api({ ...route, ...json(payload) }), 400, "invalid_json");
            expect(error.message).toMatch(/__proto__|prototype/);
          }
        }
      });
      expect(({} as Record<string, unknown>).x).toBeUndefined();
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
      await expectAbsent();
    });

    it("rejects NUL and lone surrogates in text and metadata (PostgreSQL cannot store them)", async () => {
      const conversationBodies = [
        '{"subject":"a\\u0000b"}',
        '{"messages":[{"role":"agent","text":"a\\u0000"}]}',
        '{"metadata":{"k":"a\\u0000b"}}',
        '{"metadata":{"k\\u0000":1}}',
        '{"metadata":{"k":{"deeper":["\\u0000"]}}}',
        '{"subject":"\\ud800"}',
        '{"messages":[{"role":"agent","text":"x\\udc00y"}]}',
        '{"metadata":{"\\ud800":1}}',
      ];
      const noteBodies = [
        '{"text":"a\\u0000b"}',
        '{"text":"x","metadata":{"k":"\\u0000"}}',
        '{"text":"x","metadata":{"k":[{"j":"\\u0000"}]}}',
        '{"text":"\\udfff"}',
      ];
      await expectNothingWritten(async () => {
        for (const id of ["new", "keep"]) {
          for (const payload of conversationBodies) {
            const res = await t.api({ method: "PUT", url: `/api/conversations/${id}`, ...json(payload) });
            expect(expectError(res, 400, "validation_failed").message).toMatch(/NUL|surrogate/);
          }
          for (const payload of noteBodies) {
            const res = await t.api({ method: "POST", url: `/api/notes/${id}/versions`, ...json(payload) });
            expect(expectError(res, 400, "validation_failed").message).toMatch(/NUL|surrogate/);
          }
        }
      });
      await expectAbsent();
    });

    it("rejects metadata nested too deeply, without overflowing the stack", async () => {
      const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
      await expectNothingWritten(async () => {
        for (const n of [40, 200_000]) {
          const payload = `{"metadata":{"a":${deep(n)}}}`;
          const res = await t.api({ method: "PUT", url: "/api/conversations/new", ...json(payload) });
          expect(expectError(res, 400, "validation_failed").message).toMatch(/nested deeper/);
        }
      });
      await expectAbsent();
    });
  });

  describe("timestamps", () => {
    const bad: [unknown, RegExp][] = [
      ["2026-02-30", /no day 30/],
      ["2026-13-01", /month 13/],
      ["0000-01-01", /0001 and 9999/],
      ["10000-01-01", /ISO-8601/],
      ["2026-03-01T25:00:00Z", /time of day/],
      ["next tuesday", /ISO-8601/],
      ["", /ISO-8601/],
      ["2026-03-01T10:00:00+99:00", /offset/],
      [1_700_000_000, /seconds/],
      ["1700000000", /seconds/],
      [1_700_000_000_000.5, /whole number/],
      [253_402_300_800_000, /0001 and 9999/],
    ];

    it("rejects bad timestamps in every field with invalid_timestamp naming the field", async () => {
      await expectNothingWritten(async () => {
        for (const id of ["new", "keep"]) {
          for (const [value, why] of bad) {
            const bodies: [object, string][] = [
              [{ updated_at: value }, "updated_at"],
              [{ created_at: value }, "created_at"],
              [
                {
                  messages: [
                    { role: "customer", text: "hi", at: "2026-03-01" },
                    { role: "agent", text: "x", at: value },
                  ],
                },
                "messages[1].at",
              ],
            ];
            for (const [payload, field] of bodies) {
              const res = await t.api({ method: "PUT", url: `/api/conversations/${id}`, payload });
              const error = expectError(res, 400, "invalid_timestamp");
              expect(error.message).toMatch(why);
              expect(error.message.startsWith(`${field}:`), error.message).toBe(true);
              expect(error.details).toEqual({ field });
            }
            const res = await t.api({
              method: "POST",
              url: `/api/notes/${id}/versions`,
              payload: { text: "x", created_at: value },
            });
            expect(expectError(res, 400, "invalid_timestamp").message).toMatch(why);
          }
        }
      });
      await expectAbsent();
    });

    it("says an epoch in seconds looks like seconds, and what to send instead", async () => {
      const res = await t.api({
        method: "PUT",
        url: "/api/conversations/new",
        payload: { updated_at: 1_700_000_000 },
      });
      const error = expectError(res, 400, "invalid_timestamp");
      expect(error.message).toMatch(/looks like epoch seconds/);
      expect(error.message).toContain("1700000000000");
      await expectAbsent();
    });

    it("rejects created_at after updated_at", async () => {
      await expectNothingWritten(async () => {
        const payload = { created_at: "2026-03-02", updated_at: "2026-03-01" };
        expectError(
          await t.api({ method: "PUT", url: "/api/conversations/keep", payload }),
          400,
          "validation_failed",
        );
      });
    });
  });

  describe("size and media type", () => {
    it("answers items over 4 MiB with 413 item_too_large (the limit an import applies too)", async () => {
      const big = "x".repeat(4 * 1024 * 1024);
      await expectNothingWritten(async () => {
        for (const id of ["new", "keep"]) {
          const conv = await t.api({
            method: "PUT",
            url: `/api/conversations/${id}`,
            payload: { subject: big },
          });
          expectError(conv, 413, "item_too_large");
          const note = await t.api({
            method: "POST",
            url: `/api/notes/${id}/versions`,
            payload: { text: big },
          });
          expectError(note, 413, "item_too_large");
          // Exactly one byte over the limit.
          const payload = `{"text":"${"x".repeat(4 * 1024 * 1024 - 10)}"}`;
          expect(Buffer.byteLength(payload)).toBe(4 * 1024 * 1024 + 1);
          expectError(
            await t.api({ method: "POST", url: `/api/notes/${id}/versions`, ...json(payload) }),
            413,
            "item_too_large",
          );
        }
      });
      await expectAbsent();
    });

    it("answers other bodies over 1 MiB with 413 body_too_large", async () => {
      const res = await t.api({
        method: "PUT",
        url: "/api/taxonomy",
        payload: { labels: [{ name: "a", description: "x".repeat(1024 * 1024) }] },
      });
      expectError(res, 413, "body_too_large");
    });

    it("answers other media types with a 4xx (415 where Fastify has no parser)", async () => {
      await expectNothingWritten(async () => {
        for (const route of WRITES) {
          for (const type of [
            "application/xml",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json-patch+json",
          ]) {
            const res = await t.api({ ...route, payload: "<a/>", headers: { "content-type": type } });
            expectError(res, 415, "unsupported_media_type");
          }
          // A body with no content type at all.
          const bare = await t.api({ ...route, payload: '{"text":"x"}', headers: { "content-type": "" } });
          expectError(bare, 415, "unsupported_media_type");
          // Fastify reads text/plain as a string, which the body schema then refuses.
          for (const payload of ['{"text":"x"}', "hello"]) {
            expectClientError(await t.api({ ...route, payload, headers: { "content-type": "text/plain" } }));
          }
        }
      });
      await expectAbsent();
    });

    it("accepts application/json with a charset (the control for the above)", async () => {
      const res = await t.api({
        method: "PUT",
        url: "/api/conversations/new",
        payload: '{"subject":"ok"}',
        headers: { "content-type": "application/json; charset=utf-8" },
      });
      expect(res.statusCode).toBe(201);
    });
  });

  describe("ids in the path", () => {
    it("rejects an empty id with validation_failed", async () => {
      await expectNothingWritten(async () => {
        const requests: InjectOptions[] = [
          { method: "PUT", url: "/api/conversations/", payload: {} },
          { method: "GET", url: "/api/conversations/" },
          { method: "DELETE", url: "/api/conversations/" },
          { method: "POST", url: "/api/notes//versions", payload: { text: "x" } },
          { method: "GET", url: "/api/notes/" },
          { method: "GET", url: "/api/notes//versions/1" },
          { method: "DELETE", url: "/api/notes/" },
        ];
        for (const request of requests) {
          expect(expectError(await t.api(request), 400, "validation_failed").message).toMatch(
            /must not be empty/,
          );
        }
      });
    });

    it("accepts ids made of whitespace, as they are", async () => {
      for (const id of [" ", "  a  ", "\u00a0", "\u3000"]) {
        const url = `/api/conversations/${encodeURIComponent(id)}`;
        expect((await t.api({ method: "PUT", url, payload: {} })).statusCode).toBe(201);
        expect((await t.api({ method: "GET", url })).json().fs_id).toBe(id);
        const noteUrl = `/api/notes/${encodeURIComponent(id)}/versions`;
        expect((await t.api({ method: "POST", url: noteUrl, payload: { text: "x" } })).json().note_id).toBe(
          id,
        );
      }
    });

    it("takes 255 characters, rejects 256 with validation_failed", async () => {
      // 255 code points, however many bytes or UTF-16 units they take.
      for (const id of ["é".repeat(255), "🎉".repeat(255)]) {
        const ok = await t.api({
          method: "PUT",
          url: `/api/conversations/${encodeURIComponent(id)}`,
          payload: {},
        });
        expect(ok.statusCode).toBe(201);
        expect(ok.json().fs_id).toBe(id);
      }
      await expectNothingWritten(async () => {
        for (const id of ["x".repeat(256), `${"🎉".repeat(200)}${"x".repeat(56)}`]) {
          const encoded = encodeURIComponent(id);
          for (const request of [
            { method: "PUT", url: `/api/conversations/${encoded}`, payload: {} },
            { method: "POST", url: `/api/notes/${encoded}/versions`, payload: { text: "x" } },
            { method: "GET", url: `/api/notes/${encoded}` },
          ] as InjectOptions[]) {
            expect(expectError(await t.api(request), 400, "validation_failed").message).toMatch(
              /at most 255/,
            );
          }
        }
      });
    });

    it("answers a path parameter past the router's limit with 414 uri_too_long", async () => {
      await expectNothingWritten(async () => {
        for (const id of [`%F0%9F%8E%89`.repeat(256), "%41".repeat(1000), "x".repeat(5000)]) {
          for (const request of [
            { method: "PUT", url: `/api/conversations/${id}`, payload: {} },
            { method: "GET", url: `/api/conversations/${id}` },
            { method: "DELETE", url: `/api/conversations/${id}` },
            { method: "POST", url: `/api/notes/${id}/versions`, payload: { text: "x" } },
            { method: "GET", url: `/api/notes/${id}/versions/1` },
            { method: "DELETE", url: `/api/notes/${id}` },
          ] as InjectOptions[]) {
            expectError(await t.api(request), 414, "uri_too_long");
          }
        }
      });
    });

    it("rejects ids with control characters", async () => {
      await expectNothingWritten(async () => {
        for (const encoded of ["a%00b", "%00", "a%1Fb", "a%7F", "line%0Abreak", "tab%09", "%0D"]) {
          for (const request of [
            { method: "PUT", url: `/api/conversations/${encoded}`, payload: {} },
            { method: "POST", url: `/api/notes/${encoded}/versions`, payload: { text: "x" } },
            { method: "DELETE", url: `/api/conversations/${encoded}` },
            { method: "GET", url: `/api/notes/${encoded}` },
          ] as InjectOptions[]) {
            expect(expectError(await t.api(request), 400, "validation_failed").message).toMatch(
              /control characters/,
            );
          }
        }
      });
    });

    it("rejects percent-encoding that is not UTF-8 (lone surrogates, stray bytes) with bad_request", async () => {
      await expectNothingWritten(async () => {
        for (const encoded of ["a%ED%A0%80", "%ED%B0%80", "%FF", "%C0%AF", "%E2%82", "a%", "%zz"]) {
          for (const request of [
            { method: "PUT", url: `/api/conversations/${encoded}`, payload: {} },
            { method: "POST", url: `/api/notes/${encoded}/versions`, payload: { text: "x" } },
            { method: "GET", url: `/api/conversations/${encoded}` },
          ] as InjectOptions[]) {
            expect(expectError(await t.api(request), 400, "bad_request").message).toMatch(/URL/);
          }
        }
      });
    });
  });

  describe("note version in the path", () => {
    it("rejects versions that are not positive integers", async () => {
      for (const version of ["0", "-1", "abc", "1.5", "%20", "2147483648", "99999999999999999999"]) {
        const res = await t.api({ method: "GET", url: `/api/notes/keep/versions/${version}` });
        expect(expectError(res, 400, "validation_failed").message).toMatch(/params\.version/);
      }
      expect((await t.api({ method: "GET", url: "/api/notes/keep/versions/1" })).statusCode).toBe(200);
      expectError(
        await t.api({ method: "GET", url: "/api/notes/keep/versions/2" }),
        404,
        "note_version_not_found",
      );
    });
  });

  describe("list query parameters", () => {
    const cursorOf = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

    it.each(["/api/conversations", "/api/notes"])(
      "%s rejects bad page sizes and unknown parameters",
      async (path) => {
        for (const query of [
          "limit=0",
          "limit=5000",
          "limit=1001",
          "limit=-1",
          "limit=abc",
          "limit=1.5",
          "limit=1&limit=2",
        ]) {
          const error = expectError(
            await t.api({ method: "GET", url: `${path}?${query}` }),
            400,
            "validation_failed",
          );
          expect(error.message).toMatch(/querystring\.limit/);
        }
        for (const query of ["foo=1", "token=x", "updated_at=2026-01-01", "Limit=5"]) {
          const error = expectError(
            await t.api({ method: "GET", url: `${path}?${query}` }),
            400,
            "validation_failed",
          );
          expect(error.message).toMatch(/Unrecognized key/);
        }
        expect((await t.api({ method: "GET", url: `${path}?limit=1000` })).statusCode).toBe(200);
      },
    );

    it.each(["/api/conversations", "/api/notes"])("%s rejects cursors it did not issue", async (path) => {
      const cursors = [
        "zzz",
        "%00",
        cursorOf({ at: 1, id: "x" }),
        cursorOf(["1700000000000", "x"]),
        cursorOf([1.5, "x"]),
        cursorOf([1e300, "x"]),
        cursorOf([1, 2]),
        Buffer.from("[1,").toString("base64url"),
      ];
      for (const cursor of cursors) {
        const res = await t.api({ method: "GET", url: `${path}?cursor=${cursor}` });
        expectError(res, 400, "invalid_cursor");
      }
    });

    const nulCursor = cursorOf([1_700_000_000_000, "a\u0000"]);

    it.each(["/api/conversations", "/api/notes"])(
      "%s rejects a cursor holding NUL as invalid_cursor",
      async (path) => {
        expectError(
          await t.api({ method: "GET", url: `${path}?cursor=${nulCursor}` }),
          400,
          "invalid_cursor",
        );
      },
    );

    it.each(["/api/conversations", "/api/notes"])("%s rejects bad or inverted time ranges", async (path) => {
      const inverted = await t.api({
        method: "GET",
        url: `${path}?updated_from=2026-02-01&updated_until=2026-01-01`,
      });
      expect(expectError(inverted, 400, "validation_failed").message).toMatch(
        /updated_from is after updated_until/,
      );
      for (const [query, why] of [
        ["updated_from=garbage", /updated_from: .*ISO-8601/],
        ["updated_until=2026-02-30", /updated_until: .*no day 30/],
        ["updated_from=1700000000", /updated_from: .*seconds/],
        ["updated_until=0000-01-01", /updated_until: .*0001 and 9999/],
        ["updated_from=", /updated_from: .*ISO-8601/],
      ] as const) {
        const res = await t.api({ method: "GET", url: `${path}?${query}` });
        expect(expectError(res, 400, "invalid_timestamp").message).toMatch(why);
      }
      // One day from and until is a valid range (until is the end of that day).
      expect(
        (await t.api({ method: "GET", url: `${path}?updated_from=2026-01-01&updated_until=2026-01-01` }))
          .statusCode,
      ).toBe(200);
    });
  });

  describe("server-side failures", () => {
    it("answer a 5xx in the catalog shape, without the error's message or a stack", async () => {
      await t.database.close();
      for (const request of [
        { method: "GET", url: "/api/conversations/keep" },
        { method: "GET", url: "/api/notes" },
        { method: "PUT", url: "/api/conversations/new", payload: {} },
      ] as InjectOptions[]) {
        const res = await t.api(request);
        expect(res.statusCode, res.body).toBeGreaterThanOrEqual(500);
        const { error } = res.json();
        expect(["internal", "database_unavailable"]).toContain(error.code);
        expect(res.json()).toEqual({
          error: { code: error.code, message: ERRORS[error.code as ErrorCode].message },
        });
        expect(res.body).not.toMatch(/stack|\bat\s|destroyed|pool/i);
      }
    });
  });

  describe("routes", () => {
    it("answers unknown routes and methods with a catalog 404", async () => {
      for (const request of [
        { method: "GET", url: "/api/nope" },
        { method: "GET", url: "/nope" },
        { method: "GET", url: "/api/conversations/a/b" },
      ] as InjectOptions[]) {
        const error = expectError(await t.api(request), 404, "not_found");
        expect(error.message).toContain(request.url?.toString().split("?")[0]);
      }
      // A known path with a method it lacks: 405, with the methods it takes.
      for (const [request, allow] of [
        [{ method: "PATCH", url: "/api/conversations/keep", payload: {} }, "DELETE, GET, HEAD, PUT"],
        [{ method: "POST", url: "/api/conversations", payload: {} }, "GET, HEAD"],
      ] as [InjectOptions, string][]) {
        const res = await t.api(request);
        expect(expectError(res, 405, "method_not_allowed").message).toContain(allow);
        expect(res.headers.allow).toBe(allow);
      }
    });
  });
});

describe("internal errors", () => {
  it("become `internal` with the catalog message, never the error's own message or stack", () => {
    const errors = [
      new Error("secret: connection to db.internal:5432 failed"),
      new TypeError("Cannot read properties of undefined (reading 'secret')"),
      // A code that is also an Object.prototype key must not be looked up as a mapping.
      Object.assign(new Error("secret"), { code: "constructor", statusCode: 500 }),
      Object.assign(new Error("secret"), { code: "toString" }),
      Object.assign(new Error("duplicate key value violates unique constraint secret"), { code: "23505" }),
      "a thrown string with a secret",
      undefined,
    ];
    for (const err of errors) {
      const body = errorBody(toAppError(err));
      expect(body).toEqual({ error: { code: "internal", message: ERRORS.internal.message } });
      expect(JSON.stringify(body)).not.toMatch(/secret|stack|\bat\s/);
    }
  });

  it("maps PostgreSQL's refusal of unstorable text (NUL, bad UTF-8) to a 400", () => {
    for (const code of ["22021", "22P05"]) {
      const err = Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code });
      expect(toAppError(err)).toMatchObject({ code: "bad_request", status: 400 });
      expect(toAppError(err).message).not.toContain("0x00");
    }
  });
});
