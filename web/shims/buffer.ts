/** Node's `Buffer` for the shared modules of src/ (hex and base64 encodings), injected by the bundler. */
export { Buffer } from "buffer";
