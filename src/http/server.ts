import helmet from "@fastify/helmet";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Credentials } from "../auth/credentials.js";
import { Metrics, metricsAccess } from "../metrics.js";
import { AllowedHosts } from "./allowed-hosts.js";
import { installAuth } from "./auth.js";
import type { AppContext } from "./context.js";
import { clientErrorHandler, installErrorHandling, sendError, toAppError } from "./errors.js";
import { DEFAULT_HTTP_LIMITS, type HttpLimits, limitConnections, timeoutOptions } from "./http-limits.js";
import { parseJsonBody } from "./json-body.js";
import { documentTransform, openapiBase, routeTransform } from "./openapi.js";
import { installRateLimits, type RateLimitOptions } from "./rate-limit.js";
import { RequestLogController, requestLogSerializer } from "./request-log.js";
import { conversationRoutes } from "./routes/conversations.js";
import { healthRoutes } from "./routes/health.js";
import { itemRoutes } from "./routes/items.js";
import { labelRoutes } from "./routes/labels.js";
import { modelRoutes } from "./routes/models.js";
import { noteRoutes } from "./routes/notes.js";
import { overviewRoutes } from "./routes/overview.js";
import { publishRoute, pubsubRoutes } from "./routes/pubsub.js";
import { reanalysisRoutes, reanalysisStartRoute } from "./routes/reanalysis.js";
import { taxonomyRoutes } from "./routes/taxonomy.js";
import { tickRoute } from "./routes/tick.js";
import { whoamiRoute } from "./routes/whoami.js";
import { installSessions } from "./session.js";
import { webAppRoutes } from "./web-app.js";

export const BODY_LIMIT_BYTES = 1024 * 1024;
/**
 * Ids are at most 255 characters (code points). The router measures a param
 * after percent-decoding, in UTF-16 code units, so 255 of them take at most
 * 510; anything longer is answered 414 before it is even validated.
 */
const MAX_PARAM_LENGTH = 255 * 2;

export interface ServerOptions extends AppContext {
  credentials: Credentials;
  /** Absent: no limits. */
  rateLimits?: RateLimitOptions;
  /** The process's metrics, shared with its runners; a server of its own otherwise. */
  metrics?: Metrics;
  version?: string;
  /** Timeouts and connection caps (each defaults to DEFAULT_HTTP_LIMITS). */
  httpLimits?: Partial<HttpLimits>;
  /** Host names (host[:port]) browser sessions may be used under, besides the loopback names. */
  allowedHosts?: readonly string[];
  /** The HOST the server listens on: allowed for browser sessions too, unless a wildcard. */
  listenHost?: string;
  /** Tokens that may read /metrics, besides admin tokens. Absent: /metrics is open. */
  metricsTokens?: readonly string[];
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const httpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.httpLimits };
  const app = Fastify({
    loggerInstance: options.logger.child(
      {},
      { serializers: { req: requestLogSerializer } },
    ) as FastifyBaseLogger,
    logController: new RequestLogController(),
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Errors raised before routing (bad percent-encoding, over-long params) get the catalog shape too.
    frameworkErrors: (err, request, reply) => sendError(toAppError(err), request, reply),
    // And requests Node cannot even parse (an unknown method, raw bytes in the URL, huge headers).
    clientErrorHandler,
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    ...timeoutOptions(httpLimits),
  });
  limitConnections(app.server, httpLimits, app.log);
  app.removeContentTypeParser(["application/json", "text/plain"]);
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, parseJsonBody);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);
  // Security headers on every answer. The API serves JSON, which no policy
  // restricts; the pages that run scripts (/docs, /console) set their own.
  await app.register(helmet, {
    global: true,
    // Upgrading would break /docs on a plain-HTTP deployment; TLS is the proxy's to enforce.
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  });

  // The document's contract (operationIds, error responses, tags, servers) is added in openapi.ts.
  await app.register(swagger, {
    openapi: openapiBase(options.version ?? "0.0.0"),
    transform: routeTransform,
    transformObject: documentTransform,
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  const limits = await installRateLimits(
    app,
    options.rateLimits ?? { perTokenPerSecond: 0, authFailuresPerMinute: 0 },
  );
  const hosts = new AllowedHosts({ hosts: options.allowedHosts, listenHost: options.listenHost });
  const sessions = await installSessions(app, {
    credentials: options.credentials,
    limits,
    database: options.database,
    hosts,
  });
  installAuth(app, options.credentials, limits, sessions);
  const metrics = options.metrics ?? new Metrics(options.database, () => options.topics.names());
  metrics.instrument(app);
  app.get(
    "/metrics",
    {
      schema: {
        tags: ["health"],
        summary: "Prometheus metrics",
        produces: ["text/plain"],
        response: { 200: z.string().describe("The Prometheus text exposition format, version 0.0.4") },
      },
      onRequest: metricsAccess(options.credentials, limits, options.metricsTokens),
    },
    async (_request, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  );
  healthRoutes(app, options);
  whoamiRoute(app);
  conversationRoutes(app, options);
  noteRoutes(app, options);
  itemRoutes(app, options);
  pubsubRoutes(app, options);
  taxonomyRoutes(app, options);
  reanalysisRoutes(app, options);
  labelRoutes(app, options);
  modelRoutes(app, options);
  overviewRoutes(app, options);
  // The runbook's own requests send JSON as text/plain; only their routes accept that.
  await app.register(async (runbook) => {
    runbook.addContentTypeParser("text/plain", { parseAs: "buffer" }, parseJsonBody);
    publishRoute(runbook, options);
    tickRoute(runbook, options);
    reanalysisStartRoute(runbook, options);
  });
  await webAppRoutes(app);
  return app;
}
