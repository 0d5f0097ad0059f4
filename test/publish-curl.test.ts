import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshApp, TEST_TOKEN, type TestApp } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";

/**
 * The README's publish example, run with curl as a reader would. `curl -d`
 * sends its body as a form (application/x-www-form-urlencoded): the server
 * answers 415 saying exactly which header to add, and the example with that
 * header (or curl's --json) publishes.
 */
const CURL = ["/usr/bin/curl", "/bin/curl", "/usr/local/bin/curl"].find((path) => existsSync(path));
const BODY = '{"topic":"conversation_note_analysis","key":{"conversation_fs_id":"conv-1"},"data":{}}';

function curl(args: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    execFile(CURL ?? "curl", ["-s", "-w", "\n%{http_code}", ...args], (err, stdout) => {
      if (err) return reject(err);
      const at = stdout.lastIndexOf("\n");
      resolve({ status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) });
    });
  });
}

describe.skipIf(CURL === undefined).each(BACKENDS)(
  "the README's publish request with curl, on %s",
  (backend) => {
    let t: TestApp;
    let url: string;
    const auth = ["-H", `authorization: Bearer ${TEST_TOKEN}`];

    beforeAll(async () => {
      t = await freshApp(backend);
      await t.api({
        method: "PUT",
        url: "/api/conversations/conv-1",
        payload: { messages: [{ role: "customer", text: "I was charged twice" }] },
      });
      await t.app.listen({ port: 0, host: "127.0.0.1" });
      url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/api/internal/pubsub/publish`;
    });
    afterAll(() => t.cleanup());

    it("answers `-d` alone (a form) with a 415 that says which header to add", async () => {
      const res = await curl(["-X", "POST", url, ...auth, "-d", BODY]);
      expect(res.status).toBe(415);
      const { error } = JSON.parse(res.body);
      expect(error.code).toBe("unsupported_media_type");
      expect(error.message).toContain("Content-Type application/x-www-form-urlencoded");
      expect(error.message).toContain("-H 'content-type: application/json'");
      expect(error.message).toContain("--json");
      expect(error.details.accepted).toEqual(["application/json", "text/plain"]);
    });

    it("publishes with the content-type header the README's example now sends", async () => {
      const res = await curl([
        "-X",
        "POST",
        url,
        ...auth,
        "-H",
        "content-type: application/json",
        "-d",
        BODY,
      ]);
      expect(res.status, res.body).toBe(202);
      expect(JSON.parse(res.body).topic).toBe("conversation_note_analysis");
    });

    it("publishes with curl's --json", async () => {
      const res = await curl(["-X", "POST", url, ...auth, "--json", BODY]);
      // curl before 7.82 has no --json: nothing to check there.
      if (res.status === 0) return;
      expect(res.status, res.body).toBe(202);
    });
  },
);
