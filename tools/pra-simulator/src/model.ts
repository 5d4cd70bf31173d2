/** The shapes the generator produces and the XML writer renders. */

export interface Party {
  type: 'system' | 'customer' | 'representative' | 'everyone';
  gsnumber: string;
  /** The element's text. */
  name: string;
}

export interface Representative {
  gsnumber: string;
  id: string;
  username: string;
  displayName: string;
  publicDisplayName: string;
  privateDisplayName: string;
  publicIp: string;
  privateIp: string;
  hostname: string;
  os: string;
  /** 1 for the session owner. */
  owner: boolean;
  /** Invited into a running session (not the owner). */
  invited: boolean;
  /** Position of the "Conference Member Added" event that brings the rep in. */
  joinPosition: number;
}

export interface Customer {
  gsnumber: string;
  username: string;
  publicIp: string;
  privateIp: string;
  hostname: string;
  os: string;
}

/** Everything about a session that does not depend on "now". */
export interface SessionPlan {
  /** The simulator's site name (routing, generation). */
  site: string;
  lsid: string;
  lseq: number;
  /** Seed of this session's own random choices. */
  seed: number;
  /** Unix seconds. */
  start: number;
  /** Unix seconds of the last event ("Session End"). */
  end: number;
  eventCount: number;
  /** Mean gap between events, in seconds, used by the timeline. */
  meanGap: number;
  primaryCustomer: string;
  jumpGroup: { type: 'shared' | 'personal'; id: string; name: string };
  jumpoint: { id: string; name: string } | null;
  customAttributes: { displayName: string; codeName: string; value: string }[];
  /** Screen sharing was recorded: recording URLs once the session has ended. */
  recorded: boolean;
  reps: Representative[];
  customers: Customer[];
}

export interface FileEntry {
  filename: string;
  filesize: number;
}

export interface SystemInfoCategory {
  name: string;
  columns: [string, string][];
  rows: [string, string][][];
}

export interface SimEvent {
  position: number;
  /** Unix seconds. */
  timestamp: number;
  eventType: string;
  performedBy?: Party;
  destination?: Party;
  body?: string;
  filename?: string;
  filesize?: number;
  files?: FileEntry[];
  systemInformation?: SystemInfoCategory[];
  data?: [string, string][];
}

/** One line of ground truth: an event the simulator has made visible. */
export interface GroundTruthEntry {
  /** The poller's site name for the simulator site (see README). */
  site: string;
  lsid: string;
  /** 0-based index of the event within the session's session_details. */
  position: number;
  /** Unix seconds. */
  timestamp: number;
  event_type: string;
}
