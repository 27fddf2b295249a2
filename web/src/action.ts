/** A view's user actions: busy while one runs, its failure as text for the page, then `after`. */
import { useState } from "preact/hooks";
import { messageOf } from "./mesh.js";

export function useAction(after: () => void = () => undefined) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (work: () => Promise<unknown>): Promise<void> => {
    setBusy(true);
    try {
      await work();
      setError(null);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
      after();
    }
  };
  return { busy, error, setError, run };
}
