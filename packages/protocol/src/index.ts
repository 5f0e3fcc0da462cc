// Public surface of the agent ↔ hub protocol.
export * from "./messages";
export * from "./commands";
export * from "./framing";
export * from "./mail-log";
