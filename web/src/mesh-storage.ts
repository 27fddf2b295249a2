/**
 * What this page keeps in the browser for one mesh (its conversations, this tab's presence) is stored
 * under keys made here, `claudemesh.<kind>.v1.<meshId>[.<more>]`, so forgetting the mesh finds all of it.
 * The list of memberships (membership.ts) holds every mesh and is changed there.
 */

/** The storage key of one kind of data of one mesh. */
export function meshKey(kind: string, meshId: string, ...rest: string[]): string {
  return ["claudemesh", kind, "v1", meshId, ...rest].join(".");
}

function isOfMesh(key: string, meshId: string): boolean {
  const parts = key.split(".");
  return parts[0] === "claudemesh" && parts[2] === "v1" && parts[3] === meshId;
}

/** Removes everything kept for `meshId` from this origin's local and session storage. */
export function removeMeshData(meshId: string): void {
  for (const storage of [localStorage, sessionStorage]) {
    const keys: string[] = [];
    for (let i = 0; i < storage.length; i += 1) {
      const key = storage.key(i);
      if (key !== null && isOfMesh(key, meshId)) keys.push(key);
    }
    for (const key of keys) storage.removeItem(key);
  }
}
