/**
 * The row quota (protocol.md §6): state keys remember the member that last wrote them, and each family's
 * rows are counted per (mesh, owner) through an index. Keys written before this migration have no
 * owner and count for no one.
 */

function ownedRows(text: string): string {
  return `
ALTER TABLE state_entries ADD COLUMN updated_by_member_id ${text};
CREATE INDEX state_entries_owner ON state_entries (mesh_id, updated_by_member_id);
CREATE INDEX memories_owner ON memories (mesh_id, member_id, forgotten_at);
CREATE INDEX tasks_owner ON tasks (mesh_id, created_by_member_id);
CREATE INDEX topics_owner ON topics (mesh_id, created_by_member_id);
CREATE INDEX skills_owner ON skills (mesh_id, member_id);
`;
}

export const SQLITE_OWNED_ROWS = ownedRows("TEXT");
export const POSTGRES_OWNED_ROWS = ownedRows(`TEXT COLLATE "C"`);
