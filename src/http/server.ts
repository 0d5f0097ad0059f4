import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import { installAuth } from "./auth.js";
import type { AppContext } from "./context.js";
import { installErrorHandling, sendError, toAppError } from "./errors.js";
import { conversationRoutes } from "./routes/conversations.js";
import { healthRoutes } from "./routes/health.js";
import { noteRoutes } from "./routes/notes.js";

export const BODY_LIMIT_BYTES = 1024 * 1024;
/** Ids are at most 255 characters; percent-encoded, one can take up to 12 bytes (4 UTF-8 bytes as %XX). */
const MAX_PARAM_LENGTH = 255 * 12;

export interface ServerOptions extends AppContext {
  token: string;
  version?: string;
}

export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Errors raised before routing (bad percent-encoding, over-long params) get the catalog shape too.
    frameworkErrors: (err, request, reply) => sendError(toAppError(err), request, reply),
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandling(app);

  await app.register(swagger, {
    openapi: {
      info: {
        title: "relabel",
        description: "Label customer conversations and notes, and re-label them on demand.",
        version: options.version ?? "0.0.0",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  installAuth(app, options.token);
  healthRoutes(app, options);
  conversationRoutes(app, options);
  noteRoutes(app, options);
  return app;
}
