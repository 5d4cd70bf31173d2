/**
 * Texts of the appliance's `<error>` documents. "No data" is localised on real
 * appliances (collectors match the English and the French text), so it is here.
 */
export type Language = 'en' | 'fr' | 'de';
export const LANGUAGES: readonly Language[] = ['en', 'fr', 'de'];

const TEXTS = {
  noData: {
    en: 'No Support report information matching your chosen criteria is available.',
    fr: "Aucune information de rapport d'assistance correspondant à vos critères n'est disponible.",
    de: 'Es sind keine Support-Berichtsinformationen verfügbar, die Ihren Kriterien entsprechen.',
  },
  invalidParameters: {
    en: 'Invalid request parameters: {detail}',
    fr: 'Paramètres de requête non valides : {detail}',
    de: 'Ungültige Anfrageparameter: {detail}',
  },
  unknownReport: {
    en: 'Unknown or unsupported report type: {detail}',
    fr: 'Type de rapport inconnu ou non pris en charge : {detail}',
    de: 'Unbekannter oder nicht unterstützter Berichtstyp: {detail}',
  },
  internalFailure: {
    en: 'An internal error occurred while generating the report. Please try again later.',
    fr: "Une erreur interne s'est produite lors de la génération du rapport. Veuillez réessayer plus tard.",
    de: 'Beim Erstellen des Berichts ist ein interner Fehler aufgetreten. Bitte versuchen Sie es später erneut.',
  },
  unauthorized: {
    en: 'Authentication failed: the access token is missing, invalid or expired.',
    fr: "Échec de l'authentification : le jeton d'accès est absent, non valide ou expiré.",
    de: 'Authentifizierung fehlgeschlagen: Das Zugriffstoken fehlt, ist ungültig oder abgelaufen.',
  },
} as const satisfies Record<string, Record<Language, string>>;

export type MessageKey = keyof typeof TEXTS;

export function message(key: MessageKey, language: Language, detail = ''): string {
  return TEXTS[key][language].replace('{detail}', detail);
}

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}
