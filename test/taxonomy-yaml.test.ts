import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freshApp, type TestApp } from "./helpers/app.js";
import { BACKENDS } from "./helpers/db.js";

/** The taxonomy as a person writes it: YAML (or JSON) text, sent as is by the web app's editor. */
const YAML = `# refunds and spam
labels:
  - name: billing/refund
    description: Refunds
    rules:
      keywords: [refund, money back]
  - name: spam
    applies_to: [conversation]
    rules:
      regex: ['win\\s+money']
`;
const BAD_REGEX = `labels:
  - name: ok
  - name: spam
    rules:
      regex: ["(unclosed"]
`;

describe.each(BACKENDS)("taxonomy as YAML text on %s", (backend) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await freshApp(backend);
  });
  afterEach(() => t.cleanup());

  const putYaml = async (text: string, type = "application/yaml") => {
    const res = await t.api({
      method: "PUT",
      url: "/api/taxonomy",
      headers: { "content-type": type },
      payload: text,
    });
    return { status: res.statusCode, body: res.json() };
  };

  it("PUT /api/taxonomy takes application/yaml (and text/yaml) as it takes the same taxonomy in JSON", async () => {
    const saved = await putYaml(YAML);
    expect(saved.status).toBe(200);
    expect(saved.body.version).toBe(1);
    expect(saved.body.labels.map((l: { name: string }) => l.name)).toEqual(["billing/refund", "spam"]);
    expect(saved.body.labels[1]).toMatchObject({
      applies_to: ["conversation"],
      rules: { regex: ["win\\s+money"] },
    });
    const asJson = await t.api({
      method: "PUT",
      url: "/api/taxonomy",
      payload: { labels: saved.body.labels },
    });
    expect(asJson.json().labels).toEqual(saved.body.labels);
    // JSON is YAML too.
    expect((await putYaml(JSON.stringify({ labels: [] }), "text/yaml")).status).toBe(200);
  });

  it("a problem names its label as with JSON; a syntax error is an issue with its line; nothing is saved", async () => {
    const bad = await putYaml(BAD_REGEX);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("invalid_taxonomy");
    expect(bad.body.error.details.issues).toMatchObject([{ label: "spam", field: "rules.regex[0]" }]);

    const syntax = await putYaml("labels:\n  - name: a\n   bad: [\n");
    expect(syntax.status).toBe(400);
    expect(syntax.body.error.code).toBe("invalid_taxonomy");
    const [issue] = syntax.body.error.details.issues;
    expect(issue).toMatchObject({ label: null, field: "" });
    expect(issue.line).toBeGreaterThanOrEqual(2);

    const duplicate = await putYaml("labels: []\nlabels: []\n");
    expect(duplicate.body.error.details.issues[0]).toMatchObject({ label: null, line: 2 });
    // Aliases are capped: no exponential expansion.
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 0; i < 10; i++)
      bomb.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(", ")}]`,
      );
    expect((await putYaml(bomb.join("\n"))).body.error.code).toBe("invalid_taxonomy");
    // A __proto__ key stays a key, which the schema refuses.
    const proto = await putYaml("labels: []\n__proto__: {admin: true}\n");
    expect(proto.body.error.details.issues[0]).toMatchObject({ label: null, field: "__proto__" });
    expect((await t.api({ method: "GET", url: "/api/taxonomy" })).json().version).toBe(0);
  });

  it("/openapi.json documents the YAML body", async () => {
    const spec = (await t.api({ method: "GET", url: "/openapi.json" })).json();
    expect(Object.keys(spec.paths["/api/taxonomy"].put.requestBody.content)).toEqual(
      expect.arrayContaining(["application/json", "application/yaml"]),
    );
  });

  it("other routes still refuse YAML", async () => {
    const res = await t.api({
      method: "POST",
      url: "/api/internal/taxonomy/preview",
      headers: { "content-type": "application/yaml" },
      payload: YAML,
    });
    expect(res.statusCode).toBe(415);
  });

  it("the preview reads a string taxonomy as YAML or JSON text, as PUT would", async () => {
    await t.api({
      method: "PUT",
      url: "/api/conversations/c1",
      payload: { messages: [{ role: "customer", text: "I want a refund" }] },
    });
    const call = async (taxonomy: unknown) => {
      const res = await t.api({
        method: "POST",
        url: "/api/internal/taxonomy/preview",
        payload: { taxonomy },
      });
      return { status: res.statusCode, body: res.json() };
    };
    const text = await call(YAML);
    expect(text.status).toBe(200);
    expect(text.body.changes).toEqual([{ label: "billing/refund", gained: 1, lost: 0 }]);
    const bad = await call(BAD_REGEX);
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual(await putYaml(BAD_REGEX).then((r) => r.body));
    const syntax = await call("labels: [");
    expect(syntax.body.error.details.issues[0]).toMatchObject({ label: null, field: "" });
  });
});
