export * from "./constants.js";
export * from "./close-codes.js";
export * from "./errors.js";
export * from "./features.js";
export * from "./frames.js";
export * from "./targets.js";
export * from "./canonical.js";
export * from "./invite-link.js";
