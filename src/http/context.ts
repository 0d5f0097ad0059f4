import type { Runtime } from "../runners/runtime.js";

/** What route handlers need from the running process: the database, the topics, the queue settings. */
export type AppContext = Runtime;
