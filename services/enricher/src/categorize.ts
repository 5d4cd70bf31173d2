/** event.category and event.type from event.action (ecs-mapping.md B.4, B.5). */

export interface Categorization {
  category: string[];
  type: string[];
}

const TABLE: Readonly<Record<string, readonly [readonly string[], readonly string[]]>> = {
  'command-shell-session-started': [['intrusion_detection'], ['info']],
  'conference-member-added': [['iam'], ['user']],
  'conference-member-departed': [['iam'], ['user']],
  'conference-member-state-changed': [['iam'], ['user', 'change']],
  'conference-owner-changed': [['iam'], ['admin', 'change']],
  'credential-injection-attempt': [['authentication', 'intrusion_detection'], ['info']],
  'credential-injection-attempt-failed': [['authentication', 'intrusion_detection'], ['info', 'denied']],
  'directory-created': [['file'], ['creation']],
  'file-deleted': [['file'], ['deletion']],
  'file-download': [['file'], ['access']],
  'file-download-failed': [['file'], ['access']],
  'file-upload': [['file'], ['access']],
  'file-upload-failed': [['file'], ['access']],
  'file-moved': [['file'], ['change']],
  'registry-exported': [['registry'], ['access']],
  'registry-imported': [['registry'], ['access']],
  'registry-key-added': [['registry'], ['creation']],
  'registry-value-added': [['registry'], ['creation']],
  'registry-key-deleted': [['registry'], ['deletion']],
  'registry-value-deleted': [['registry'], ['deletion']],
  'registry-key-renamed': [['registry'], ['change']],
  'registry-value-modified': [['registry'], ['change']],
  'registry-value-renamed': [['registry'], ['change']],
  'service-access-allowed': [['configuration', 'iam'], ['access']],
  'session-end': [[], ['end']],
  'session-start': [[], ['start']],
  'system-information-retrieved': [['intrusion_detection', 'configuration'], ['info', 'access']],
};

/**
 * What the reference's `\s` matches (Java's: space, tab, line feed, carriage
 * return, form feed, vertical tab). Not JavaScript's `\s`, which also takes a
 * no-break space and the other Unicode spaces.
 */
const WHITESPACE_RUN = /[ \t\n\r\f\v]+/g;
const EDGE_WHITESPACE = /^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g;

/**
 * "Session Start" -> "session-start": trimmed, lowercased, whitespace runs
 * become one "-" (B.4). Undefined when nothing is left: no action at all.
 * The trimming is ours: the reference makes "-session-start" of " Session Start".
 */
export function eventAction(eventType: string): string | undefined {
  const action = eventType.replace(EDGE_WHITESPACE, '').toLowerCase().replace(WHITESPACE_RUN, '-');
  return action === '' ? undefined : action;
}

/**
 * Category and type of an action (B.5); undefined without an action, since
 * the reference's script runs only when there is one.
 */
export function categorize(action: string | undefined): Categorization | undefined {
  if (action === undefined) return undefined;
  const row = TABLE[action];
  if (row === undefined) return { category: ['session'], type: ['info'] };
  return { category: ['session', ...row[0]], type: [...row[1]] };
}
