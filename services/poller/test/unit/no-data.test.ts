import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isNoDataError, isNoDataText } from '../../src/no-data.js';

const NO_DATA = [
  'No Support report information matching your chosen criteria is available.',
  'No Access Session report information matching your chosen criteria is available.',
  "Aucune information de rapport d'assistance correspondant à vos critères n'est disponible.",
  'Aucune information de rapport correspondant a vos criteres n’est disponible.',
  'Es sind keine Support-Berichtsinformationen verfügbar, die Ihren Kriterien entsprechen.',
  '  NO SUPPORT REPORT INFORMATION\n matching your chosen criteria is available. ',
];

const REAL_ERRORS = [
  'Invalid lsid.',
  'Invalid request parameters: duration',
  'Paramètres de requête non valides : duration',
  'Ungültige Anfrageparameter: duration',
  'An internal error occurred while generating the report. Please try again later.',
  'Authentication failed: the access token is missing, invalid or expired.',
  '',
];

test('recognises "no data" in English, French and German', () => {
  for (const text of NO_DATA) assert.equal(isNoDataText(text), true, text);
});

test('never takes another error for "no data"', () => {
  for (const text of REAL_ERRORS) assert.equal(isNoDataText(text), false, text);
});

test('"no data" counts only as the root or as the only child of the list', () => {
  const text = NO_DATA[0] as string;
  assert.equal(isNoDataError(text, { where: 'root', siblings: 0 }), true);
  assert.equal(isNoDataError(text, { where: 'child', siblings: 0 }), true);
  assert.equal(isNoDataError(text, { where: 'child', siblings: 2 }), false);
  assert.equal(isNoDataError('Invalid lsid.', { where: 'root', siblings: 0 }), false);
});
