/** zod's error messages in English only: the other locales are most of zod's size and never shown. */
export { default as en } from "zod/v4/locales/en.js";
