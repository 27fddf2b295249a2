/**
 * The one place that waits for libsodium. Every other crypto module imports `sodium` from here, so by the
 * time any of them runs, the WebAssembly module is initialised and all exported functions are synchronous.
 */
import libsodium from "libsodium-wrappers";

await libsodium.ready;

export const sodium = libsodium;
