/** XML entity decoding, one definition for the poller's splitter and the enricher's parser. */

const XML_ENTITIES: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const ENTITY_REF = /&(#[0-9]+|#x[0-9a-fA-F]+|[A-Za-z_][\w.-]*);/g;

function decodeRef(match: string, name: string): string {
  if (name.charCodeAt(0) === 35) {
    const code = name.charCodeAt(1) === 120 ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
    const valid = code === 0x9 || code === 0xa || code === 0xd
      || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
    return valid ? String.fromCodePoint(code) : match;
  }
  return XML_ENTITIES[name] ?? match;
}

/** Decodes the five XML entities and numeric references; anything else stays literal. */
export function decodeXmlEntities(text: string): string {
  return text.indexOf('&') === -1 ? text : text.replace(ENTITY_REF, decodeRef);
}
