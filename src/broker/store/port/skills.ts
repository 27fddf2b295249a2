/** What the skills family (protocol.md §6.8) stores: one skill per mesh and name, replaced on re-share. */

export interface SkillRow {
  meshId: string;
  name: string;
  description: string;
  /** Plaintext (reference clients) or a `cm:enc1:` envelope (ours). */
  instructions: string;
  tags: string[];
  memberId: string;
  /** The sharer's display name. */
  author: string;
  manifest: Record<string, unknown> | null;
  /** When this version was shared. */
  createdAt: number;
}

export type SkillListing = Omit<SkillRow, "instructions" | "manifest" | "memberId">;

export interface SkillStore {
  /**
   * Inserts or replaces the skill `meshId`/`name`. A new name beyond `maxPerMesh` skills is refused
   * (`false`); replacing an existing one always succeeds.
   */
  upsertSkill(skill: SkillRow, maxPerMesh: number): Promise<boolean>;
  getSkill(meshId: string, name: string): Promise<SkillRow | null>;
  /** Every skill of `meshId`, by name (code point order). */
  listSkills(meshId: string): Promise<SkillListing[]>;
  /** Whether a skill was removed. */
  removeSkill(meshId: string, name: string): Promise<boolean>;
}
