/**
 * Loading a view's data from the broker when it can answer: a view opened before the connection is up
 * (a reload on `?view=files`) loads once it is, and every view loads again after a reconnect, since what
 * it shows may have changed meanwhile.
 */
import { useEffect } from "preact/hooks";
import type { WebMesh } from "./mesh.js";
import { useValue } from "./store.js";

/** Runs `load` now if connected, and on every (re)connect while the component is mounted. */
export function useWhenOnline(mesh: WebMesh, load: () => void, deps: unknown[] = []): void {
  const connects = useValue(mesh.connects);
  useEffect(() => {
    if (mesh.connection.value.kind === "online") load();
  }, [mesh, connects, ...deps]);
}
