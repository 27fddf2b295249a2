/**
 * Length limits of the protocol, checked when a form is sent: a text input with `maxLength` cuts a pasted
 * text without a word, so the forms take any length and say what is too long instead.
 */

/** What is wrong with `text` for a field of at most `max` characters, or null. */
export function tooLong(what: string, text: string, max: number): string | null {
  // Counted as the broker counts: UTF-16 code units.
  const length = text.length;
  return length > max
    ? `${what} is too long: at most ${max.toLocaleString("en")} characters (this one has ${length.toLocaleString("en")})`
    : null;
}
