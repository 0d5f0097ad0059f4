import type { Database } from "../db/database.js";
import type { Logger } from "../logger.js";

/** What route handlers need from the running process. */
export interface AppContext {
  database: Database;
  logger: Logger;
}
