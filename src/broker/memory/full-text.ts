/**
 * The words of a plaintext `recall` query as both adapters search them (protocol.md §6.2): the normalized
 * words of §5.8 (NFKC, lower-case, letters and digits, 2+ characters), less PostgreSQL's English stop words.
 * PostgreSQL drops those from a query by itself; dropping them here too gives SQLite the same rule, so
 * "every query word must match" means the same words on both.
 */
import { searchWords } from "../../crypto/index.js";

/** PostgreSQL's `english` stop words (tsearch_data/english.stop), the ones of two or more characters. */
const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    "me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers " +
    "herself it its itself they them their theirs themselves what which who whom this that these those am " +
    "is are was were be been being have has had having do does did doing an the and but if or because as " +
    "until while of at by for with about against between into through during before after above below to " +
    "from up down in out on off over under again further then once here there when where why how all any " +
    "both each few more most other some such no nor not only own same so than too very can will just don " +
    "should now"
  ).split(" "),
);

/** The searchable words of `query`, in order, without stop words. */
export function queryWords(query: string): string[] {
  return searchWords(query).filter((word) => !STOP_WORDS.has(word));
}
