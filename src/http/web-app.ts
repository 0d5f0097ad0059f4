import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply } from "fastify";
import { AppError } from "../errors.js";

/** Where `npm run build` puts the app (web/build.mjs): the same from src/http and dist/http. */
const WEB_ROOT = fileURLToPath(new URL("../../dist/web/", import.meta.url));
const ASSETS = `${WEB_ROOT}assets/`;

/** The app's client-side routes: each serves the one page, which then routes itself. */
export const APP_PAGES = ["/", "/items", "/items/*", "/taxonomy", "/jobs", "/jobs/*", "/queues", "/models"];

/**
 * The app runs only its own files: one script and one stylesheet from this
 * origin, no inline code, no eval, requests to this origin only, never framed.
 * Text from conversations is rendered as text (Preact escapes it); this
 * policy is what stops anything that slipped through from running.
 */
export const APP_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/**
 * Serves the web app at `/`: the page is never cached (it names the current
 * assets), the assets are cached for a year (their names carry a hash of their
 * content), and both are sent as the brotli or gzip copy the build made.
 */
export async function webAppRoutes(app: FastifyInstance): Promise<void> {
  const built = existsSync(`${WEB_ROOT}index.html`);
  await app.register(fastifyStatic, {
    root: built ? ASSETS : WEB_ROOT,
    prefix: "/assets/",
    preCompressed: true,
    immutable: true,
    maxAge: "365d",
    index: false,
    wildcard: true,
    serveDotFiles: false,
    schemaHide: true,
  });
  const page = async (_request: unknown, reply: FastifyReply) => {
    if (!existsSync(`${WEB_ROOT}index.html`)) throw new AppError("web_app_not_built");
    return reply
      .header("content-security-policy", APP_CSP)
      .header("cache-control", "no-cache")
      .sendFile("index.html", WEB_ROOT, { cacheControl: false });
  };
  for (const url of APP_PAGES) app.get(url, { schema: { hide: true } }, page);
}
