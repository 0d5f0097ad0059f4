import { describe, expect, it } from "vitest";
import { loggableUrl } from "./request-log.js";

describe("loggableUrl", () => {
  it("replaces the values of credential-like query parameters, keeping the rest", () => {
    expect(loggableUrl("/api/x?token=abc&limit=5")).toBe("/api/x?token=[redacted]&limit=5");
    expect(loggableUrl("/api/x?access_token=a&api_key=b&API%5FKEY=c&password=d")).toBe(
      "/api/x?access_token=[redacted]&api_key=[redacted]&API%5FKEY=[redacted]&password=[redacted]",
    );
    expect(loggableUrl("/api/x?from=2026-01-01&until=2026-02-01")).toBe(
      "/api/x?from=2026-01-01&until=2026-02-01",
    );
  });

  it("leaves URLs without a query alone and survives malformed escapes", () => {
    expect(loggableUrl("/api/conversations/c1")).toBe("/api/conversations/c1");
    expect(loggableUrl("/api/x?%E0%A4%A=1&token")).toBe("/api/x?%E0%A4%A=1&token=[redacted]");
  });
});
