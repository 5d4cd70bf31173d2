/**
 * What happens at each position of a session: the event type and its content,
 * from the session seed and the position alone. Types and data keys follow
 * the PRA AccessSession report (spec/pra-api.md section 4).
 */
import {
  CHAT_LINES,
  CLICK_TARGETS,
  CREDENTIALS,
  DIRECTORIES,
  FILE_NAMES,
  REGISTRY_KEYS,
  SERVICES,
  SHELL_COMMANDS,
  SPECIAL_ACTIONS,
  WINDOWS,
} from './catalog.js';
import type { Party, SessionPlan, SimEvent } from './model.js';
import { Prng } from './prng.js';

const MIDDLE_TYPES: readonly (readonly [string, number])[] = [
  ['Chat Message', 10],
  ['Session Foreground Window Changed', 10],
  ['Session Mouse Left Clicked', 8],
  ['Session Window Closed', 4],
  ['Remote Shell Event', 8],
  ['Command Shell Session Started', 2],
  ['File Upload', 4],
  ['File Download', 4],
  ['File Transfer Complete', 2],
  ['File Deleted', 1],
  ['File Moved', 1],
  ['Directory Created', 1],
  ['File Upload Failed', 1],
  ['Files Shared', 1],
  ['Conference Member State Changed', 2],
  ['Special Action Executed', 2],
  ['System Information Retrieved', 2],
  ['Credential Injection Attempt', 2],
  ['Credential Injection Attempt Failed', 1],
  ['Registry Key Added', 1],
  ['Registry Value Modified', 1],
  ['Service Access Allowed', 1],
  ['Jump Item Authorization Request Utilized', 1],
];

export const EVENT_TYPES: readonly string[] = [
  'Session Start',
  'Session End',
  'Conference Member Added',
  ...MIDDLE_TYPES.map(([t]) => t),
];

const SYSTEM: Party = { type: 'system', gsnumber: '0', name: 'Privileged Remote Access' };

/** The event type at a position; cheap, so reports can count before rendering. */
export function typeAt(plan: SessionPlan, position: number): string {
  if (position === 0) return 'Session Start';
  if (position === plan.eventCount - 1) return 'Session End';
  if (position === 2 || plan.reps.some((r) => r.joinPosition === position)) return 'Conference Member Added';
  return Prng.at(plan.seed, 'event', position).weighted(MIDDLE_TYPES);
}

function repParty(plan: SessionPlan, index: number): Party {
  const rep = plan.reps[index]!;
  return { type: 'representative', gsnumber: rep.gsnumber, name: rep.displayName };
}

function customerParty(plan: SessionPlan): Party {
  const customer = plan.customers[0]!;
  return { type: 'customer', gsnumber: customer.gsnumber, name: customer.hostname };
}

export function eventAt(plan: SessionPlan, position: number, timestamp: number): SimEvent {
  const base = { position, timestamp };
  if (position === 0) {
    return { ...base, eventType: 'Session Start', performedBy: repParty(plan, 0), destination: customerParty(plan) };
  }
  if (position === plan.eventCount - 1) {
    return { ...base, eventType: 'Session End', performedBy: SYSTEM };
  }
  if (position === 2) {
    const c = plan.customers[0]!;
    return {
      ...base,
      eventType: 'Conference Member Added',
      performedBy: SYSTEM,
      destination: customerParty(plan),
      data: [
        ['name', c.hostname],
        ['username', c.username],
        ['private_ip', c.privateIp],
        ['public_ip', c.publicIp],
        ['hostname', c.hostname],
        ['os', c.os],
      ],
    };
  }
  const joining = plan.reps.findIndex((r) => r.joinPosition === position);
  if (joining >= 0) {
    const r = plan.reps[joining]!;
    return {
      ...base,
      eventType: 'Conference Member Added',
      performedBy: joining === 0 ? SYSTEM : repParty(plan, 0),
      destination: repParty(plan, joining),
      data: [
        ['name', r.displayName],
        ['username', r.username],
        ['private_name', r.privateDisplayName],
        ['public_name', r.publicDisplayName],
        ['user_id', r.id],
        ['private_ip', r.privateIp],
        ['public_ip', r.publicIp],
        ['hostname', r.hostname],
        ['os', r.os],
      ],
    };
  }

  const prng = Prng.at(plan.seed, 'event', position);
  const eventType = prng.weighted(MIDDLE_TYPES);
  const present = plan.reps.map((r, i) => [r, i] as const).filter(([r]) => r.joinPosition < position);
  const actor = repParty(plan, prng.pick(present)[1]);
  const endpoint = customerParty(plan);
  const [exe, windowName] = prng.pick(WINDOWS);
  const file = prng.pick(FILE_NAMES);
  const dir = prng.pick(DIRECTORIES);
  const size = prng.int(120, 48_000_000);
  const ev = (extra: Partial<SimEvent>): SimEvent => ({ ...base, eventType, performedBy: actor, ...extra });

  switch (eventType) {
    case 'Chat Message': {
      const fromEndpoint = prng.chance(0.2);
      let body = prng.pick(CHAT_LINES);
      // Some messages hold characters XML 1.0 cannot carry: they travel as encoded_body.
      if (prng.chance(0.08)) body = `${body} \u0007\u001b[0m done`;
      return ev({
        performedBy: fromEndpoint ? endpoint : actor,
        destination: prng.chance(0.7) ? { type: 'everyone', gsnumber: '0', name: 'everyone' } : fromEndpoint ? actor : endpoint,
        body,
      });
    }
    case 'Session Foreground Window Changed':
    case 'Session Window Closed':
      return ev({ performedBy: endpoint, data: [['exeName', exe], ['windowName', windowName]] });
    case 'Session Mouse Left Clicked': {
      const [targetName, targetType] = prng.pick(CLICK_TARGETS);
      return ev({ data: [['exeName', exe], ['windowName', windowName], ['targetName', targetName], ['targetType', targetType]] });
    }
    case 'Remote Shell Event':
      return ev({ destination: endpoint, data: [['text', prng.pick(SHELL_COMMANDS)]] });
    case 'Command Shell Session Started': {
      const instance = String(prng.int(0, 3));
      return ev({
        destination: endpoint,
        data: [
          ['instance', instance],
          ['download_url', `https://${plan.site}.pra.example/session_download/shell?lsid=${plan.lsid}&instance=${instance}`],
          ['view_url', `https://${plan.site}.pra.example/session_view/shell?lsid=${plan.lsid}&instance=${instance}`],
        ],
      });
    }
    case 'File Upload':
    case 'File Download':
    case 'File Deleted':
      return ev({ destination: endpoint, filename: `${dir}/${file}`, filesize: size });
    case 'File Transfer Complete':
      return ev({ destination: endpoint, data: [['filename', file], ['sha256', prng.hex(64)]] });
    case 'File Moved':
      return ev({ destination: endpoint, data: [['old_path', `${dir}/${file}`], ['new_path', `${dir}/old-${file}`]] });
    case 'Directory Created':
      return ev({ destination: endpoint, data: [['path', `${dir}/maint-${prng.int(1, 99)}`]] });
    case 'File Upload Failed':
      return ev({ destination: endpoint, filename: `${dir}/${file}`, data: [['failure_reason', 'Access is denied.']] });
    case 'Files Shared':
      return ev({
        destination: endpoint,
        files: [
          { filename: file, filesize: size },
          { filename: prng.pick(FILE_NAMES), filesize: prng.int(10, 900_000) },
        ],
      });
    case 'Conference Member State Changed':
      return ev({ data: [['state', prng.pick(['connected', 'away', 'connected'])]] });
    case 'Special Action Executed':
      return ev({ destination: endpoint, data: [['action_name', prng.pick(SPECIAL_ACTIONS)]] });
    case 'System Information Retrieved':
      return ev({
        destination: endpoint,
        systemInformation: [
          {
            name: 'Operating System',
            columns: [['hostname', 'Host Name'], ['os', 'Operating System'], ['uptime', 'Uptime']],
            rows: [[['hostname', plan.customers[0]!.hostname], ['os', plan.customers[0]!.os], ['uptime', `${prng.int(1, 400)} days`]]],
          },
          {
            name: 'Services',
            columns: [['name', 'Name'], ['state', 'State']],
            rows: SERVICES.map((s) => [['name', s], ['state', prng.pick(['Running', 'Stopped'])]] as [string, string][]),
          },
        ],
      });
    case 'Credential Injection Attempt':
    case 'Credential Injection Attempt Failed': {
      const data: [string, string][] = [
        ['attempt_id', String(prng.int(1, 99_999))],
        ['credential_id', String(prng.int(1, 500))],
        ['credential_name', prng.pick(CREDENTIALS)],
      ];
      if (eventType.endsWith('Failed')) data.push(['failure_reason', 'The credential was rejected by the endpoint.']);
      return ev({ destination: endpoint, data });
    }
    case 'Registry Key Added': {
      const parent = prng.pick(REGISTRY_KEYS);
      const key = `Maint${prng.int(1, 9)}`;
      return ev({
        destination: endpoint,
        data: [['key_path', `${parent}\\${key}`], ['parent_path', parent], ['root_path', parent.split('\\')[0]!], ['key_name', key]],
      });
    }
    case 'Registry Value Modified':
      return ev({
        destination: endpoint,
        data: [
          ['key_path', prng.pick(REGISTRY_KEYS)],
          ['value_name', 'Start'],
          ['value_type', 'REG_DWORD'],
          ['value_data_old', '2'],
          ['value_data_new', String(prng.int(3, 4))],
        ],
      });
    case 'Service Access Allowed':
      return ev({ destination: endpoint, data: [['granted_to', actor.name], ['level', 'full'], ['service', prng.pick(SERVICES)]] });
    case 'Jump Item Authorization Request Utilized': {
      const requested = new Date((plan.start - prng.int(600, 86_400)) * 1000);
      const local = new Date(requested.getTime() + 2 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
      const owner = plan.reps[0]!;
      return ev({
        destination: endpoint,
        data: [
          ['request_id', String(prng.int(100, 99_999))],
          ['request_start_time', `${local} CEST`],
          ['request_duration', `${prng.int(1, 8)} hour(s)`],
          ['jump_policy_name', 'Change Window Approval'],
          ['jump_item_type', 'Remote Jump'],
          ['jump_item_name', plan.primaryCustomer],
          ['requesting_user', `${owner.displayName} (${owner.username}@example.com)`],
          ['requesting_user_id', owner.id],
          ['approval_applies_to', 'Requestor Only'],
          ['request_reason', 'Scheduled maintenance'],
          ['approver_name', 'Security Desk'],
          ['request_approver', 'secdesk@example.com'],
          ['approver_comments', 'Approved for the window.'],
        ],
      });
    }
    default:
      return ev({});
  }
}
