// One load = one smtp-source run (postfix's parallel SMTP generator), timed from spawn to exit.
import { spawn } from "node:child_process";
import { cpuSeconds } from "./cpu";
import { RECIPIENT, SENDER, SENDER_HELO } from "./sender";

export interface Load {
  id: string;
  label: string;
  /** smtp-source -s */
  sessions: number;
  /** smtp-source -d: every session keeps its connection for all its messages. */
  reuse: boolean;
  /** Message size key ("1k" | "100k"), a file made by signedMessage. */
  size: "1k" | "100k";
}

export interface LoadResult {
  /** smtp-source -m */
  messages: number;
  elapsedMs: number;
  msgsPerSecond: number;
  exitCode: number | string;
  /** smtp-source's complaints (replies other than the expected 2xx/3xx, connection errors). */
  errors: string[];
  /** CPU seconds smtp-source itself used (sampled from /proc every 100 ms, so slightly low). */
  sourceCpuSeconds: number;
  /** The run on the monotonic clock, in microseconds (process.hrtime.bigint() / 1000). */
  window: { fromUs: number; toUs: number };
}

export async function runSmtpSource(
  port: number,
  load: Load,
  messages: number,
  messageFile: string,
  timeoutMs = 120_000,
): Promise<LoadResult> {
  const args = [
    "-4",
    "-s",
    String(load.sessions),
    "-m",
    String(messages),
    ...(load.reuse ? ["-d"] : []),
    "-F",
    messageFile,
    "-f",
    SENDER,
    "-t",
    RECIPIENT,
    "-M",
    SENDER_HELO,
    `127.0.0.1:${port}`,
  ];
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const started = performance.now();
  const child = spawn("/usr/sbin/smtp-source", args, { stdio: ["ignore", "pipe", "pipe"] });
  let sourceCpuSeconds = 0;
  const sampler = setInterval(() => {
    if (child.pid === undefined) return;
    cpuSeconds(child.pid).then(
      (seconds) => (sourceCpuSeconds = Math.max(sourceCpuSeconds, seconds)),
      () => undefined,
    );
  }, 100);
  let output = "";
  const collect = (chunk: Buffer) => {
    if (output.length < 20_000) output += chunk.toString();
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const timer = setTimeout(() => {
    if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
  }, timeoutMs);
  const exitCode = await new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  clearTimeout(timer);
  clearInterval(sampler);
  const elapsedMs = performance.now() - started;
  const toUs = Number(process.hrtime.bigint() / 1000n);
  const errors = output
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  if (exitCode === "SIGKILL") errors.unshift(`smtp-source killed after ${timeoutMs} ms`);
  return {
    messages,
    elapsedMs,
    msgsPerSecond: (messages * 1000) / elapsedMs,
    exitCode,
    errors,
    sourceCpuSeconds,
    window: { fromUs, toUs },
  };
}
