/**
 * "No data" from the reporting API is an HTTP 200 whose body is an `<error>`
 * (as the root, or as the only child of `<session_list>`), with a localised
 * text (pra-api.md, "Responses and errors"). Only a recognised text in a place
 * where "no data" can stand counts as empty; any other `<error>` is a failure
 * (pitfall 5: never take an unrecognised error for "no sessions").
 *
 * The texts are compared after folding case, accents, apostrophes and spaces,
 * and without the report's name ("Support", "Access Session"), which varies.
 */

/** Fragments of the "nothing matches your criteria" message, folded (see `fold`). */
const NO_DATA_PATTERNS: readonly RegExp[] = [
  // English: "No Support report information matching your chosen criteria is available."
  /\bno\b.*\breport information matching your (chosen )?criteria\b/,
  /\bno\b.*\bmatching your (chosen )?criteria is available\b/,
  // French: "Aucune information de rapport ... correspondant a vos criteres n'est disponible."
  /\bcorrespondant a vos criteres\b.*\bn'est disponible\b/,
  /\baucune information\b.*\bcriteres\b/,
  // German (not in the captured samples; built from the same template): "Keine ... Berichtsinformationen ... Ihren Kriterien ..."
  /\bkeine\b.*\bberichtsinformationen\b.*\bkriterien\b/,
  /\bkeine\b.*\b(ihren|ihrer|den gewahlten) kriterien\b.*\b(verfugbar|vorhanden)\b/,
];

/** Lower case, no accents, straight apostrophes, single spaces. */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\u2018\u2019\u02bc`´]/g, "'")
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

export function isNoDataText(text: string): boolean {
  const folded = fold(text);
  return NO_DATA_PATTERNS.some((p) => p.test(folded));
}

export interface ErrorPlacement {
  /** The `<error>` is the root element, or a child of the root. */
  where: 'root' | 'child';
  /** Other items (sessions, summaries) in the same response. */
  siblings: number;
}

/**
 * True when an `<error>` means "no data": a recognised text, as the root or as
 * the only child of the list.
 */
export function isNoDataError(text: string, placement: ErrorPlacement): boolean {
  if (placement.where === 'child' && placement.siblings > 0) return false;
  return isNoDataText(text);
}
