import { type Command, InvalidArgumentError } from "commander";

/**
 * What every command that prints a result shares: `--json` prints exactly one
 * JSON document on stdout, shaped as the API's answer for the same thing
 * (built by the same functions the routes call); progress and notices go to
 * stderr either way.
 */
export function jsonOption(command: Command): Command {
  return command.option("--json", "print exactly one JSON document on stdout (the API's shape)");
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * A bad value on the command line: exits 2, as commander's own usage errors
 * (unknown option, missing argument) and configuration errors do.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** An option argument parser for a whole number in [min, max]; anything else is a usage error. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `'${value}' is not a whole number of at least ${min}.`
          : `'${value}' is not a whole number from ${min} to ${max}.`,
      );
    }
    return n;
  };
}
