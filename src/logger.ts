import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

/**
 * JSON logs on stderr (stdout is for a command's result). Credentials are
 * redacted wherever they might appear; message and note text are never logged
 * in the first place. `destination` is for tests, which read the lines.
 */
export function createLogger(
  level: string,
  destination: DestinationStream = pino.destination({ fd: 2, sync: false }),
): Logger {
  return pino(
    {
      level,
      redact: {
        paths: ["req.headers.authorization", "req.headers.cookie", "token", "*.token"],
        censor: "[redacted]",
      },
    },
    destination,
  );
}
