/** What `BlobStore.writeBlob` rejects with when a stream goes past its limit (nothing is left stored). */
export class BlobTooLargeError extends Error {
  override readonly name = "BlobTooLargeError";
  constructor(readonly maxBytes: number) {
    super(`file too large (more than ${maxBytes} bytes)`);
  }
}
