/**
 * The reporting parameters the appliance accepts for AccessSession and
 * AccessSessionListing, exactly the documented sets (spec/pra-api.md section 2):
 * start_time|start_date|end_time|end_date + duration, lsid, lsids (AccessSession
 * only). Anything else is refused with the appliance's kind of `<error>`.
 */
export type ReportName = 'AccessSession' | 'AccessSessionListing';

export type Query =
  | {
      report: ReportName;
      /** start: sessions that began in the window (running ones too); end: closed sessions that ended in it. */
      by: 'start' | 'end';
      /** Unix seconds. */
      from: number;
      /** Seconds; 0 = up to now. */
      duration: number;
    }
  | { report: 'AccessSession'; by: 'lsid'; lsids: string[] };

export type QueryParse =
  | { ok: true; query: Query }
  | { ok: false; error: 'unknownReport' | 'invalidParameters'; detail: string };

const SELECTORS = ['start_time', 'start_date', 'end_time', 'end_date', 'lsid', 'lsids'] as const;
const KNOWN_REPORTS = new Set([
  'AccessSession',
  'AccessSessionListing',
  'AccessSessionRecording',
  'AccessSessionSummary',
  'CommandShellRecording',
  'EndpointLicenseUsage',
  'JumpItem',
  'Syslog',
  'Team',
  'VaultAccountActivity',
]);

function fail(error: 'unknownReport' | 'invalidParameters', detail: string): QueryParse {
  return { ok: false, error, detail };
}

export function parseQuery(params: URLSearchParams): QueryParse {
  const report = params.get('generate_report');
  if (report === null || report === '') return fail('invalidParameters', 'generate_report is required.');
  if (report !== 'AccessSession' && report !== 'AccessSessionListing') {
    return fail('unknownReport', KNOWN_REPORTS.has(report) ? `${report} (not simulated)` : report);
  }
  for (const name of [...SELECTORS, 'duration', 'generate_report']) {
    if (params.getAll(name).length > 1) return fail('invalidParameters', `${name} is given more than once.`);
  }
  const given = SELECTORS.filter((name) => params.has(name));
  if (given.length !== 1) {
    return fail(
      'invalidParameters',
      given.length === 0
        ? 'one of start_time, start_date, end_time, end_date, lsid or lsids is required.'
        : `${given.join(' and ')} cannot be combined.`,
    );
  }
  const selector = given[0]!;
  const value = params.get(selector)!;
  const durationRaw = params.get('duration');

  if (selector === 'lsid' || selector === 'lsids') {
    if (report === 'AccessSessionListing') return fail('invalidParameters', `${selector} is not accepted by AccessSessionListing.`);
    if (durationRaw !== null) return fail('invalidParameters', `duration cannot be combined with ${selector}.`);
    const lsids = selector === 'lsid' ? [value.trim()] : value.split(',').map((s) => s.trim());
    if (lsids.some((s) => s === '')) return fail('invalidParameters', `${selector} must not be empty.`);
    return { ok: true, query: { report: 'AccessSession', by: 'lsid', lsids } };
  }

  if (durationRaw === null) return fail('invalidParameters', `${selector} requires duration.`);
  if (!/^\d+$/.test(durationRaw)) return fail('invalidParameters', 'duration must be a non-negative integer.');
  const isDate = selector.endsWith('_date');
  let from: number;
  if (isDate) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
    if (!m || !Number.isFinite(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
      return fail('invalidParameters', `${selector} must be a date written YYYY-MM-DD.`);
    }
    from = ms / 1000;
  } else {
    if (!/^\d+$/.test(value)) return fail('invalidParameters', `${selector} must be a Unix timestamp in seconds.`);
    from = Number(value);
  }
  const duration = Number(durationRaw) * (isDate ? 86_400 : 1);
  return { ok: true, query: { report, by: selector.startsWith('start') ? 'start' : 'end', from, duration } };
}
