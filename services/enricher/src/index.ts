export { parseXml, decodeXmlEntities, DEFAULT_XML_LIMITS, type XmlLimits, type XmlObject, type XmlValue } from './xml.js';
export {
  sessionsToRecords, sessionsToRecordsEach, xmlToRecords, type SessionFailure, type SessionRecords, type StageARecord,
} from './stage-a.js';
export { parseRecord, parseRecordsNdjson } from './records.js';
export {
  recordToDocument, recordsToDocuments, ECS_VERSION, DATASET, MODULE, type DocumentOptions, type EcsDocument,
} from './stage-b.js';
export { DEFAULT_NAMESPACE, DEFAULT_TAGS, type SiteContext } from './site-context.js';
export { eventId, sessionKey } from './event-id.js';
export { categorize, eventAction, type Categorization } from './categorize.js';
export { parseAddress, type Address } from './address.js';
export { parseTimestamp, toIsoTimestamp } from './convert.js';
export { asnToAs, cityToGeo, type EcsAs, type EcsGeo, type GeoLookup, type GeoResult } from './geo-fields.js';
export {
  GeoIpDatabases, databaseKind, type GeoDatabaseKind, type GeoDatabaseStatus, type GeoIpOptions, type GeoIpStatus,
} from './geoip.js';
export { enricherSchema, loadEnricherConfig, type EnricherConfig } from './config.js';
export { buildEnricher, buildEnricherStage, openGeoIp, type EnricherApp } from './app.js';
export { enricherService } from './service.js';
export { runEnricher } from './main.js';
export { EnricherStage, type EnricherOutput, type OutMessage, type SourcedRecord } from './stage.js';
export { enricherMetrics, type EnricherMetrics } from './telemetry.js';
export { chunk } from './kafka-runner.js';
export { enrichRawRecord, parseRawRecord, type RawRecord } from './raw-record.js';
