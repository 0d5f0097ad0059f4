/**
 * An evaluation thread (see evaluation-threads.ts): runs the one job it is
 * sent and replies with the report or the error's message. One thread per
 * job, so a job that must be stopped is stopped by terminating its thread.
 */
import { parentPort } from "node:worker_threads";
import type { EvalReport } from "../classifier/index.js";
import { type EvaluationJob, runJob } from "./evaluation-job.js";

export type ThreadReply = { report: EvalReport } | { error: string };

parentPort?.once("message", (job: EvaluationJob) => {
  let reply: ThreadReply;
  try {
    reply = { report: runJob(job) };
  } catch (err) {
    reply = { error: err instanceof Error ? err.message : String(err) };
  }
  parentPort?.postMessage(reply);
});
