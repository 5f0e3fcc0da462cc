// Public surface of the policy package.
export * from "./schema";
export * from "./connection-schema";
export * from "./abuse-detection";
export * from "./catalogue";
export * from "./resolve";
export * from "./password";
export * from "./choices";
export * from "./field-shape";
export * from "./looser-than-default";
export * from "./value-label";
