/**
 * Data stream namespaces, checked against Elasticsearch's naming scheme
 * (`<type>-<dataset>-<namespace>`): an allow-list of what a namespace may be, so a
 * name that Elasticsearch would refuse, or that would address another data stream,
 * never reaches a bulk request.
 */

/** Longest namespace Elasticsearch accepts, in bytes. */
export const NAMESPACE_MAX_BYTES = 100;

/** Characters Elasticsearch refuses in an index or data stream name, and the space. */
const FORBIDDEN = /[\\/*?"<>|,#: ]/;

/**
 * Why `namespace` is not a valid data stream namespace, or undefined when it is:
 * not empty, at most 100 bytes, lower case, none of `\ / * ? " < > | , # :` or a space,
 * no `-` (it separates the name's parts), not `.` or `..`, and not starting with `-`, `_` or `+`.
 */
export function namespaceProblem(namespace: unknown): string | undefined {
  if (typeof namespace !== 'string') return 'the namespace is not a string';
  if (namespace.length === 0) return 'the namespace is empty';
  const shown = JSON.stringify(namespace.length > 120 ? `${namespace.slice(0, 120)}…` : namespace);
  if (Buffer.byteLength(namespace, 'utf8') > NAMESPACE_MAX_BYTES) return `the namespace ${shown} is longer than ${NAMESPACE_MAX_BYTES} bytes`;
  if (namespace !== namespace.toLowerCase()) return `the namespace ${shown} has upper-case letters`;
  if (namespace === '.' || namespace === '..') return `the namespace ${shown} is not a name`;
  if (/^[-_+]/.test(namespace)) return `the namespace ${shown} starts with -, _ or +`;
  if (FORBIDDEN.test(namespace)) return `the namespace ${shown} contains one of \\ / * ? " < > | , # : or a space`;
  if (namespace.includes('-')) return `the namespace ${shown} contains "-", which separates the parts of a data stream name`;
  // Control characters have no place in a name, and make logs unreadable.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(namespace)) return `the namespace ${shown} contains a control character`;
  return undefined;
}

export function isValidNamespace(namespace: unknown): namespace is string {
  return namespaceProblem(namespace) === undefined;
}

/**
 * Parses a `site=namespace,...` map (SINK_SITE_NAMESPACES); throws naming the first
 * bad entry. Each namespace is validated; a site may appear once.
 */
export function parseSiteNamespaces(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of text.split(',')) {
    const trimmed = entry.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    if (eq <= 0) throw new Error(`"${trimmed}" is not site=namespace`);
    const site = trimmed.slice(0, eq).trim();
    const namespace = trimmed.slice(eq + 1).trim();
    const problem = namespaceProblem(namespace);
    if (problem) throw new Error(`site ${site}: ${problem}`);
    if (map.has(site)) throw new Error(`site ${site} appears more than once`);
    map.set(site, namespace);
  }
  if (map.size === 0) throw new Error('names no site');
  return map;
}
